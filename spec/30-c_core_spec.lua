-- The C core (csrc/) on its own and at its edges: hostile numbers, cut or
-- swollen responses, big integers, several threads, file descriptors, and
-- every Lua version. Bytes are written as decimal escapes ("\195\164"),
-- which every Lua reads (\xNN is 5.2+ syntax).
local H = require "helpers"
local core = require "linkup.core"

local LUA = os.getenv("LINKUP_LUA") or "lua5.4"

describe("the C core on every Lua", function()
  it("keeps UTF-8, quotes, backslashes and newlines exact (decode)", function()
    local s = 'Linda K\195\164llqvist "Q" \\ \n \240\159\154\128'
    local t = assert(core.decode(core.encode({ name = s })))
    assert.equal(s, t.name)
    t = assert(core.decode('{"n":"\\u00e9\\ud83d\\ude80"}'))
    assert.equal("\195\169\240\159\154\128", t.n)
  end)

  it("keeps every odd character of names from the fake API exact", function()
    local server = H.start_server()
    local c = H.client(server)
    local data = assert(c:connections{ count = 100 })
    c:close()
    server:stop()
    local names = {}
    for _, p in ipairs(data.connections) do names[#names + 1] = p.name end
    local all = table.concat(names, "|")
    assert.matches("\195\164", all, 1, true)        -- accent
    assert.matches("\240\159", all, 1, true)        -- emoji
    assert.matches('"', all, 1, true)
    assert.matches("\\", all, 1, true)
    assert.matches("\n", all, 1, true)
    assert.matches("\231\142\139", all, 1, true)    -- CJK
  end)
end)

-- Runs a Lua snippet in a child interpreter of the suite's version, on the
-- suite's build (and, under the asan suite, its preloaded runtimes).
local function child_cmd(code)
  return string.format("env LUA_PATH=%s LUA_CPATH=%s %s -e %s", H.q(package.path), H.q(package.cpath),
    H.q(LUA), H.q(code))
end

describe("hostile numbers reaching C", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)

  local function req(extra)
    local r = { method = "GET", url = server.url .. "/_health", headers = { accept = "application/json" } }
    for k, v in pairs(extra or {}) do r[k] = v end
    return r
  end

  it("sleep(math.huge) sleeps (clamped, no spin), and SIGINT ends it at once with 'interrupted'", function()
    -- (Retry-After: 1e400 reads as math.huge.) The child must still be
    -- asleep after 0.3 s, then exit within 2 s of the signal.
    local script = table.concat({
      child_cmd('require "linkup"; local r = require("linkup.core").sleep(math.huge); print("returned", r)') ..
        " >$T/out 2>&1 & pid=$!",
      "sleep 0.3",
      "kill -0 $pid 2>/dev/null && echo alive-after-0.3s",
      "t0=$(date +%s%N); kill -INT $pid; wait $pid; rc=$?; t1=$(date +%s%N)",
      "echo rc=$rc ms=$(( (t1 - t0) / 1000000 ))",
      "cat $T/out",
    }, "\n")
    local out = H.sh("T=$(mktemp -d); " .. script .. "\nrm -rf $T", true)
    assert.matches("alive%-after%-0%.3s", out)
    assert.matches("interrupted", out)
    assert.not_matches("returned", out)
    assert.not_matches("rc=0", out)
    local ms = tonumber(out:match("ms=(%d+)"))
    assert.is_true(ms ~= nil and ms < 2000, out)
  end)

  it("sleep() of NaN, -inf, 0 or a negative returns at once", function()
    local t0 = core.now()
    for _, s in ipairs{ 0 / 0, -math.huge, 0, -1, 1e-300 } do assert.is_true(core.sleep(s)) end
    assert.is_true(core.now() - t0 < 0.5)
  end)

  it("timeout, connect_timeout and max_bytes of math.huge or 1e300 are clamped and the request runs", function()
    local h = core.http_new{ user_agent = "spec" }
    for _, v in ipairs{ math.huge, 1e300, 2 ^ 63, 9.3e18 } do
      local status, body = h:perform(req{ timeout = v, connect_timeout = v, max_bytes = v })
      assert.equal(200, status)
      assert.matches("ok", body)
    end
    h:close()
  end)

  it("NaN, zero or negative limits raise before any request, naming the field (h:perform and m:start)", function()
    local h = core.http_new{ user_agent = "spec" }
    local m = core.multi_new()
    server:reset()
    local cases = {
      { timeout = 0 / 0 }, { timeout = 0 }, { timeout = -1 }, { timeout = -math.huge },
      { connect_timeout = 0 / 0 }, { connect_timeout = -5 },
      { max_bytes = 0 / 0 }, { max_bytes = -1 }, { max_bytes = -math.huge },
      { timeout = "30" },
    }
    for _, extra in ipairs(cases) do
      local field = next(extra)
      local ok, err = pcall(h.perform, h, req(extra))
      assert.is_false(ok)
      assert.matches("request%." .. field, err)
      ok, err = pcall(m.start, m, h, req(extra))
      assert.is_false(ok)
      assert.matches("request%." .. field, err)
      assert.equal("idle", h:state())
    end
    -- the handle still works, and nothing was sent meanwhile
    assert.equal(200, (h:perform(req())))
    h:close()
    m:close()
  end)

  it("m:wait() of math.huge, NaN or a negative returns with nothing running", function()
    local m = core.multi_new()
    for _, s in ipairs{ math.huge, 1e300, 0 / 0, -1, -math.huge } do
      local ended, running = m:wait(s)
      assert.equal(0, ended)
      assert.equal(0, running)
    end
    m:close()
  end)

  it("a failed curl_easy_setopt raises before the transfer, naming the option (never the last URL again)", function()
    local h = core.http_new{ user_agent = "spec" }
    server:reset()
    -- an API path, so that the fake counts it
    local api = req{ url = server.url .. "/v2/accounts", headers = { ["x-api-key"] = H.API_KEY } }
    assert.equal(200, (h:perform(api)))
    -- libcurl refuses strings over 8 MB (CURL_MAX_INPUT_LENGTH): unchecked,
    -- the handle kept the previous URL and sent the request there again
    api.url = server.url .. "/v2/accounts?" .. string.rep("a", 9 * 1000 * 1000)
    local ok, err = pcall(h.perform, h, api)
    assert.is_false(ok)
    assert.matches("CURLOPT_URL", err)
    assert.equal(1, server:stats().requests)
    ok, err = pcall(core.http_new, { user_agent = string.rep("u", 9 * 1000 * 1000) })
    assert.is_false(ok)
    assert.matches("CURLOPT_USERAGENT", err)
    h:close()
  end)

  it("a method or header that would break the request line raises before anything is sent", function()
    local h = core.http_new{ user_agent = "spec" }
    for _, r in ipairs{
      req{ method = "GET /x HTTP/1.1\r\nX: y" }, req{ method = "" }, req{ method = "G T" },
      req{ headers = { ["x-a"] = "1\r\nx-b: 2" } }, req{ headers = { ["x-a"] = "1\0002" } },
      req{ headers = { ["x\na"] = "1" } }, req{ headers = { ["x-a"] = 5 } }, req{ headers = { ["x:a"] = "1" } },
      req{ headers = { [""] = "1" } },
    } do
      local ok, err = pcall(h.perform, h, r)
      assert.is_false(ok)
      assert.matches("request", err)
    end
    h:close()
  end)
end)

