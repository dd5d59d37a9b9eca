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
    -- a hang guard, not a speed target: the sleep was asked for math.huge
    assert.is_true(ms ~= nil and ms < 20000, out)
  end)

  it("sleep() of NaN, -inf, 0 or a negative returns at once", function()
    local t0 = core.now()
    for _, s in ipairs{ 0 / 0, -math.huge, 0, -1, 1e-300 } do assert.is_true(core.sleep(s)) end
    assert.is_true(core.now() - t0 < 5) -- a hang guard: none of them sleeps
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

  it("NaN, zero or negative limits, or a non-string method, url or body raise before any request, naming the field (h:perform and m:start)", function()
    local h = core.http_new{ user_agent = "spec" }
    local m = core.multi_new()
    server:reset()
    local cases = {
      { timeout = 0 / 0 }, { timeout = 0 }, { timeout = -1 }, { timeout = -math.huge },
      { connect_timeout = 0 / 0 }, { connect_timeout = -5 },
      { max_bytes = 0 / 0 }, { max_bytes = -1 }, { max_bytes = -math.huge },
      { timeout = "30" },
      -- strings only, never a number converted: a converted string has no
      -- anchor once popped (ASan saw it freed while the headers were built)
      { method = 12345.5 }, { url = 8080 }, { body = 98765.25 }, { body = false },
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

describe("big integers stay exact (lkbigint.c, before cjson)", function()
  local TWO53 = "9007199254740992"

  it("quotes bare integers beyond 2^53, both signs; keeps 2^53 and below as numbers", function()
    local t = assert(core.decode("[7331558767219683329, -7331558767219683329, " .. TWO53 .. ", -" .. TWO53 ..
      ", 9007199254740993, -9007199254740993, 1152921504606846976, 123456789012345, 0, -1, " ..
      "18446744073709551616, 123456789012345678901234567890]"))
    assert.same("7331558767219683329", t[1])          -- a double reads ...328
    assert.same("-7331558767219683329", t[2])
    assert.equal(9007199254740992, t[3])
    assert.equal(-9007199254740992, t[4])
    assert.same("9007199254740993", t[5])
    assert.same("-9007199254740993", t[6])
    assert.same("1152921504606846976", t[7])           -- 2^60: a double holds it, a string all the same
    assert.equal(123456789012345, t[8])
    assert.equal(0, t[9])
    assert.equal(-1, t[10])
    assert.same("18446744073709551616", t[11])
    assert.same("123456789012345678901234567890", t[12])
    if math.type then
      assert.equal("integer", math.type(t[3]))
      assert.equal("integer", math.type(t[8]))
    end
  end)

  it("leaves numbers with a fraction or an exponent as numbers", function()
    local t = assert(core.decode('{"a": 7331558767219683329.5, "b": 7331558767219683329e2, "c": 1e17, ' ..
      '"d": -12345678901234567890E-3, "e": 1.5e+300}'))
    for _, k in ipairs{ "a", "b", "c", "d", "e" } do assert.equal("number", type(t[k]), k) end
  end)

  it("never touches digits inside strings, whatever the escapes", function()
    local text = '{"a": "7331558767219683329", "b": "x\\"7331558767219683329", "c": "\\\\", ' ..
      '"d": 7331558767219683329, "e": "\\\\\\"12345678901234567890\\\\", "f": "urn:li:fsd_invitation:7331558767219683329", ' ..
      '"g": "\\u00e9 9999999999999999999"}'
    local t = assert(core.decode(text))
    assert.equal("7331558767219683329", t.a)
    assert.equal('x"7331558767219683329', t.b)
    assert.equal("\\", t.c)
    assert.equal("7331558767219683329", t.d)
    assert.equal('\\"12345678901234567890\\', t.e)
    assert.equal("urn:li:fsd_invitation:7331558767219683329", t.f)
    assert.equal("\195\169 9999999999999999999", t.g)
  end)

  it("finds a long digit run at every alignment (the fast path's probe)", function()
    for pad = 0, 40 do
      for _, digits in ipairs{ "9007199254740993", "12345678901234567", "7331558767219683329" } do
        local t = assert(core.decode(string.rep(" ", pad) .. "[" .. digits .. "]"))
        assert.equal(digits, t[1], "pad " .. pad)
      end
      local t = assert(core.decode(string.rep(" ", pad) .. "[" .. TWO53 .. "]"))
      assert.equal(9007199254740992, t[1])
    end
  end)

  it("quotes values only: a bare number where a key belongs stays refused", function()
    for _, bad in ipairs{ "{12345678901234567890: 1}", '{"a": 1, 12345678901234567890: 1}',
                          '[{"a": {}, 12345678901234567890: 2}]' } do
      local v, err = core.decode(bad)
      assert.is_nil(v, bad)
      assert.matches("key", err)
    end
    local t = assert(core.decode('[{}, 12345678901234567890, {"a": {}, "b": 12345678901234567890, ' ..
      '"c": [12345678901234567890]}]'))
    assert.equal("12345678901234567890", t[2])
    assert.equal("12345678901234567890", t[3].b)
    assert.equal("12345678901234567890", t[3].c[1])
    -- 64 levels (cjson's limit here) are quoted; 65 are refused as before
    t = assert(core.decode(string.rep("[", 64) .. "12345678901234567890" .. string.rep("]", 64)))
    for _ = 1, 63 do t = t[1] end
    assert.equal("12345678901234567890", t[1])
    assert.is_nil((core.decode(string.rep("[", 65) .. "12345678901234567890" .. string.rep("]", 65))))
  end)

  it("copies nothing when there is nothing to quote, and bad JSON stays bad", function()
    local s = '{"a": 123456789012345, "b": "12345678901234567890"}'
    assert.equal(s, core._quote_bigints(s))
    for _, bad in ipairs{ "[00000000000000000000012]", "[-]", "[7331558767219683329", '["7331558767219683329]',
                          "[1e]", "[--7331558767219683329]" } do
      local v, err = core.decode(bad)
      assert.is_nil(v, bad)
      assert.is_string(err)
    end
  end)

  it("agrees with the rule on random documents (strings, escapes, signs, fractions, exponents)", function()
    math.randomseed(20261123)
    local function digits(n)
      local t = { tostring(math.random(1, 9)) }
      for i = 2, n do t[i] = tostring(math.random(0, 9)) end
      return table.concat(t)
    end
    local function beyond(d)
      return #d > #TWO53 or (#d == #TWO53 and d > TWO53)
    end
    for _ = 1, 300 do
      local parts, want = {}, {}
      for i = 1, math.random(1, 12) do
        local r = math.random(1, 5)
        local text, expect
        if r == 1 or r == 2 then                      -- a bare integer
          local d = digits(math.random(1, 24))
          local neg = math.random(2) == 1 and "-" or ""
          text = neg .. d
          if beyond(d) then expect = neg .. d else expect = tonumber(neg .. d) end
        elseif r == 3 then                            -- a number with a fraction or exponent
          local d = digits(math.random(1, 22))
          text = d .. (math.random(2) == 1 and ("." .. digits(3)) or ("e" .. math.random(0, 5)))
          expect = tonumber(text)
        else                                          -- a string of digits, quotes, backslashes
          local bits, val = {}, {}
          for j = 1, math.random(1, 6) do
            local k = math.random(1, 4)
            if k == 1 then bits[j], val[j] = '\\"', '"'
            elseif k == 2 then bits[j], val[j] = "\\\\", "\\"
            else local d = digits(math.random(1, 22)); bits[j], val[j] = d, d end
          end
          text, expect = '"' .. table.concat(bits) .. '"', table.concat(val)
        end
        parts[i], want[i] = text, expect
      end
      local doc = "[" .. table.concat(parts, ", ") .. "]"
      local got = assert(core.decode(doc))
      for i = 1, #want do
        assert.equal(type(want[i]), type(got[i]), doc)
        if type(want[i]) == "string" then assert.equal(want[i], got[i], doc)
        else assert.is_true(got[i] == want[i] or math.abs(got[i] - want[i]) <= math.abs(want[i]) * 1e-15, doc) end
      end
    end
  end)

  it("v1 invitations from the fake (bigint lie): every invitation_id is its exact digits", function()
    local server = H.start_server()
    server:config{ lie = { bigint = true } }
    local h = core.http_new{ user_agent = "spec" }
    local status, body = h:perform{ method = "POST", url = server.url .. "/v1/network/invitations",
      headers = { ["x-api-key"] = H.API_KEY, ["content-type"] = "application/json" },
      body = '{"login_token": "' .. H.TOKEN .. '", "total_results": 20}' }
    h:close()
    server:stop()
    assert.equal(200, status)
    local raw = {}
    for d in body:gmatch('"invitation_id": (%-?%d+)') do raw[#raw + 1] = d end
    assert.is_true(#raw >= 10)
    local doc = assert(core.decode(body))
    local items = doc.data.invitations
    assert.equal(#raw, #items)
    local rounds_wrong = 0
    for i, it in ipairs(items) do
      assert.equal("string", type(it.invitation_id))
      assert.equal(raw[i], it.invitation_id)
      assert.equal("urn:li:fsd_invitation:" .. raw[i], it.entity_urn)
      if string.format("%.0f", tonumber(raw[i])) ~= raw[i] then rounds_wrong = rounds_wrong + 1 end
    end
    assert.is_true(rounds_wrong > 0, "the lie should include ids a double cannot hold")
  end)

  it("through a plain transport function: a client's data carries the exact digits", function()
    local server = H.start_server()
    local http = core.http_new{ user_agent = "spec" }
    local ids = { "7331558767219683329", "-7453486530700017665", "9007199254740993" }
    local n = 0
    local c = H.linkup.new{ api_key = H.API_KEY, account_id = H.ACCOUNT, base_url = server.url, rate_limit = false,
      transport = function(req)
        local status, body, headers = http:perform(req)
        -- every connection gains a bare big integer
        body = body:gsub('"name":', function()
          n = n + 1
          return '"member_id": ' .. ids[(n - 1) % #ids + 1] .. ', "name":'
        end)
        return status, body, headers
      end }
    local data = assert(c:connections{ count = 6 })
    c:close()
    http:close()
    server:stop()
    assert.equal(6, #data.connections)
    for i, p in ipairs(data.connections) do assert.equal(ids[(i - 1) % #ids + 1], p.member_id) end
    if math.type then assert.equal("integer", math.type(data.total_available_results)) end
  end)
end)

describe("out of memory in decode (fuzz/oom_decode.c)", function()
  if (os.getenv("LINKUP_SUITE") or "lua5.4") ~= "lua5.4" then return end
  it("raises a memory error at every allocation that fails, never returns it as a decode error", function()
    local out, ok = H.sh("make -s oom-test 2>&1")
    assert.is_true(ok, out)
    assert.matches("failure points", out)
    print("  " .. out:gsub("\n$", ""):gsub("\n", "\n  "))
  end)
end)

describe("two threads loading linkup at once (ThreadSanitizer)", function()
  if (os.getenv("LINKUP_SUITE") or "lua5.4") ~= "lua5.4" then return end
  it("runs curl_global_init once, with no data race (spec/c/two_states.c, gcc -fsanitize=thread)", function()
    local dir = os.tmpname()
    os.remove(dir)
    local script = table.concat({
      "set -e",
      "mkdir -p " .. dir,
      -- the module under TSan, and the program: two threads, a state each
      "make -s BUILD=" .. dir .. "/tsan CFLAGS='-O1 -g -fsanitize=thread' LDFLAGS=-fsanitize=thread",
      "gcc -std=c99 -Wall -Wextra -Werror -O1 -g -fsanitize=thread spec/c/two_states.c -o " .. dir ..
        "/two -I/usr/include/lua5.4 -llua5.4 -pthread -ldl",
      "TSAN_OPTIONS='halt_on_error=1 exitcode=66' " .. dir ..
        "/two '" .. dir .. "/tsan/?.so;/usr/lib/x86_64-linux-gnu/lua/5.4/?.so' 100 2>&1",
    }, "\n")
    local out, ok = H.sh(script)
    H.sh("rm -rf " .. dir)
    assert.is_true(ok, out)
    assert.not_matches("ThreadSanitizer", out)
    assert.matches("100 rounds of two states loading linkup at once, 0 failures", out)
    print("  " .. out:gsub("\n$", "") .. " (ThreadSanitizer: no report)")
  end)
end)

describe("descriptors of clients dropped without close()", function()
  local server
  setup(function() server = H.start_server("--quiet-log") end)
  teardown(function() server:stop() end)

  it("2,000 requests on new dropped clients under ulimit -n 256: no failure, at most 56 more descriptors", function()
    -- about 3 descriptors per uncollected client (its connection, the
    -- multi's wakeup pair) and a full collection once 16 are alive
    -- (LK_MULTI_GC_AFTER): 16 * 3 = 48 more than at the start, measured 45
    -- to 48. Counted from the start: the child inherits the suite's own
    -- descriptors (libcurl 7.88's sockets are not close-on-exec).
    local out = H.sh(string.format("ulimit -n 256 && env LUA_PATH=%s LUA_CPATH=%s %s spec/fd_child.lua %s %s 2000 2>&1",
      H.q(package.path), H.q(package.cpath), H.q(LUA), H.q(server.url), H.q(H.API_KEY)), true)
    print("  " .. LUA .. ": " .. out:gsub("\n$", ""))
    assert.matches("failures 0,", out)
    local before, most = out:match("(%d+) before, (%d+) at most")
    assert.is_true(most ~= nil and tonumber(most) - tonumber(before) <= 56, out)
  end)

  it("a program that keeps many clients open does not pay a full collection for each new one", function()
    local reg = debug.getregistry()
    local kept = {}
    for i = 1, 40 do kept[i] = H.linkup.new{ api_key = H.API_KEY, base_url = server.url, account_id = "a",
                                               rate_limit = false } end
    -- the threshold moved up past the live count: the next new client
    -- (41st) runs no collection
    assert.is_true(reg["linkup.multi.gc_at"] > 32, tostring(reg["linkup.multi.gc_at"]))
    for _, c in ipairs(kept) do c:close() end
  end)
end)

describe("luarocks on the suite's own Lua version", function()
  local v = (os.getenv("LINKUP_SUITE") or ""):match("^lua(5%.[123])$")
  if not v then return end -- 5.4: spec/01; LuaJIT: the OpenResty spec builds it
  it("installs from a clean copy with luarocks --lua-version " .. v .. " and loads from the tree alone", function()
    local tmp = os.tmpname()
    os.remove(tmp)
    local out, ok = H.sh(table.concat({
      "set -e",
      "mkdir -p " .. tmp .. "/src",
      "tar --exclude=./build --exclude=./.git -cf - . | (cd " .. tmp .. "/src && tar xf -)",
      "cd " .. tmp .. "/src",
      "luarocks --lua-version " .. v .. " --tree " .. tmp .. "/tree make --deps-mode none rockspec/linkup-scm-1.rockspec" ..
        " >" .. tmp .. "/rocks.log 2>&1 || { cat " .. tmp .. "/rocks.log; exit 1; }",
      "cd /",
      "ldd " .. tmp .. "/tree/lib/lua/" .. v .. "/linkup.so | grep -c liblua || true",
      "env LUA_PATH=" .. H.q(tmp .. "/tree/share/lua/" .. v .. "/?.lua") ..
        " LUA_CPATH=" .. H.q(tmp .. "/tree/lib/lua/" .. v .. "/?.so;/usr/lib/x86_64-linux-gnu/lua/" .. v .. "/?.so") ..
        " lua" .. v .. " -e 'local l = require \"linkup\"; print(l._VERSION, _VERSION, type(require(\"linkup.core\").decode))'",
    }, "\n") .. "\nrc=$?; rm -rf " .. tmp .. "; exit $rc")
    assert.is_true(ok, out)
    assert.matches("^0\nlinkup %d+%.%d+%.%d+\tLua " .. v:gsub("%.", "%%.") .. "\tfunction\n$", out)
  end)
end)

describe("connections and child processes", function()
  it("a child started while a client is open does not inherit its connection (close-on-exec)", function()
    local server = H.start_server()
    local out = H.sh(string.format("env LUA_PATH=%s LUA_CPATH=%s %s spec/cloexec_child.lua %s %s 2>&1",
      H.q(package.path), H.q(package.cpath), H.q(LUA), H.q(server.url), H.q(H.API_KEY)), true)
    server:stop()
    assert.matches("^tcp 1, inherited 0\n$", out)
  end)
end)
