-- linkup inside a real nginx (Debian's nginx + libnginx-mod-http-lua, which
-- runs LuaJIT), through the ngx transport: examples/nginx.conf is rendered
-- and run as it is, so the example cannot rot.
local H = require "helpers"
local N = require "nginx_helpers"
local cjson = require "cjson"

-- nginx runs LuaJIT whatever interpreter runs busted: once, in the LuaJIT suite.
if (os.getenv("LINKUP_SUITE") or "luajit") ~= "luajit" then return end

local function curl(url, max_time)
  local out = H.sh(string.format("env -u LD_PRELOAD curl -sS --max-time %d 2>/dev/null -w '\\n%%{http_code} %%{time_total}' %s",
    max_time or 10, H.q(url)))
  local body, code, t = out:match("^(.*)\n(%d+) ([%d.]+)$")
  return body, tonumber(code), tonumber(t)
end

describe("OpenResty (real nginx, ngx transport)", function()
  if not N.available() then
    it("needs nginx and libnginx-mod-http-lua", function() error("nginx or its lua module is missing") end)
    return
  end
  local server, ng, port

  setup(function()
    server = H.start_server()
    ng = N.start(assert(io.open("examples/nginx.conf")):read("*a"), { BASE_URL = server.url, API_KEY = H.API_KEY })
    port = ng.port
  end)

  teardown(function()
    if server then server:stop() end
    -- a Lua error in a handler, or a worker killed by a signal, is logged
    if ng then ng:stop{ "lua entry thread aborted", "%[alert%]", "%[emerg%]" } end
  end)

  before_each(function() server:reset() end)

  it("lists connections through linkup and answers JSON", function()
    local body, code = curl("http://127.0.0.1:" .. port .. "/connections?account=acc-size-230&limit=150")
    assert.equal(200, code, body)
    local doc = cjson.decode(body)
    assert.equal(150, doc.count)
    local want = server:expected("connections", 2, 230, 0, 150)
    for i = 1, 150 do
      assert.equal(i, doc.connections[i].i)
      assert.equal(want[i].name, doc.connections[i].name)
      assert.equal(want[i].profile_url, doc.connections[i].profile_url)
    end
    -- the requests went out through cosockets: no gzip asked, key sent, keep-alive reused
    local log = server:log()
    assert.equal(2, #log)
    assert.equal(H.API_KEY, log[1].headers["x-api-key"])
    assert.is_nil(log[1].headers["accept-encoding"])
    assert.equal(log[1].conn, log[2].conn)
  end)

  it("retries through ngx.sleep and reports API errors", function()
    server:fault{ kind = "v2_error", status = 503, code = "INTERNAL_ERROR" }
    local body, code = curl("http://127.0.0.1:" .. port .. "/connections?limit=5")
    assert.equal(200, code, body)
    assert.equal(5, cjson.decode(body).count)
    assert.equal(2, #server:log())
    body, code = curl("http://127.0.0.1:" .. port .. "/connections?account=acc-broke&limit=5")
    assert.equal(502, code)
    assert.matches("INSUFFICIENT_CREDITS", body)
    assert.not_matches("S3CRET", body)
  end)

  it("does not block the worker: a second request is served while the first waits", function()
    -- one worker; the first request's page takes 2 s at the fake API
    server:fault{ kind = "slow", delay = 2 }
    local slow_out = os.tmpname()
    H.sh(string.format("curl -s -o /dev/null -w '%%{http_code} %%{time_total}' " ..
      "--max-time 10 %s > %s &", H.q("http://127.0.0.1:" .. port .. "/connections?limit=5"), slow_out))
    H.sleep(0.4)  -- the slow one is now waiting on its cosocket
    local body, code, t = curl("http://127.0.0.1:" .. port .. "/connections?limit=3")
    assert.equal(200, code, body)
    assert.equal(3, cjson.decode(body).count)
    assert.is_true(t < 1.0, "second request took " .. tostring(t) .. " s")
    local slow
    for _ = 1, 60 do
      slow = assert(io.open(slow_out)):read("*a")
      if slow:match("^%d+ ") then break end
      H.sleep(0.1)
    end
    os.remove(slow_out)
    local scode, st = slow:match("^(%d+) ([%d.]+)")
    assert.equal("200", scode)
    assert.is_true(tonumber(st) >= 1.9, "slow request took " .. tostring(st))
  end)
end)
