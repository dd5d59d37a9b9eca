-- Several requests at once: client:batch and concurrent walks, on libcurl's
-- multi interface; in order, never past limit or budget, one connection
-- pool per client. The fake API's latency makes requests overlap, and its
-- max_inflight counter shows that they did (no timing assertions).
local H = require "helpers"
local linkup = H.linkup

local urls = H.urls

describe("concurrency", function()
  local server
  setup(function() server = H.start_server("--latency 0.05") end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  describe("client:batch", function()
    it("runs the first page of 20 accounts at once, results in input order", function()
      local c = H.client(server)
      local calls = {}
      for i = 1, 20 do calls[i] = { "connections", { account_id = "acc-b" .. i .. "-size-" .. (100 + i), count = 5 } } end
      local results = c:batch(calls, { concurrency = 8 })
      assert.equal(20, #results)
      for i = 1, 20 do
        local r = results[i]
        assert.is_table(r.data, tostring(r.err))
        assert.equal(100 + i, r.data.total_available_results)
        assert.equal(5, #r.data.connections)
        assert.equal(r[1], r.data)
        assert.equal(1, r.meta.attempts)
      end
      local stats = server:stats()
      assert.equal(20, stats.requests)
      assert.is_true(stats.max_inflight > 1, "requests did not overlap")
      assert.is_true(stats.max_inflight <= 8, "more than 8 at once: " .. stats.max_inflight)
      assert.is_true(stats.api_connections <= 8, "connections: " .. stats.api_connections)
      -- a second batch reuses the same connections
      c:batch(calls, { concurrency = 8 })
      assert.equal(stats.api_connections, server:stats().api_connections)
    end)

    it("gives each call its own data, meta or nil, err; retries each", function()
      local c = H.client(server, { max_retries = 2 })
      server:fault{ path = "/v2/network", kind = "v2_error", status = 503, code = "INTERNAL_ERROR", skip = 1 }
      local results = c:batch({
        { "connections", { count = 2 } },
        { "connections", { account_id = "acc-broke" } },
        { kind = "recommendations", params = { count = 3 } },
        { "connections", { account_id = "acc-unknown" } },
      }, { concurrency = 4 })
      assert.is_table(results[1].data)
      assert.is_nil(results[2][1])
      assert.equal("INSUFFICIENT_CREDITS", H.keep(results[2].err).code)
      assert.equal(3, #results[3].data.recommendations)
      assert.equal("INVALID_ACCOUNT", H.keep(results[4].err).code)
      -- the 503 hit one of them, which went again
      local attempts = 0
      for _, r in ipairs(results) do attempts = attempts + (r.meta or r.err).attempts end
      assert.equal(5, attempts)
    end)

    it("checks every call before sending any", function()
      local c = H.client(server)
      assert.has_error(function()
        c:batch{ { "connections", { count = 2 } }, { "connections", { count = 0 } } }
      end)
      assert.has_error(function() c:batch({ { "messages", {} } }) end)
      assert.has_error(function() c:batch({}, { concurrency = 0 }) end)
      assert.has_error(function() c:batch({}, { parallel = 2 }) end)
      assert.equal(0, server:stats().requests)
    end)

    it("works over a plain transport function, one after the other", function()
      local seen = {}
      local c = linkup.new{ api_key = "k", account_id = "a", transport = function(req)
        local body = require("linkup.core").decode(req.body)
        seen[#seen + 1] = body.params.count
        return 200, ('{"success":true,"data":{"connections":[],"total_results":%d}}'):format(body.params.count), {}
      end }
      local results = c:batch({ { "connections", { count = 1 } }, { "connections", { count = 2 } },
                                { "connections", { count = 3 } } }, { concurrency = 3 })
      assert.same({ 1, 2, 3 }, seen)
      for i = 1, 3 do assert.equal(i, results[i].data.total_results) end
    end)
  end)

  describe("concurrent walks", function()
    it("v2: every item once and in order, pages fetched ahead at once", function()
      local c = H.client(server, { account_id = "acc-size-1234" })
      local items, last = {}, 0
      for i, p in c:each_connection{ page_size = 100, concurrency = 4 } do
        assert.equal(last + 1, i)
        last = i
        items[#items + 1] = p
      end
      assert.equal(1234, #items)
      assert.same(urls(server:expected("connections", 2, 1234, 0, 1234)), urls(items))
      local stats = server:stats()
      assert.equal(13, stats.requests)
      assert.is_true(stats.max_inflight > 1, "pages were not fetched at once")
      assert.is_true(stats.max_inflight <= 4)
    end)

    it("v2: never asks past the limit or the budget", function()
      local c = H.client(server, { account_id = "acc-size-1234" })
      local n = 0
      for _ in c:each_connection{ page_size = 100, concurrency = 8, limit = 350 } do n = n + 1 end
      assert.equal(350, n)
      local asked = 0
      for _, b in ipairs(server:bodies()) do asked = asked + b.params.count end
      assert.equal(350, asked)
      server:reset()
      n = 0
      for _ in c:each_connection{ page_size = 100, concurrency = 8, max_credits = 9 } do n = n + 1 end
      assert.equal(400, n)                            -- 4 pages of 2 credits; a fifth would make 10
      assert.equal(4, server:stats().requests)
    end)

    it("v1: pages in order to total_pages", function()
      local c = H.client(server, { version = 1 })
      local items = {}
      for _, r in c:each_recommendation{ concurrency = 3 } do items[#items + 1] = r end
      assert.same(urls(server:expected("recommendations", 1, 120, 0, 120)), urls(items))
      assert.equal(5, server:stats().requests)
    end)

    it("a failure ahead is raised when the walk reaches it, with where to resume", function()
      local c = H.client(server, { account_id = "acc-size-1000", max_retries = 0 })
      server:fault{ path = "/v2/network", kind = "v2_error", status = 402, code = "INSUFFICIENT_CREDITS", skip = 3 }
      local got = {}
      local ok, err = pcall(function()
        for _, p in c:each_connection{ page_size = 100, concurrency = 4 } do got[#got + 1] = p end
      end)
      assert.is_false(ok)
      H.keep(err)
      assert.equal("INSUFFICIENT_CREDITS", err.code)
      assert.equal(#got, err.resume.offset)
      assert.equal(0, #got % 100)
      assert.same(urls(server:expected("connections", 2, 1000, 0, #got)), urls(got))
    end)

    it("a short page ahead does not shift later offsets (no gap)", function()
      -- the server answers one middle page short: the pages fetched after it
      -- are dropped and fetched again from the true position
      local calls, pages = 0, {}
      local c = linkup.new{ api_key = "k", account_id = "a", transport = function(req)
        calls = calls + 1
        local b = require("linkup.core").decode(req.body).params
        local off, count = b.offset or 0, b.count
        if off == 100 and not pages.short then pages.short = true count = 60 end
        local items = {}
        for i = off, math.min(off + count, 400) - 1 do items[#items + 1] = ('{"profile_url":"u%d"}'):format(i) end
        return 200, ('{"success":true,"data":{"connections":[%s],"total_available_results":400,' ..
          '"pagination":{"has_more":%s}}}'):format(table.concat(items, ","), tostring(off + #items < 400)), {}
      end }
      local n = 0
      for i, p in c:each_connection{ page_size = 100, concurrency = 3 } do
        n = n + 1
        assert.equal("u" .. (i - 1), p.profile_url)
      end
      assert.equal(400, n)
    end)
  end)
end)
