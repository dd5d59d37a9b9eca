-- The request engine at the API's real limits (issue 10): a sliding window
-- instead of waves, a client-side rate limiter, a 429 that pauses the whole
-- client, random jitter, exact budgets. Proved from the fake's log (arrival
-- times, in-flight counts, 429s), never by timing the client.
local H = require "helpers"
local linkup = H.linkup
local core = require "linkup.core"



describe("the engine", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  describe("a sliding window, not waves", function()
    it("fills a finished call's place at once while slow ones still run (batch)", function()
      local c = H.client(server)
      local calls = {}
      -- two slow calls first, then ten fast ones
      for i = 1, 12 do
        local lat = i <= 2 and 1500 or 100
        calls[i] = { "connections", { account_id = ("acc-w%d-lat-%d-size-50"):format(i, lat), count = 5 } }
      end
      local results = c:batch(calls, { concurrency = 4 })
      for i = 1, 12 do assert.is_table(results[i].data, tostring(results[i].err)) end
      local log = server:log()
      assert.equal(12, #log)
      -- with waves, calls 5..12 would wait for the slow pair; in a sliding
      -- window all ten fast ones run while the slow ones are still running
      local most, fast_before = H.window_of(log)
      assert.is_true(most <= 4, "more than 4 in flight: " .. most)
      assert.equal(10, fast_before)
    end)

    it("keeps k pages in flight through a walk, yields in order, every item once", function()
      server:config{ latency = 0.03, latency_jitter = 0.05 }
      local c = H.client(server, { account_id = "acc-size-2000" })
      local got = {}
      for i, p in c:each_connection{ page_size = 100, concurrency = 4 } do got[#got + 1] = { i, p.profile_url } end
      assert.equal(2000, #got)
      local want = server:expected("connections", 2, 2000, 0, 2000)
      for i = 1, 2000 do
        assert.equal(i, got[i][1])
        assert.equal(want[i].profile_url, got[i][2])
      end
      local stats = server:stats()
      assert.equal(20, stats.requests)
      assert.equal(4, stats.max_inflight)
      assert.equal(40, stats.credits)
    end)

    it("lets a retry wait in its own place while the others go on", function()
      local c, sleeps = H.client(server, { max_retries = 3, sleep = core.sleep, retry_base = 0.6, retry_cap = 0.6 })
      -- the 2nd request fails once with a 503; its retry waits ~0.3-0.6 s
      server:fault{ path = "/v2/network", kind = "v2_error", status = 503, code = "INTERNAL_ERROR", skip = 1 }
      server:config{ latency = 0.05 }
      local calls = {}
      for i = 1, 16 do calls[i] = { "connections", { account_id = "acc-r" .. i .. "-size-20", count = 5 } } end
      local results = c:batch(calls, { concurrency = 4 })
      for i = 1, 16 do assert.is_table(results[i].data) end
      assert.same({}, sleeps)
      local log = server:log()
      assert.equal(17, #log)
      local failed
      for _, e in ipairs(log) do if e.status == 503 then failed = e end end
      -- the other calls went on during the retry's pause: some arrived
      -- after the 503 and before its retry
      local retry
      for _, e in ipairs(log) do
        if e.seq > failed.seq and e.body == failed.body then retry = e end
      end
      local between = 0
      for _, e in ipairs(log) do
        if e.t_arrival > failed.t_done and e.t_arrival < retry.t_arrival then between = between + 1 end
      end
      assert.is_true(between >= 3, "only " .. between .. " requests went on during the pause")
    end)
  end)

  describe("the rate limiter", function()
    it("keeps a concurrent walk under the server's limit: 0 429s", function()
      server:config{ rate_limit = { requests = 8, per = 0.5 }, latency = 0.02 }
      local c = H.client(server, { account_id = "acc-size-2400", sleep = core.sleep,
                                   rate_limit = { requests = 8, per = 0.5, margin = 0.02 } })
      local n = 0
      for _ in c:each_connection{ page_size = 100, concurrency = 8 } do n = n + 1 end
      assert.equal(2400, n)
      local stats = server:stats()
      assert.equal(0, stats.rate_limited)
      assert.equal(24, stats.requests)
      assert.is_true(H.most_in_window(server:log(), 0.5) <= 8)
    end)

    it("is needed: without it the same walk meets 429s", function()
      server:config{ rate_limit = { requests = 8, per = 0.5 }, latency = 0.02 }
      local c = H.client(server, { account_id = "acc-size-2400", max_retries = 10, retry_base = 0.05,
                                   retry_cap = 0.2, sleep = core.sleep })
      local n = 0
      for _ in c:each_connection{ page_size = 100, concurrency = 8 } do n = n + 1 end
      assert.equal(2400, n)
      assert.is_true(server:stats().rate_limited > 0)
    end)

    it("is one limit for every client with the same key in a Lua state", function()
      server:config{ rate_limit = { requests = 6, per = 0.5 } }
      local key = "test-shared-" .. tostring(os.time()) .. "-" .. math.random(1e6)
      local function new(account)
        return linkup.new{ api_key = key, base_url = server.url, account_id = account, sleep = core.sleep,
                           rate_limit = { requests = 6, per = 0.5, margin = 0.02 } }
      end
      local a, b = new("acc-a-size-900"), new("acc-b-size-900")
      local calls = {}
      for i = 1, 6 do calls[i] = { "connections", { count = 1 } } end
      local ra = a:batch(calls, { concurrency = 6 })
      local rb = b:batch(calls, { concurrency = 6 })
      for i = 1, 6 do assert.is_table(ra[i].data) assert.is_table(rb[i].data) end
      assert.equal(0, server:stats().rate_limited)
      assert.is_true(H.most_in_window(server:log(), 0.5) <= 6)
    end)

    it("can be off (rate_limit = false)", function()
      local c = linkup.new{ api_key = H.API_KEY, base_url = server.url, account_id = "a", rate_limit = false }
      assert.is_false(c:info().rate_limited)
      assert.is_true(linkup.new{ api_key = H.API_KEY, base_url = server.url, account_id = "a" }:info().rate_limited)
    end)

    it("plugs in any store: take(key) before every attempt, waiting as told", function()
      local asked, waits = {}, 0
      local store = {}
      function store:take(key)  -- luacheck: ignore 212
        asked[#asked + 1] = key
        if #asked % 2 == 1 then return 0.01 end  -- every other ask: wait a little
        return 0
      end
      local c = linkup.new{ api_key = H.API_KEY, base_url = server.url, account_id = "acc-size-30", rate_limit = store,
        sleep = function(s) waits = waits + 1 assert(s > 0 and s <= 0.01) end }
      for _ in c:each_connection{ page_size = 10 } do end
      assert.equal(3, #server:log())
      assert.equal(6, #asked)
      assert.equal(3, waits)
      for _, k in ipairs(asked) do
        assert.matches("^sha256:%x+$", k)
        assert.not_matches("S3CRET", k)
        assert.equal(asked[1], k)
      end
    end)

    it("refuses a bad rate_limit at once", function()
      local base = { api_key = "k", account_id = "a" }
      local function new(rl) local o = {} for k, v in pairs(base) do o[k] = v end o.rate_limit = rl return linkup.new(o) end
      assert.has_error(function() new{ requests = 0 } end)
      assert.has_error(function() new{ requests = 10, per = 0 } end)
      assert.has_error(function() new{ requests = 10, per = 0 / 0 } end)
      assert.has_error(function() new{ requests = 10, burst = 3 } end)
      assert.has_error(function() new(true) end)
      assert.has_error(function() new{ requests = 10, shared_dict = "limits" } end) -- needs ngx
      assert.equal(0, server:stats().requests)
    end)
  end)

  describe("a 429", function()
    it("pauses every request of the client until its Retry-After has passed", function()
      server:config{ latency = 0.05 }
      server:fault{ path = "/v2/network", kind = "rate_limit", retry_after = "1" }
      local c = H.client(server, { sleep = core.sleep, max_retries = 2 })
      local calls = {}
      for i = 1, 12 do calls[i] = { "connections", { account_id = "acc-p" .. i .. "-size-20", count = 5 } } end
      local results = c:batch(calls, { concurrency = 4 })
      for i = 1, 12 do assert.is_table(results[i].data, tostring(results[i].err)) end
      local log, hit = server:log(), nil
      for _, e in ipairs(log) do if e.status == 429 then hit = e end end
      assert.is_table(hit)
      -- requests sent after the client read the 429 all waited out its
      -- second. Up to k - 1 = 3 may arrive just after the server answered
      -- it: sent before its answer had reached the client.
      local after, racing = 0, 0
      for _, e in ipairs(log) do
        if e.t_arrival > hit.t_done then
          if e.t_arrival < hit.t_done + 0.9 then
            racing = racing + 1
          else
            after = after + 1
          end
        end
      end
      assert.is_true(racing <= 3, "racing: " .. racing)
      assert.is_true(after >= 6, "after: " .. after)
    end)

    it("pauses the client with backoff when there is no Retry-After", function()
      server:fault{ path = "/v2/network", kind = "rate_limit" }
      local c, sleeps = H.client(server, { max_retries = 2 })
      assert.is_table((c:connections{ count = 1 }))
      assert.equal(1, #sleeps)
      assert.is_true(sleeps[1] >= 0.25 and sleeps[1] <= 0.5)
    end)

    it("jitters for real on every Lua, LuaJIT included: two processes differ", function()
      local lua = os.getenv("LINKUP_LUA") or "lua5.4"
      local script = [[require "linkup"
        local e = require "linkup.engine"
        local p = { retry_base = 1, retry_cap = 8 }
        io.write(string.format("%.9f %.9f", e.backoff(p, 3, {}), e.backoff(p, 3, {})))]]
      local cpath = package.cpath:match("^[^;]+")
      local cmd = ("LUA_PATH='lua/?.lua;;' LUA_CPATH=%s %s -e %s"):format(H.q(cpath .. ";;"), lua, H.q(script))
      local a = H.sh(cmd, true)
      local b = H.sh(cmd, true)
      assert.matches("^%d", a)
      assert.not_equal(a, b)
      local x, y = a:match("(%S+) (%S+)")
      assert.not_equal(x, y)
      for _, v in ipairs{ tonumber(x), tonumber(y) } do assert.is_true(v >= 2 and v < 4) end
    end)
  end)

  describe("budgets under concurrency", function()
    it("never spends past max_credits, and credits_spent is what was spent (short pages)", function()
      server:config{ lie = { short_pages = { drop = 1, next = "shift" } } }
      local c = H.client(server, { account_id = "acc-size-1000" })
      local last
      for _, meta in c:each_page("connections", { page_size = 100, concurrency = 3, max_credits = 6 }) do
        last = meta
      end
      local stats = server:stats()
      assert.is_true(stats.credits <= 6, "spent " .. stats.credits)
      assert.equal(stats.credits, last.credits_spent)
      assert.equal(stats.credits, c:info().credits_spent)
    end)

    it("counts pages fetched ahead and then dropped", function()
      -- the total says 1,000 but the data ends at 340: pages planned past
      -- the end are paid for, and counted
      server:config{ lie = { stale_total = 1000 } }
      local c = H.client(server, { account_id = "acc-size-340" })
      local last
      for _, meta in c:each_page("connections", { page_size = 100, concurrency = 4 }) do last = meta end
      local stats = server:stats()
      assert.equal(stats.credits, last.credits_spent)
      assert.equal(stats.credits, c:info().credits_spent)
    end)

    it("a budget that cannot buy the first page sends nothing", function()
      local c = H.client(server, { account_id = "acc-size-100" })
      local n = 0
      for _ in c:each_connection{ page_size = 100, max_credits = 1, concurrency = 4 } do n = n + 1 end
      assert.equal(0, n)
      assert.equal(0, server:stats().requests)
      local ok, msg = pcall(c.each_connection, c, { max_credits = 0 / 0 })
      assert.is_false(ok)
      assert.matches("max_credits must be a number, got NaN", msg, 1, true)
      assert.has_error(function() c:each_connection{ max_credits = -1 } end)
    end)
  end)

  describe("the driver's modules", function()
    it("are ordinary modules: each returns a table and none reaches into another's privates", function()
      for file in H.sh("ls lua/linkup/*.lua lua/linkup/cli/*.lua"):gmatch("%S+") do
        local name = file:gsub("^lua/", ""):gsub("%.lua$", ""):gsub("/", ".")
        if name ~= "linkup.ngx" and name ~= "linkup.cli.main" then
          assert.is_table(require(name), name)
        end
        local text = assert(io.open(file)):read("*a")
        assert.not_matches("\nreturn function%(", text, file)
        -- PUC Lua 5.1 and 5.2 miscompile a generic for with four or more
        -- expressions (their bug lists): none in the driver or the command
        for line in text:gmatch("[^\n]+") do
          local list = line:match("^%s*for [^=]- in (.-) do%s*$")
          if list then
            -- top-level commas only: a call's or a table's own do not count
            local flat = list:gsub("%b()", ""):gsub("%b{}", "")
            local _, commas = flat:gsub(",", "")
            assert.is_true(commas < 3, file .. ": " .. line)
          end
        end
        local code = text:gsub("%-%-[^\n]*", "") -- comments may name anything
        for used in code:gmatch("[%w_]+%.(_[%a][%w_]*)") do
          if used ~= "_VERSION" and used ~= "_G" then error(file .. " uses a private field ." .. used) end
        end
      end
    end)
  end)
end)
