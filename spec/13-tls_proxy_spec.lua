-- TLS is verified (and ca_file trusts a private CA), proxies come from the
-- environment as libcurl reads them, and redirects are not followed.
local H = require "helpers"
local linkup = H.linkup

describe("TLS, proxies and redirects", function()
  local dir, tls, plain
  setup(function()
    dir = os.tmpname()
    os.remove(dir)
    local _, ok = H.sh(("mkdir -p %s && openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 " ..
      "-addext subjectAltName=IP:127.0.0.1 -keyout %s/key.pem -out %s/cert.pem 2>/dev/null"):format(dir, dir, dir))
    assert(ok, "openssl could not make a certificate")
    tls = H.start_server(("--tls-cert %s/cert.pem --tls-key %s/key.pem"):format(dir, dir))
    tls.url = tls.url:gsub("^http:", "https:")
    plain = H.start_server()
  end)
  teardown(function()
    tls:stop()
    plain:stop()
    H.sh("rm -rf " .. dir)
  end)

  it("refuses a certificate it cannot verify", function()
    local c = linkup.new{ api_key = H.API_KEY, base_url = tls.url, account_id = "acc-main", max_retries = 0 }
    local data, err = c:connections{}
    assert.is_nil(data)
    H.keep(err)
    assert.equal("network", err.kind)
    assert.matches("certificate", err.message:lower())
  end)

  it("trusts the CA named by ca_file, and then works over TLS", function()
    local c = linkup.new{ api_key = H.API_KEY, base_url = tls.url, account_id = "acc-main",
                          ca_file = dir .. "/cert.pem" }
    local data, meta = c:connections{ count = 3 }
    assert.is_table(data, tostring(meta))
    assert.equal(3, #data.connections)
  end)

  it("goes through the proxy that http_proxy names", function()
    -- base_url names a host that does not exist: only the proxy (the fake
    -- server on loopback) is ever contacted, and it answers in its stead
    local cmd = string.format("env http_proxy=%s LUA_PATH=%s LUA_CPATH=%s %s -e %s 2>&1",
      H.q(plain.url), H.q(package.path), H.q(package.cpath), H.q(os.getenv("LINKUP_LUA") or "lua5.4"),
      H.q(('local c = require("linkup").new{ api_key = %q, base_url = "http://api.linkup.invalid", ' ..
        'account_id = "acc-size-4", max_retries = 0 } local d, e = c:connections{} ' ..
        'print(d and #d.connections or tostring(e))'):format(H.API_KEY)))
    plain:reset()
    assert.equal("4\n", H.sh(cmd, true))
    local log = plain:log()
    assert.equal(1, #log)
    assert.equal("api.linkup.invalid", log[1].headers.host)
  end)

  it("does not follow a redirect (the key would go along)", function()
    plain:reset()
    plain:fault{ kind = "status", status = 302, body = "", headers = { Location = plain.url .. "/elsewhere" } }
    local c = H.client(plain, { max_retries = 0 })
    local data, err = c:connections{}
    assert.is_nil(data)
    H.keep(err)
    assert.equal(302, err.status)
    assert.equal(1, #plain:log())
  end)
end)
