-- Errors: misuse raises before any request; runtime failures return nil, err
-- with the documented fields; retries; secrets never shown.
local H = require "helpers"
local linkup = H.linkup

local function raises(pattern, f, ...)
  local ok, msg = pcall(f, ...)
  assert.is_false(ok, "expected an error matching " .. pattern)
  assert.matches(pattern, tostring(msg))
  assert.not_matches("S3CRET", tostring(msg))
  return msg
end

describe("misuse raises at once and costs nothing", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)
  after_each(function() assert.equal(0, server:stats().requests, "a misuse sent a request") end)

  it("in linkup.new", function()
    local base = server.url
    raises("api_key is required", linkup.new, { base_url = base, account_id = "a" })
    raises("unknown option \"apikey\"", linkup.new, { apikey = "x", base_url = base })
    raises("option timeout must be a number", linkup.new, { api_key = "k", timeout = "30" })
    raises("rate_limit must be a table, false or an object with take", linkup.new, { api_key = "k", rate_limit = true })
    raises("option api_key must be a string, got number", linkup.new, { api_key = 42 })
    raises("both account_id", linkup.new, { api_key = "k", base_url = base, account_id = "a", login_token = "t" })
    raises("version must be 1 or 2", linkup.new, { api_key = "k", version = 3 })
    raises("unknown country \"XX\"", linkup.new, { api_key = "k", country = "XX" })
    raises("base_url must start with http", linkup.new, { api_key = "k", base_url = "file:///etc/passwd" })
    raises("must not contain control characters", linkup.new, { api_key = "k\r\nX-Evil: 1" })
    raises("options must be a table", linkup.new, "key")
    raises("unknown transport", linkup.new, { api_key = "k", transport = "carrier-pigeon" })
    raises("max_retries must be at least 0", linkup.new, { api_key = "k", max_retries = -1 })
  end)

  it("in v1 calls", function()
    local c = H.client(server, { version = 1 })
    raises("end_page must be >= start_page", c.connections, c, { start_page = 3, end_page = 2 })
    raises("end_page needs start_page", c.connections, c, { end_page = 2 })
    raises("two modes", c.connections, c, { total_results = 20, start_page = 1 })
    raises("unknown country \"ZZ\"", c.recommendations, c, { country = "ZZ" })
    raises("total_results must be at least 1", c.connections, c, { total_results = 0 })
    raises("start_page must be an integer", c.connections, c, { start_page = 1.5 })
    raises("unknown parameter \"count\" for v1", c.connections, c, { count = 5 })
    local bare = linkup.new{ api_key = H.API_KEY, base_url = server.url, version = 1 }
    raises("needs a login_token", bare.connections, bare, {})
  end)

  it("in v2 calls", function()
    local c = H.client(server)
    raises("count must be at least 1", c.connections, c, { count = 0 })
    raises("offset must be at least 0", c.connections, c, { offset = -1 })
    raises("one%-shot", c.recommendations, c, { offset = 10 })
    raises("unknown parameter \"start_page\" for v2", c.connections, c, { start_page = 1 })
    raises("parameters must be a table", c.connections, c, 5)
    local bare = linkup.new{ api_key = H.API_KEY, base_url = server.url }
    raises("needs an account_id", bare.connections, bare, {})
  end)

  it("points at the caller's line", function()
    local c = H.client(server)
    local msg = raises("count", c.connections, c, { count = 0 })
    -- pcall(f) has no Lua caller line; through a Lua function it names this file
    local ok, err = pcall(function() c:connections{ count = 0 } end)
    assert.is_false(ok)
    assert.matches("04%-errors_spec%.lua:%d+:", err)
    assert.is_string(msg)
    -- every entry point, the iterators and estimates included
    for what, f in pairs{
      each_page = function() c:each_page("bogus") end,
      each_connection = function() c:each_connection{ limit = -1 } end,
      estimate = function() c:estimate_credits("connections", { limit = -1 }) end,
      estimate_kind = function() c:estimate_credits("invite", { limit = 3 }) end,
      module_estimate = function() linkup.estimate_credits{ kind = "account", walk = true } end,
    } do
      ok, err = pcall(f)
      assert.is_false(ok, what)
      assert.matches("^[^\n]*04%-errors_spec%.lua:%d+: linkup%.", err, nil, what)
    end
    assert.equal(0, server:stats().requests)
  end)
end)

