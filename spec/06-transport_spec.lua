-- The transport option: a Lua function replaces libcurl; one that yields
-- from a coroutine works, because nothing between the caller and the
-- transport is a C frame.
local H = require "helpers"
local linkup = H.linkup

-- A transport over the C core's own HTTP handle (a stand-in for a cosocket
-- transport): it yields before and after each request.
local function yielding_transport(log)
  local http = require("linkup.core").http_new{ user_agent = "spec" }
  return function(req)
    log[#log + 1] = req
    coroutine.yield("before")
    local status, body, headers = http:perform(req)
    coroutine.yield("after")
    return status, body, headers
  end
end

-- Drives f inside a coroutine to the end; returns its results and the yields.
local function drive(f)
  local co = coroutine.create(f)
  local yields, res = {}
  while true do
    res = table.pack and table.pack(coroutine.resume(co)) or { coroutine.resume(co) }
    assert(res[1], res[2])
    if coroutine.status(co) == "dead" then break end
    yields[#yields + 1] = res[2]
  end
  return res, yields
end

describe("transport", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  it("receives method, url, headers, body and timeout; its answer is decoded by linkup", function()
    local seen
    local c = linkup.new{ api_key = H.API_KEY, base_url = "http://127.0.0.1:9", account_id = "acc-x", timeout = 7,
      transport = function(req)
        seen = req
        return 200, '{"success":true,"data":{"connections":[{"name":"A","job_title":"N/A"}],' ..
          '"total_available_results":1,"pagination":{"has_more":false}},"metadata":{"credits_consumed":1}}',
          { ["content-type"] = "application/json" }
      end }
    local data, meta = c:connections{ count = 3 }
    assert.is_table(data, tostring(meta))
    assert.equal("A", data.connections[1].name)
    assert.is_nil(data.connections[1].job_title)
    assert.equal("POST", seen.method)
    assert.equal("http://127.0.0.1:9/v2/network", seen.url)
    assert.equal(H.API_KEY, seen.headers["x-api-key"])
    assert.equal("application/json", seen.headers["content-type"])
    assert.equal('{"account_id":"acc-x","action":"list_connections","params":{"count":3}}', seen.body)
    assert.equal(7, seen.timeout)
  end)

  it("nil, message from a transport is a retryable network error", function()
    local calls = 0
    local c = linkup.new{ api_key = H.API_KEY, account_id = "a", max_retries = 2, sleep = function() end,
      transport = function() calls = calls + 1 return nil, "connection reset by peer" end }
    local data, err = c:connections{}
    assert.is_nil(data)
    assert.equal("network", err.kind)
    assert.equal(3, err.attempts)
    assert.equal(3, calls)
    local c2 = linkup.new{ api_key = H.API_KEY, account_id = "a", max_retries = 0,
      transport = function() return nil, "request timed out" end }
    local _, err2 = c2:connections{}
    assert.equal("timeout", err2.kind)
  end)

  it("may yield from a coroutine: a call runs to the end across yields", function()
    local log = {}
    local c = linkup.new{ api_key = H.API_KEY, base_url = server.url, account_id = "acc-main",
                          transport = yielding_transport(log) }
    local res, yields = drive(function() return c:connections{ count = 12 } end)
    assert.same({ "before", "after" }, yields)
    assert.equal(12, #res[2].connections)
    assert.equal(1, #server:log())
  end)

  it("may yield during retries, and the sleep may yield too", function()
    local log = {}
    local c = linkup.new{ api_key = H.API_KEY, base_url = server.url, account_id = "acc-main", max_retries = 2,
      transport = yielding_transport(log), sleep = function() coroutine.yield("sleep") end }
    server:fault{ kind = "v2_error", status = 500, code = "INTERNAL_ERROR" }
    local res, yields = drive(function() return c:connections{ count = 2 } end)
    assert.same({ "before", "after", "sleep", "before", "after" }, yields)
    assert.equal(2, res[3].attempts)
  end)

  it("may yield through a whole walk", function()
    local log = {}
    local c = linkup.new{ api_key = H.API_KEY, base_url = server.url, account_id = "acc-size-250",
                          transport = yielding_transport(log) }
    local res, yields = drive(function()
      local n, last = 0, 0
      for i in c:each_connection{ page_size = 100 } do n, last = n + 1, i end
      return n, last
    end)
    assert.equal(250, res[2])
    assert.equal(250, res[3])
    assert.equal(6, #yields)            -- 3 pages, 2 yields each
  end)
end)
