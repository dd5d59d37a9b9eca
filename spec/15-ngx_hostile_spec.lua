-- The ngx transport in a real nginx (Debian's nginx + libnginx-mod-http-lua,
-- LuaJIT) against a hostile upstream (spec/fake/hostile.py): one spec per
-- misbehaviour of issue 11 and the write rule of issue 12. Each request goes
-- to /call, a location that runs linkup with transport = "ngx" against
-- http://127.0.0.1:PORT/<mode>, and answers what linkup returned with the
-- time it took inside nginx.
--
-- Times are printed; the bounds asserted are generous (this machine is
-- noisy): what matters is "about the timeout, not 25 times it" and "another
-- request is served while this one is stuck".
local H = require "helpers"
local N = require "nginx_helpers"
local cjson = require "cjson"

if (os.getenv("LINKUP_SUITE") or "luajit") ~= "luajit" then return end
local format = string.format

local CONF = [[
@NGINX_MAIN@
http {
    access_log off;
    client_body_temp_path @PREFIX@/tmp;
    proxy_temp_path @PREFIX@/tmp;
    fastcgi_temp_path @PREFIX@/tmp;
    uwsgi_temp_path @PREFIX@/tmp;
    scgi_temp_path @PREFIX@/tmp;
    lua_package_path "@LINKUP_LUA@/?.lua;;";
    lua_package_cpath "@LINKUP_SO@/?.so;;";
    lua_socket_log_errors off;
    # the test CA of the TLS fakes (spec/fake/linkupapi.py --tls-cert)
    lua_ssl_trusted_certificate @CA@;
    init_by_lua_block {
        linkup = require "linkup"
        cjson = require "cjson.safe"
    }
    server {
        listen 127.0.0.1:@PORT@;
        # /call?mode=M&steps=read,sleep,write&timeout=T&retries=R
        location = /call {
            default_type application/json;
            content_by_lua_block {
                local a = ngx.req.get_uri_args()
                local base = ({ tls = "@TLS_URL@", untrusted = "@UNTRUSTED_URL@" })[a.mode] or ("@HOSTILE@/" .. a.mode)
                local client = linkup.new{
                    api_key = "@API_KEY@", base_url = base, account_id = "acc-main",
                    transport = "ngx", rate_limit = false,
                    timeout = tonumber(a.timeout) or 5, connect_timeout = 2,
                    max_retries = tonumber(a.retries) or 0,
                    retry_base = 0.05, retry_cap = 0.1,
                }
                local out = {}
                for step in (a.steps or "read"):gmatch("[^,]+") do
                    if step == "sleep" then
                        ngx.sleep(0.5)
                    else
                        ngx.update_time()
                        local t0 = ngx.now()
                        local data, meta
                        if step == "write" then
                            data, meta = client:invite{ profile_url = "https://www.linkedin.com/in/someone" }
                        else
                            data, meta = client:connections{ count = 5 }
                        end
                        ngx.update_time()
                        local r = { step = step, elapsed = ngx.now() - t0, ok = data ~= nil,
                                    status = meta.status, attempts = meta.attempts }
                        if not data then
                            r.kind, r.message, r.uncertain = meta.kind, meta.message, meta.uncertain
                        else
                            r.count = data.connections and #data.connections
                        end
                        out[#out + 1] = r
                    end
                end
                ngx.say(cjson.encode{ results = out, pid = ngx.worker.pid() })
            }
        }
        location = /ping { return 200 "pong\n"; }
    }
}
]]

local function now()
  return tonumber((H.sh("date +%s.%N")))
end

describe("ngx transport against a hostile upstream (real nginx)", function()
  if not N.available() then
    it("needs nginx and libnginx-mod-http-lua", function() error("nginx or its lua module is missing") end)
    return
  end
  local prefix, port, ng, hostile_pid, hostile, worker, tls, untrusted

  -- curl (never through linkup) to nginx or the upstream
  local function curl(url, max_time)
    local out = H.sh(format("curl -sS --max-time %d -w '\\n%%{http_code} %%{time_total}' %s 2>/dev/null",
      max_time or 30, H.q(url)))
    local body, code, t = out:match("^(.*)\n(%d+) ([%d.]+)$")
    return body, tonumber(code), tonumber(t)
  end

  local function query(q) return "http://127.0.0.1:" .. port .. "/call?" .. q end

  -- one /call: its results (one per step), curl's wall time
  local function call(q, max_time)
    local body, code, t = curl(query(q), max_time)
    assert.equal(200, code, body)
    local doc = cjson.decode(body)
    worker = doc.pid
    return doc.results, t
  end

  -- a /call in the background: started now, :wait() gives what call gives
  local function background(q)
    local file = os.tmpname()
    H.sh(format("curl -sS --max-time 60 -o %s.body -w '%%{http_code} %%{time_total}' %s > %s.meta 2>/dev/null &",
      file, H.q(query(q)), file))
    local b = { file = file }
    function b.done() local f = io.open(file .. ".meta") local s = f and f:read("*a") or "" if f then f:close() end
      return s:match("^%d+ ") ~= nil end
    function b.wait()
      for _ = 1, 600 do
        if b.done() then break end
        H.sleep(0.1)
      end
      local meta = assert(io.open(file .. ".meta")):read("*a")
      local body = assert(io.open(file .. ".body")):read("*a")
      os.remove(file) os.remove(file .. ".meta") os.remove(file .. ".body")
      local code, t = meta:match("^(%d+) ([%d.]+)")
      assert.equal("200", code, body)
      return cjson.decode(body).results, tonumber(t)
    end
    return b
  end

  -- Another request, to another upstream, while one is stuck: it must be
  -- served while the first still waits (the callers assert that: no clock).
  -- Returns its wall time and whether the stuck one was still running.
  local function meanwhile(stuck)
    local r, t = call("mode=ok&timeout=5", 10)
    assert.is_true(r[1].ok, r[1].message)
    assert.equal(5, r[1].count)
    local _, code = curl("http://127.0.0.1:" .. port .. "/ping", 5)
    assert.equal(200, code)
    return t, not stuck.done()
  end

  local function upstream(path, method)
    local out = H.sh(format("curl -sS --max-time 5 -X %s %s", method or "GET", H.q(hostile .. path)))
    return cjson.decode(out)
  end

  -- the control endpoints of a TLS fake (helpers' speak plain HTTP)
  local function tls_control(server, path, method)
    local url = server.url:gsub("^http:", "https:") .. path
    return cjson.decode((H.sh(format("curl -sSk --max-time 5 -X %s %s", method or "GET", H.q(url)))))
  end

  local function status_kb(field)
    local f = io.open("/proc/" .. worker .. "/status")
    if not f then return nil end
    local s = f:read("*a")
    f:close()
    return tonumber(s:match(field .. ":%s*(%d+) kB"))
  end

  setup(function()
    local portfile = os.tmpname()
    os.remove(portfile)
    hostile_pid = H.sh(format("python3 spec/fake/hostile.py --port-file %s --lifetime 900 >/dev/null 2>&1 & echo $!",
      portfile)):match("%d+")
    local hport
    for _ = 1, 100 do
      local f = io.open(portfile)
      if f then hport = tonumber(f:read("*a")) f:close() end
      if hport then break end
      H.sleep(0.05)
    end
    os.remove(portfile)
    assert(hport, "the hostile upstream did not start")
    hostile = "http://127.0.0.1:" .. hport

    prefix = N.prefix()
    -- two TLS fakes: one with the CA nginx trusts, one with a stranger's.
    -- nginx checks a name against DNS entries only, hence DNS:127.0.0.1 too
    for _, who in ipairs{ "ca", "stranger" } do
      local _, ok = H.sh(format("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 " ..
        "-addext subjectAltName=IP:127.0.0.1,DNS:127.0.0.1 -keyout %s/%s-key.pem -out %s/%s.pem 2>/dev/null",
        prefix, who, prefix, who))
      assert(ok, "openssl could not make a certificate")
    end
    tls = H.start_server(format("--tls-cert %s/ca.pem --tls-key %s/ca-key.pem", prefix, prefix))
    untrusted = H.start_server(format("--tls-cert %s/stranger.pem --tls-key %s/stranger-key.pem", prefix, prefix))
    ng = N.start(CONF, { HOSTILE = hostile, API_KEY = H.API_KEY, CA = prefix .. "/ca.pem",
                         TLS_URL = tls.url:gsub("^http:", "https:"),
                         UNTRUSTED_URL = untrusted.url:gsub("^http:", "https:") }, prefix)
    port = ng.port
    call("mode=ok") -- learns the worker's pid
  end)

  teardown(function()
    if hostile_pid then H.sh("kill " .. hostile_pid .. " 2>/dev/null") end
    if tls then tls:stop() end
    if untrusted then untrusted:stop() end
    -- a Lua error in the worker would be in its log
    if ng then ng:stop{ "%[warn%]", "%[error%]", "%[alert%]" } end
  end)

  before_each(function() upstream("/_reset", "POST") end)

  it("a huge body without Content-Length: too_large at once, the worker's memory bounded", function()
    local hwm0 = status_kb("VmHWM")
    local job = background("mode=huge&timeout=30")
    local peak = 0
    while not job.done() do
      local rss = status_kb("VmRSS")
      if rss and rss > peak then peak = rss end
      H.sleep(0.05)
    end
    local r, t = job.wait()
    local hwm = status_kb("VmHWM")
    local sent = upstream("/_stats").huge or 0
    print(format("\n  huge: %s after %.3f s in nginx (%.3f s wall); worker VmRSS peak seen %d kB, VmHWM %d -> %d kB;" ..
      " the upstream sent %.1f MB", r[1].kind, r[1].elapsed, t, peak, hwm0, hwm, sent / 1e6))
    assert.is_false(r[1].ok)
    assert.equal("decode", r[1].kind) -- the engine's kind for a transport's too_large
    assert.matches("exceeds max_response_bytes %(16777216%)", r[1].message)
    assert.equal(200, r[1].status)
    assert.is_true(r[1].elapsed < 5, "took " .. r[1].elapsed)
    -- 16 MiB of body, read in pieces: the worker grows by a small multiple of that, not by the 3 GB offered
    assert.is_true(hwm - hwm0 < 150 * 1024, "worker high-water mark grew by " .. (hwm - hwm0) .. " kB")
    assert.is_true(sent < 200 * 1e6, "the upstream sent " .. sent)
  end)

  it("a Content-Length over the limit is refused before the body is read", function()
    local r, t = call("mode=huge_length&timeout=30")
    print(format("\n  huge_length: %s (%s) after %.3f s in nginx (%.3f s wall)", r[1].kind, r[1].message, r[1].elapsed, t))
    assert.equal("decode", r[1].kind)
    assert.matches("exceeds max_response_bytes", r[1].message)
    assert.is_true(r[1].elapsed < 5)
  end)

  it("headers at 1 byte/s with timeout 2: fails in about 2 s, and the worker serves others meanwhile", function()
    local job = background("mode=trickle_head&timeout=2")
    H.sleep(0.3)
    local t2, stuck = meanwhile(job)
    local r, t = job.wait()
    print(format("\n  trickle_head: %s after %.3f s in nginx (%.3f s wall); a request meanwhile took %.3f s%s",
      r[1].kind, r[1].elapsed, t, t2, stuck and " while the first was still waiting" or ""))
    assert.is_false(r[1].ok)
    assert.equal("timeout", r[1].kind)
    assert.equal(1, r[1].attempts)
    assert.is_true(r[1].elapsed >= 1.5 and r[1].elapsed < 8, "took " .. r[1].elapsed)
    assert.is_true(stuck, "the first request was over before the second was served")
  end)

  it("a slow body: the same deadline covers it", function()
    local job = background("mode=slow_body&timeout=2")
    H.sleep(0.3)
    local t2, stuck = meanwhile(job)
    local r, t = job.wait()
    print(format("\n  slow_body: %s after %.3f s in nginx (%.3f s wall); a request meanwhile took %.3f s",
      r[1].kind, r[1].elapsed, t, t2))
    assert.equal("timeout", r[1].kind)
    assert.is_true(r[1].elapsed >= 1.5 and r[1].elapsed < 8, "took " .. r[1].elapsed)
    assert.is_true(stuck)
  end)

  for _, c in ipairs{
    { "endless_line", "response head over 65536 bytes" },
    { "endless_trailers", "more than 256 lines" },
    { "many_headers", "more than 256 lines" },
  } do
    it(c[1] .. ": one clear error, long before the timeout, and the worker stays responsive", function()
      local t0 = now()
      local job = background("mode=" .. c[1] .. "&timeout=5")
      local t2 = meanwhile(job)
      local r, t = job.wait()
      local sent = upstream("/_stats")[c[1]] or 0
      print(format("\n  %s: %s (%s) after %.3f s in nginx (%.3f s wall, %.3f s all told); a request meanwhile took " ..
        "%.3f s; the upstream sent %.1f MB", c[1], r[1].kind, r[1].message, r[1].elapsed, t, now() - t0, t2, sent / 1e6))
      assert.is_false(r[1].ok)
      assert.equal("network", r[1].kind)
      assert.matches(c[2], r[1].message)
      assert.is_true(r[1].elapsed < 4 * 5, "took " .. r[1].elapsed)
    end)
  end

  it("100 and 103 are skipped; the real answer comes within the same deadline", function()
    local r = call("mode=interim&timeout=5")
    print(format("\n  interim: status %s, %s items after %.3f s", tostring(r[1].status), tostring(r[1].count), r[1].elapsed))
    assert.is_true(r[1].ok, r[1].message)
    assert.equal(200, r[1].status)
    assert.equal(5, r[1].count)
    assert.is_true(r[1].elapsed < 2.5, "took " .. r[1].elapsed)
  end)

  it("204 and 304 have no body: the answer is taken at once", function()
    for _, code in ipairs{ 204, 304 } do
      local r = call("mode=status" .. code .. "&timeout=5")
      print(format("\n  status%d: %s (%s) after %.3f s", code, r[1].kind, r[1].message, r[1].elapsed))
      assert.is_false(r[1].ok) -- a list with no body is not a page
      assert.equal(code, r[1].status)
      assert.is_true(r[1].elapsed < 2.5, "took " .. r[1].elapsed)
    end
  end)

  it("a non-hex chunk size: one clear error", function()
    local r = call("mode=badchunk&timeout=5")
    print(format("\n  badchunk: %s (%s) after %.3f s", r[1].kind, r[1].message, r[1].elapsed))
    assert.is_false(r[1].ok)
    assert.equal("network", r[1].kind)
    assert.matches("bad chunk size line", r[1].message)
    assert.is_true(r[1].elapsed < 2.5)
  end)

  it("a write whose connection the server closes unanswered reaches it exactly once", function()
    -- a read first leaves a kept-alive connection in the pool; the write
    -- must not take it, and with retries allowed it is still not resent
    local r = call("mode=dropwrite&steps=read,write&retries=2&timeout=5")
    local log = upstream("/_log")
    print(format("\n  dropwrite: read %s; write %s (%s), %d attempt(s), uncertain %s; the upstream saw %d request(s)",
      tostring(r[1].ok), r[2].kind, r[2].message, r[2].attempts, tostring(r[2].uncertain), #log))
    assert.is_true(r[1].ok, r[1].message)
    assert.is_false(r[2].ok)
    assert.equal("network", r[2].kind)
    assert.equal(1, r[2].attempts)
    assert.is_true(r[2].uncertain)
    local writes = {}
    for _, e in ipairs(log) do if e.write then writes[#writes + 1] = e end end
    assert.equal(1, #writes)
    assert.equal("invite", writes[1].action)
    assert.equal("close", writes[1].connection)
    assert.are_not.equal(log[1].conn, writes[1].conn) -- not the read's pooled connection
  end)

  it("keeps what works: keep-alive, a stale pooled connection retried for a read, never for a write", function()
    -- ok: two reads on one kept-alive connection
    call("mode=ok&steps=read,read")
    local log = upstream("/_log")
    assert.equal(2, #log)
    assert.equal(log[1].conn, log[2].conn)
    assert.equal("keep-alive", log[1].connection)
    -- staleread closes each connection 0.2 s after answering: the second
    -- read goes out on the dead pooled one, and again on a fresh one
    upstream("/_reset", "POST")
    local r = call("mode=staleread&steps=read,sleep,read,sleep,write&timeout=5")
    log = upstream("/_log")
    local seen = {}
    for i, e in ipairs(log) do seen[i] = (e.action or "?") .. "@" .. e.conn end
    print(format("\n  staleread: %s %s %s; the upstream saw %s", tostring(r[1].ok), tostring(r[2].ok), tostring(r[3].ok),
      table.concat(seen, " ")))
    for i = 1, 3 do assert.is_true(r[i].ok, r[i].message) end
    assert.equal(1, r[2].attempts) -- the retry is the transport's, inside one attempt
    assert.equal(3, #log)
    assert.equal("invite", log[3].action)
    assert.is_true(log[1].conn ~= log[2].conn and log[2].conn ~= log[3].conn)
  end)

  it("TLS: verified against lua_ssl_trusted_certificate, kept alive; a stranger's certificate is refused unsent", function()
    tls_control(tls, "/_reset", "POST")
    local r = call("mode=tls&steps=read,read&timeout=5")
    local log = tls_control(tls, "/_log")
    print(format("\n  tls: %s %s after %.3f s and %.3f s; %d request(s) on %d connection(s)", tostring(r[1].ok),
      tostring(r[2].ok), r[1].elapsed, r[2].elapsed, #log, log[1] and log[2] and log[1].conn == log[2].conn and 1 or 2))
    assert.is_true(r[1].ok, r[1].message)
    assert.is_true(r[2].ok, r[2].message)
    assert.equal(2, #log)
    assert.equal(log[1].conn, log[2].conn)
    -- a write to a server that fails verification never left: the engine
    -- may try it again (not_sent), and the server never saw it
    tls_control(untrusted, "/_reset", "POST")
    r = call("mode=untrusted&steps=read,write&timeout=5&retries=1")
    print(format("  untrusted: read %s (%s); write %s (%s) after %d attempt(s)", r[1].kind, r[1].message, r[2].kind,
      r[2].message, r[2].attempts))
    assert.equal("network", r[1].kind)
    assert.matches("tls", r[1].message)
    assert.equal("network", r[2].kind)
    assert.equal(2, r[2].attempts)
    assert.is_nil(r[2].uncertain)
    assert.equal(0, #tls_control(untrusted, "/_log"))
  end)
end)