-- spec/fake/raw_http.py: canned byte streams, cut or swollen.
local function start_raw()
  local portfile = os.tmpname()
  os.remove(portfile)
  local pid = H.sh(string.format("python3 spec/fake/raw_http.py --port-file %s --max-lifetime 300 >/dev/null 2>&1 & echo $!",
    portfile)):match("%d+")
  local port
  for _ = 1, 200 do
    local f = io.open(portfile, "r")
    if f then
      port = tonumber(f:read("*a"))
      f:close()
      if port then break end
    end
    H.sleep(0.05)
  end
  os.remove(portfile)
  assert(port, "raw_http.py did not start")
  local url = "http://127.0.0.1:" .. port
  local raw = { url = url }
  function raw.stop() H.sh("kill " .. pid .. " 2>/dev/null") end
  function raw.count() return tonumber((H.sh("curl -sS --max-time 10 " .. H.q(url .. "/_count")))) end
  return raw
end

describe("responses cut or swollen (spec/fake/raw_http.py)", function()
  local raw, h
  setup(function()
    raw = start_raw()
    h = core.http_new{ user_agent = "spec" }
  end)
  teardown(function()
    h:close()
    raw.stop()
  end)

  local function perform(path, max_bytes)
    return h:perform{ method = "GET", url = raw.url .. path, headers = {}, max_bytes = max_bytes or 2000 }
  end

  it("answers a whole response as usual (the server works)", function()
    local status, body = perform("/ok")
    assert.equal(200, status)
    assert.equal("{}", body)
    status, body = perform("/no-length")
    assert.equal(200, status)
    assert.equal('{"a": 1}', body)
  end)

  it("a response cut in its status line, headers or body is a network error, never a 200", function()
    for _, path in ipairs{ "/cut-status", "/cut-after-status", "/cut-headers", "/cut-before-blank",
                           "/cut-body", "/cut-chunked" } do
      local status, msg, kind, _, sent = perform(path)
      assert.is_nil(status, path .. " read as a response")
      assert.equal("network", kind, path)
      assert.is_string(msg)
      assert.is_true(sent, path)
    end
    local _, msg = perform("/cut-headers")
    assert.matches("cut short in its headers", msg)
  end)

  it("a header line over libcurl's 100 KB or a header block over 256 KB is too_large, not out of memory", function()
    for _, path in ipairs{ "/giant-line", "/giant-line?n=150000", "/giant-block", "/giant-block?n=270000" } do
      local status, msg, kind = perform(path)
      assert.is_nil(status, path)
      assert.equal("too_large", kind, path)
      assert.matches("response headers too large", msg)
      assert.not_matches("memory", msg)
    end
    -- under the bounds: answered
    assert.equal(200, (perform("/giant-line?n=90000")))
    assert.equal(200, (perform("/giant-block?n=250000")))
  end)

  it("a body over max_bytes stays too_large, with or without Content-Length", function()
    assert.equal(200, (perform("/big-body?n=2000")))
    for _, path in ipairs{ "/big-body?n=5000", "/big-body-nolen?n=5000" } do
      local status, msg, kind = perform(path)
      assert.is_nil(status)
      assert.equal("too_large", kind)
      assert.matches("max_response_bytes", msg)
    end
  end)

  it("through a client: cut responses are retried, swollen ones are not", function()
    local function call(path, opts)
      local o = { base_url = raw.url .. path, max_retries = 2 }
      for k, v in pairs(opts or {}) do o[k] = v end
      local c = H.client({ url = raw.url .. path }, o)
      local before = raw.count()
      local data, err = c:connections{ count = 5 }
      c:close()
      return data, H.keep(err), raw.count() - before
    end
    for _, path in ipairs{ "/cut-headers", "/cut-after-status", "/cut-body" } do
      local data, err, sent = call(path)
      assert.is_nil(data)
      assert.equal("network", err.kind, path)
      assert.is_true(err.retryable, path)
      assert.equal(3, err.attempts, path)
      assert.equal(3, sent, path)
    end
    for _, case in ipairs{ { "/giant-line" }, { "/giant-block" },
                           { "/big-body", { max_response_bytes = 1024 } } } do
      local data, err, sent = call(case[1], case[2])
      assert.is_nil(data)
      assert.is_false(err.retryable, case[1])
      assert.equal(1, err.attempts, case[1])
      assert.equal(1, sent, case[1])
    end
  end)
end)