describe("runtime failures return nil, err", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  local function check_err(err, fields)
    H.keep(err)
    assert.is_true(linkup.is_error(err), "not an error object: " .. tostring(err))
    for k, v in pairs(fields) do assert.equal(v, err[k], "field " .. k .. " of " .. tostring(err)) end
    local line = tostring(err)
    assert.matches("^linkup: ", line)
    assert.not_matches("\n", line)
    assert.not_matches("S3CRET", H.dump(err))
    return err
  end

  it("v1: an HTTP 200 error body is an api error, never data", function()
    local c = H.client(server, { version = 1, max_retries = 0 })
    server:fault{ kind = "v1_error", message = "Insufficient credits available" }
    local data, err = c:connections{ total_results = 10 }
    assert.is_nil(data)
    check_err(err, { kind = "api", status = 200, code = "INSUFFICIENT_CREDITS", retryable = false, attempts = 1,
      message = "Insufficient credits available" })
    -- the server's own check of the token
    data, err = c:connections{ login_token = "tok-expired" }
    assert.is_nil(data)
    check_err(err, { kind = "api", code = "INVALID_LOGIN_TOKEN", retryable = false })
    assert.matches("Invalid or expired LinkedIn cookie", tostring(err))
  end)

  it("v2: error bodies with real statuses carry code and message", function()
    local c = H.client(server, { max_retries = 0 })
    local cases = {
      { "acc-unknown", 404, "INVALID_ACCOUNT" },
      { "acc-inactive", 403, "ACCOUNT_INACTIVE" },
      { "acc-broke", 402, "INSUFFICIENT_CREDITS" },
    }
    for _, case in ipairs(cases) do
      local data, err = c:connections{ account_id = case[1] }
      assert.is_nil(data)
      check_err(err, { kind = "api", status = case[2], code = case[3], retryable = false, attempts = 1 })
      assert.is_string(err.message)
    end
    -- the fake accepts keys that start with test-: this one it refuses
    local bad = linkup.new{ api_key = "nope-key", base_url = server.url, account_id = "a", max_retries = 0 }
    local _, err = bad:connections{}
    check_err(err, { kind = "api", status = 403, code = "INVALID_API_KEY", retryable = false })
  end)

  it("retries 429 and 5xx with backoff, then succeeds; attempts are exact", function()
    local c, sleeps = H.client(server, { max_retries = 3 })
    server:fault{ path = "/v2/network", kind = "v2_error", status = 503, code = "INTERNAL_ERROR", times = 2 }
    local data, meta = c:connections{ count = 5 }
    assert.is_table(data, tostring(meta))
    assert.equal(3, meta.attempts)
    assert.equal(2, #sleeps)
    assert.is_true(sleeps[1] >= 0.25 and sleeps[1] <= 0.5, tostring(sleeps[1]))
    assert.is_true(sleeps[2] >= 0.5 and sleeps[2] <= 1.0, tostring(sleeps[2]))
    assert.equal(3, #server:log())
  end)

  it("gives up after max_retries with the last error", function()
    local c, sleeps = H.client(server, { max_retries = 2 })
    server:fault{ kind = "rate_limit", times = 10 }
    local data, err = c:connections{}
    assert.is_nil(data)
    check_err(err, { kind = "api", status = 429, code = "RATE_LIMITED", retryable = true, attempts = 3 })
    assert.equal(2, #sleeps)
    assert.equal(3, #server:log())
  end)

  it("honours Retry-After in seconds and as an HTTP date", function()
    local c, sleeps = H.client(server, { max_retries = 2 })
    server:fault{ kind = "rate_limit", retry_after = "3" }
    assert.is_table((c:connections{}))
    assert.same({ 3 }, sleeps)
    local date = os.date("!%a, %d %b %Y %H:%M:%S GMT", os.time() + 5)
    server:fault{ kind = "rate_limit", retry_after = date }
    assert.is_table((c:connections{}))
    assert.is_true(sleeps[2] >= 3 and sleeps[2] <= 6, tostring(sleeps[2]))
  end)

  it("does not wait past max_retry_after", function()
    local c, sleeps = H.client(server, { max_retries = 2, max_retry_after = 10 })
    server:fault{ kind = "rate_limit", retry_after = "3600" }
    local data, err = c:connections{}
    assert.is_nil(data)
    check_err(err, { status = 429, attempts = 1, retry_after = 3600 })
    assert.same({}, sleeps)
  end)

  it("retries v1's HTTP-200 rate limit body", function()
    local c, sleeps = H.client(server, { version = 1, max_retries = 1 })
    server:fault{ kind = "v1_error", message = "Rate limit exceeded. Please try again later" }
    local data, meta = c:connections{}
    assert.is_table(data, tostring(meta))
    assert.equal(2, meta.attempts)
    assert.equal(1, #sleeps)
  end)

  it("never retries 400, 401, 402, 403, 404", function()
    local c, sleeps = H.client(server, { max_retries = 3 })
    for _, status in ipairs{ 400, 401, 402, 403, 404 } do
      server:fault{ kind = "v2_error", status = status, code = "X" }
      local _, err = c:connections{}
      check_err(err, { status = status, attempts = 1, retryable = false })
    end
    assert.same({}, sleeps)
  end)

  it("reports a non-JSON 2xx body as decode", function()
    local c = H.client(server, { max_retries = 0 })
    server:fault{ kind = "malformed" }
    local _, err = c:connections{}
    check_err(err, { kind = "decode", status = 200, retryable = false })
  end)

  it("reports an HTML error page as api, with a short message", function()
    local c = H.client(server, { max_retries = 0 })
    server:fault{ kind = "html", status = 502 }
    local _, err = c:connections{}
    check_err(err, { kind = "api", status = 502, retryable = true })
    assert.is_true(#err.message < 400)
  end)

  it("reports an empty 200 body as decode", function()
    local c = H.client(server, { max_retries = 0 })
    server:fault{ kind = "empty" }
    local _, err = c:connections{}
    check_err(err, { kind = "decode", status = 200 })
  end)

  it("reports a truncated body as a retryable network error, and retries it", function()
    local c = H.client(server, { max_retries = 0 })
    server:fault{ kind = "truncated" }
    local _, err = c:connections{ count = 50 }
    -- the response had begun: its status is kept
    check_err(err, { kind = "network", retryable = true, attempts = 1, status = 200 })
    server:fault{ kind = "truncated" }
    c = H.client(server, { max_retries = 1 })
    local data, meta = c:connections{ count = 50 }
    assert.is_table(data, tostring(meta))
    assert.equal(2, meta.attempts)
  end)

  it("reports a closed connection as network", function()
    local c = H.client(server, { max_retries = 0 })
    server:fault{ kind = "close" }
    local _, err = c:connections{}
    check_err(err, { kind = "network", retryable = true })
  end)

  it("reports a refused connection as network", function()
    local c = linkup.new{ api_key = H.API_KEY, base_url = "http://127.0.0.1:1", account_id = "a",
                          max_retries = 0 }
    local _, err = c:connections{}
    check_err(err, { kind = "network", retryable = true, attempts = 1 })
    assert.is_nil(err.status)
  end)

  it("times out a slow answer and a stalled body", function()
    local c = H.client(server, { max_retries = 0, timeout = 0.5 })
    server:fault{ kind = "slow", delay = 3 }
    local t0 = os.time()
    local _, err = c:connections{}
    check_err(err, { kind = "timeout", retryable = true })
    server:fault{ kind = "stall", delay = 3 }
    _, err = c:connections{}
    check_err(err, { kind = "timeout", retryable = true })
    assert.is_true(os.time() - t0 <= 3)
  end)

  it("honours connect_timeout on a host that never answers", function()
    local f = io.popen("exec env -u LD_PRELOAD python3 spec/fake/blackhole.py 10")
    local port, pid = f:read("*l"):match("(%d+) (%d+)")
    local c = linkup.new{ api_key = H.API_KEY, base_url = "http://127.0.0.1:" .. port, account_id = "a",
                          connect_timeout = 0.3, timeout = 20, max_retries = 0 }
    local _, err = c:connections{}
    check_err(err, { kind = "timeout", retryable = true, attempts = 1 })
    assert.matches("onnect", err.message)   -- curl says "Connection timed out after ..."
    H.sh("kill " .. pid)
    f:close()
  end)

  it("bounds a whole call by its attempts, timeouts and pauses", function()
    -- three attempts of at most 0.3 s and two pauses of at most 0.1 + 0.2 s:
    -- the call ends well before one slow answer (3 s) would have come
    local c = H.client(server, { max_retries = 2, timeout = 0.3, retry_base = 0.1, sleep = require("linkup.core").sleep })
    server:fault{ kind = "slow", delay = 3, times = 3 }
    local t0 = require("linkup.core").now()
    local data, err = c:connections{}
    local took = require("linkup.core").now() - t0
    assert.is_nil(data)
    check_err(err, { kind = "timeout", attempts = 3 })
    assert.is_true(took < 2.5, "the call took " .. took .. " s")
  end)

  it("caps the backoff and jitters it", function()
    local c, sleeps = H.client(server, { max_retries = 6, retry_base = 0.5, retry_cap = 2 })
    server:fault{ kind = "v2_error", status = 503, code = "INTERNAL_ERROR", times = 6 }
    assert.is_table((c:connections{}))
    assert.equal(6, #sleeps)
    local caps = { 0.5, 1, 2, 2, 2, 2 }
    local distinct = {}
    for i, s in ipairs(sleeps) do
      assert.is_true(s >= caps[i] / 2 and s <= caps[i], ("pause %d: %s"):format(i, s))
      distinct[s] = true
    end
    local n = 0
    for _ in pairs(distinct) do n = n + 1 end
    assert.is_true(n > 1, "no jitter")
  end)

  it("refuses a body over max_response_bytes", function()
    local c = H.client(server, { max_retries = 0, max_response_bytes = 4096 })
    local _, err = c:connections{ count = 200 }
    check_err(err, { kind = "decode", retryable = false })
    assert.matches("max_response_bytes", err.message)
  end)

  it("reports the wrong shape as decode, naming what is wrong", function()
    local c = H.client(server, { max_retries = 0 })
    local bodies = {
      { '{"success":true}', "no data" },
      { '{"success":true,"data":{"connections":{"a":1}}}', "not an array" },
      { '{"success":true,"data":{"connections":"x"}}', "not an array" },
      { '{"success":true,"data":{"connections":[1,2]}}', "is not an object" },
      { '{"success":true,"data":{"connections":[],"total_available_results":"many"}}', "total_available_results" },
      { '{"success":true,"data":{"connections":[],"pagination":{"has_more":"yes"}}}', "has_more" },
      { '{"ok":1}', "success" },
      { '[1,2,3]', "success" },
      { '"just a string"', "not a JSON object" },
      { string.rep("[", 500) .. string.rep("]", 500), "not JSON" },
    }
    for _, b in ipairs(bodies) do
      server:fault{ kind = "body", body = b[1] }
      local data, err = c:connections{}
      assert.is_nil(data, b[1])
      check_err(err, { kind = "decode", status = 200, retryable = false })
      assert.matches(b[2], err.message, 1, true)
    end
  end)

  it("a transport that raises gives a network error, not a raw Lua error", function()
    local c = linkup.new{ api_key = H.API_KEY, base_url = server.url, account_id = "a", max_retries = 0,
      transport = function() error("boom") end }
    local data, err = c:connections{}
    assert.is_nil(data)
    check_err(err, { kind = "network" })
    assert.matches("boom", err.message)
  end)
end)

describe("secrets", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  it("are scrubbed from messages even when the server echoes them", function()
    for _, version in ipairs{ 1, 2 } do
      local c = H.client(server, { version = version, max_retries = 0 })
      server:fault{ kind = "echo" }
      local data, err = c:connections{}
      assert.is_nil(data)
      H.keep(err)
      assert.matches("REDACTED", err.message)
      assert.not_matches("S3CRET", H.dump(err))
      assert.not_matches("S3CRET", tostring(err))
    end
    -- a per-call token is a secret too
    local c = H.client(server, { version = 1, max_retries = 0 })
    server:fault{ kind = "echo" }
    local _, err = c:connections{ login_token = "tok-percall-S3CRET-99" }
    H.keep(err)
    assert.not_matches("S3CRET", H.dump(err))
  end)

  it("are scrubbed from a code the server sends back (fuzzer find)", function()
    local c = H.client(server, { max_retries = 0 })
    server:fault{ kind = "body", status = 400,
      body = '{"success":false,"error":{"code":"BAD_' .. H.API_KEY .. '","message":"x"}}' }
    local _, err = c:connections{}
    H.keep(err)
    assert.equal("BAD_[REDACTED]", err.code)
  end)

  it("do not appear in the client's tostring, fields or info", function()
    local c = H.client(server, { version = 1 })
    assert.not_matches("S3CRET", tostring(c))
    assert.not_matches("S3CRET", H.dump(c))
    assert.not_matches("S3CRET", H.dump(c:info()))
  end)

  it("do not appear in on_event reports", function()
    local events = {}
    local c = H.client(server, { version = 1, max_retries = 1, on_event = function(e) events[#events + 1] = e end })
    server:fault{ kind = "v1_error", message = "Rate limit exceeded" }
    assert.is_table((c:connections{}))
    assert.equal(2, #events)
    assert.equal(1, events[1].attempt)
    assert.equal(200, events[1].status)
    assert.equal("api", events[1].error)
    assert.is_number(events[1].pause)
    assert.equal(2, events[2].attempt)
    assert.is_nil(events[2].error)
    assert.is_nil(events[2].pause)
    assert.is_number(events[2].duration)
    assert.equal("POST", events[2].method)
    assert.equal(server.url .. "/v1/network/connections", events[2].url)
    assert.not_matches("S3CRET", H.dump(events))
  end)

  it("do not appear in any error the suite kept", function()
    assert.is_true(#H.seen_errors > 10)
    for _, e in ipairs(H.seen_errors) do
      assert.not_matches("S3CRET", H.dump(e))
      assert.not_matches("S3CRET", tostring(e))
    end
  end)
end)
