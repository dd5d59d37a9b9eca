-- Ctrl-C (issue 11, point 2): the interpreter's "interrupted!" is never
-- taken for a network error, is never followed by another attempt, and
-- reaches the script at once, during a request or during a pause. Real
-- SIGINTs to a child interpreter (lua5.4 or luajit, as the suite runs).
local H = require "helpers"
local linkup = H.linkup

local LUA = os.getenv("LINKUP_LUA") or "lua5.4"

-- Runs script in a child interpreter, sends it SIGINT after `after`
-- seconds; returns its stderr, exit code and how long it ran.
local function interrupt(script, after)
  local dir = os.tmpname()
  os.remove(dir)
  H.sh("mkdir -p " .. dir)
  local f = assert(io.open(dir .. "/s.lua", "w"))
  f:write(script)
  f:close()
  local cpath = package.cpath:match("^[^;]+")
  local out = H.sh(([[cd %s && t0=$(date +%%s.%%N);
    LUA_PATH=%s LUA_CPATH=%s %s %s/s.lua >%s/out 2>%s/err & pid=$!;
    sleep %s; kill -INT $pid; wait $pid; rc=$?; t1=$(date +%%s.%%N);
    echo "rc=$rc t0=$t0 t1=$t1"]]):format(H.q(os.getenv("PWD") or "."),
    H.q("lua/?.lua;spec/?.lua;;"), H.q(cpath .. ";;"), LUA, dir, dir, dir, after), true)
  local err = H.sh("cat " .. dir .. "/err")
  H.sh("rm -rf " .. dir)
  local t0, t1 = tonumber(out:match("t0=([%d.]+)")), tonumber(out:match("t1=([%d.]+)"))
  return err, tonumber(out:match("rc=(%d+)")), t1 and t0 and (t1 - t0), out
end

local function script(server, body)
  return ([[local linkup = require "linkup"
local c = linkup.new{ api_key = %q, base_url = %q, account_id = "acc-size-500", rate_limit = false,
                      max_retries = 3 }
%s]]):format(H.API_KEY, server.url, body)
end

describe("Ctrl-C", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  -- "at once": well before the answer (30 s away), a margin no load eats
  it("during a request: the script stops at once, and the request is not sent again", function()
    server:config{ latency = 30 }
    local err, rc, took = interrupt(script(server, [[
for i in c:each_connection{ page_size = 100 } do end
print("not reached")]]), 0.5)
    assert.matches("interrupted!", err)
    assert.not_matches("not reached", err)
    assert.not_equal(0, rc)
    assert.is_true(took < 15, "took " .. tostring(took))
    assert.equal(1, server:stats().requests)
  end)

  it("during a concurrent walk and a batch", function()
    server:config{ latency = 5 }
    local err = interrupt(script(server, [[
local calls = {}
for i = 1, 8 do calls[i] = { "connections", { count = 5 } } end
c:batch(calls, { concurrency = 4 })]]), 0.5)
    assert.matches("interrupted!", err)
    assert.equal(4, server:stats().requests)
  end)

  it("during the pause before a retry", function()
    server:fault{ path = "/v2/network", kind = "rate_limit", retry_after = "30" }
    local err, rc, took = interrupt(script(server, [[
local c2 = linkup.new{ api_key = "]] .. H.API_KEY .. [[", base_url = "]] .. server.url .. [[",
  account_id = "a", rate_limit = false, max_retry_after = 60 }
c2:connections{ count = 5 }]]), 0.5)
    assert.matches("interrupted!", err)
    assert.not_equal(0, rc)
    assert.is_true(took < 15, "took " .. tostring(took)) -- the Retry-After is 30 s
    assert.equal(1, server:stats().requests)
  end)

  it("another signal (a terminal resize) does not cut a Retry-After short", function()
    server:fault{ path = "/v2/network", kind = "rate_limit", retry_after = "1" }
    local dir = os.tmpname()
    os.remove(dir)
    H.sh("mkdir -p " .. dir)
    local f = assert(io.open(dir .. "/s.lua", "w"))
    f:write(script(server, [[assert(c:connections{ count = 5 })
print("done")]]))
    f:close()
    local cpath = package.cpath:match("^[^;]+")
    local out = H.sh(([[LUA_PATH=%s LUA_CPATH=%s %s %s/s.lua & pid=$!; sleep 0.3; kill -WINCH $pid;
      sleep 0.2; kill -CHLD $pid; wait $pid; echo "rc=$?"]]):format(H.q("lua/?.lua;spec/?.lua;;"),
      H.q(cpath .. ";;"), LUA, dir), true)
    H.sh("rm -rf " .. dir)
    assert.matches("done", out)
    assert.matches("rc=0", out)
    local log = server:log()
    assert.equal(2, #log)
    assert.is_true(log[2].t_arrival - log[1].t_done >= 0.95,
      ("the retry went %.3f s after the 429"):format(log[2].t_arrival - log[1].t_done))
  end)

  it("raised by a transport function: goes on up, no retry", function()
    local calls = 0
    local c = linkup.new{ api_key = "k", account_id = "a", rate_limit = false, max_retries = 3,
      transport = function()
        calls = calls + 1
        error("spec/23:1: interrupted!", 0)
      end }
    local ok, err = pcall(c.connections, c, {})
    assert.is_false(ok)
    assert.equal("spec/23:1: interrupted!", err)
    assert.equal(1, calls)
    assert.is_true(linkup.is_interrupt(err))
    assert.is_false(linkup.is_interrupt("network down"))
  end)
end)
