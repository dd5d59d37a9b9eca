-- Lazy iterators over every page, both versions, both kinds.
local H = require "helpers"
local linkup = H.linkup

local function collect(iter, f, s)
  local out, pos = {}, {}
  for i, item in iter, f, s do -- not four expressions: Lua 5.1 and 5.2 miscompile that
    out[#out + 1] = item
    pos[#pos + 1] = i
  end
  return out, pos
end

local urls = H.urls

describe("walks", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  describe("v2 connections", function()
    it("yields every item once, in order, with absolute positions", function()
      local c = H.client(server, { account_id = "acc-size-1234" })
      local items, pos = collect(c:each_connection{ page_size = 100 })
      assert.equal(1234, #items)
      for i = 1, 1234 do assert.equal(i, pos[i]) end
      local want = server:expected("connections", 2, 1234, 0, 1234)
      assert.same(urls(want), urls(items))
      local bodies = server:bodies()
      assert.equal(13, #bodies)                         -- 12 full pages + 34
      for k, b in ipairs(bodies) do
        assert.equal((k - 1) * 100, b.params.offset or 0)
        -- once the total is known the last page asks only for what is left
        assert.equal(k < 13 and 100 or 34, b.params.count)
      end
    end)

    it("stops at a limit and never asks for more than it yields", function()
      local c = H.client(server, { account_id = "acc-size-1234" })
      local items = collect(c:each_connection{ limit = 250, page_size = 100 })
      assert.equal(250, #items)
      local bodies = server:bodies()
      assert.equal(3, #bodies)
      assert.equal(50, bodies[3].params.count)          -- the last page is cut to the limit
    end)

    it("resumes from an offset: positions go on where they stopped", function()
      local c = H.client(server, { account_id = "acc-size-300" })
      local first, pos1 = collect(c:each_connection{ limit = 120, page_size = 50 })
      local rest, pos2 = collect(c:each_connection{ offset = pos1[#pos1], page_size = 50 })
      assert.equal(120, #first)
      assert.equal(180, #rest)
      assert.equal(121, pos2[1])
      assert.equal(300, pos2[#pos2])
      local all = urls(first)
      for _, u in ipairs(urls(rest)) do all[#all + 1] = u end
      assert.same(urls(server:expected("connections", 2, 300, 0, 300)), all)
    end)

    it("keeps the per-call account_id on every page", function()
      local c = H.client(server)
      local items = collect(c:each_connection{ account_id = "acc-size-230", page_size = 100 })
      assert.equal(230, #items)
      for _, b in ipairs(server:bodies()) do assert.equal("acc-size-230", b.account_id) end
    end)

    it("ends on an empty first page", function()
      local c = H.client(server, { account_id = "acc-size-0" })
      local items = collect(c:each_connection{})
      assert.equal(0, #items)
      assert.equal(1, #server:log())
    end)

    it("stops within max_credits, without error", function()
      local c = H.client(server, { account_id = "acc-size-1234" })
      -- 100 per page costs 2 credits: a budget of 5 buys two pages
      local items = collect(c:each_connection{ page_size = 100, max_credits = 5 })
      assert.equal(200, #items)
      assert.equal(2, #server:log())
      assert.equal(4, linkup.estimate_credits{ version = 2, kind = "connections", walk = true, limit = 200 })
    end)
  end)

  describe("v2 recommendations", function()
    it("are one request (one-shot), limited", function()
      local c = H.client(server)
      local items, pos = collect(c:each_recommendation{ limit = 40 })
      assert.equal(40, #items)
      assert.equal(40, pos[40])
      assert.equal(1, #server:log())
      assert.equal(40, server:bodies()[1].params.count)
      local all = collect(c:each_recommendation{})
      assert.equal(60, #all)                            -- the fake's snapshot has 60
      assert.same(urls(server:expected("recommendations", 2, 60, 0, 60)), urls(all))
    end)
  end)

  describe("v1", function()
    it("walks connections page by page to the exact total", function()
      local c = H.client(server, { version = 1, login_token = "tok-size-95" })
      local items, pos = collect(c:each_connection{})
      assert.equal(95, #items)
      assert.equal(95, pos[95])
      assert.same(urls(server:expected("connections", 1, 95, 0, 95)), urls(items))
      local bodies = server:bodies()
      assert.equal(10, #bodies)
      for k, b in ipairs(bodies) do
        assert.equal(k, b.start_page)
        assert.equal(k, b.end_page)
      end
    end)

    it("stops on total_available_results when the last page is full", function()
      local c = H.client(server, { version = 1, login_token = "tok-size-100" })
      local items = collect(c:each_connection{})
      assert.equal(100, #items)
      assert.equal(10, #server:log())                   -- no 11th, empty page
    end)

    it("walks recommendations to total_pages", function()
      local c = H.client(server, { version = 1 })
      local items, pos = collect(c:each_recommendation{})
      assert.equal(120, #items)
      assert.equal(120, pos[120])
      assert.equal(5, #server:log())
      assert.same(urls(server:expected("recommendations", 1, 120, 0, 120)), urls(items))
    end)

    it("resumes at a page or an offset, keeping token and country", function()
      local c = H.client(server, { version = 1, login_token = "tok-size-95" })
      local items, pos = collect(c:each_connection{ start_page = 4, country = "DE" })
      assert.equal(65, #items)
      assert.equal(31, pos[1])
      for _, b in ipairs(server:bodies()) do
        assert.equal("DE", b.country)
        assert.equal("tok-size-95", b.login_token)
      end
      items, pos = collect(c:each_connection{ offset = 37, limit = 5 })
      assert.equal(38, pos[1])
      assert.same(urls(server:expected("connections", 1, 95, 37, 5)), urls(items))
    end)

    it("stops within max_credits (1 per page)", function()
      local c = H.client(server, { version = 1 })
      local items = collect(c:each_connection{ max_credits = 3 })
      assert.equal(30, #items)
      assert.equal(3, #server:log())
    end)

    it("refuses a page_size other than the fixed one", function()
      local c = H.client(server, { version = 1 })
      assert.has_error(function() c:each_connection{ page_size = 50 } end)
    end)
  end)

  describe("pages", function()
    it("each_page yields data, meta per request with running totals", function()
      local c = H.client(server, { account_id = "acc-size-250" })
      local firsts, spent, n = {}, {}, 0
      for data, meta in c:each_page("connections", { page_size = 100 }) do
        firsts[#firsts + 1] = meta.first
        spent[#spent + 1] = meta.credits_spent
        n = n + #data.connections
      end
      assert.equal(250, n)
      assert.same({ 1, 101, 201 }, firsts)
      assert.same({ 2, 4, 5 }, spent)
    end)

    it("each_page trims the last page to the limit (v1)", function()
      local c = H.client(server, { version = 1 })
      local n = 0
      for data in c:each_page("connections", { limit = 25 }) do n = n + #data.connections end
      assert.equal(25, n)
      assert.equal(3, #server:log())
    end)
  end)

  describe("failures and guards", function()
    it("raises the error object mid-walk, with where to resume; items so far stay valid", function()
      local c = H.client(server, { account_id = "acc-size-500", max_retries = 0 })
      server:fault{ path = "/v2/network", kind = "v2_error", status = 402, code = "INSUFFICIENT_CREDITS", skip = 2 }
      local got = {}
      local ok, err = pcall(function()
        for _, p in c:each_connection{ page_size = 100 } do got[#got + 1] = p end
      end)
      assert.is_false(ok)
      H.keep(err)
      assert.is_true(linkup.is_error(err))
      assert.equal("api", err.kind)
      assert.equal("INSUFFICIENT_CREDITS", err.code)
      assert.same({ offset = 200 }, err.resume)
      assert.matches("resume at offset 200", tostring(err))
      assert.equal(200, #got)
      assert.equal("https://www.linkedin.com/in/person-199/", got[200].profile_url)
      -- resuming there gives the rest, no duplicate, no gap
      local rest = collect(c:each_connection{ offset = err.resume.offset, page_size = 100 })
      assert.equal(300, #rest)
      assert.equal("https://www.linkedin.com/in/person-200/", rest[1].profile_url)
    end)

    it("v1 says which page to resume at", function()
      local c = H.client(server, { version = 1, max_retries = 0 })
      server:fault{ path = "/v1/network/connections", kind = "v1_error", message = "Insufficient credits available",
                    skip = 3 }
      local ok, err = pcall(function() for _ in c:each_connection{} do end end)
      assert.is_false(ok)
      H.keep(err)
      assert.equal(4, err.resume.start_page)
      assert.equal(30, err.resume.offset)
    end)

    it("retries inside a walk, losing nothing", function()
      local c = H.client(server, { account_id = "acc-size-300", max_retries = 2 })
      server:fault{ path = "/v2/network", kind = "rate_limit", skip = 1, times = 2 }
      local items = collect(c:each_connection{ page_size = 100 })
      assert.equal(300, #items)
      assert.same(urls(server:expected("connections", 2, 300, 0, 300)), urls(items))
    end)

    it("never loops on a server that answers the same page forever", function()
      local page = '{"success":true,"data":{"connections":[{"name":"A","profile_url":"u1"},' ..
        '{"name":"B","profile_url":"u2"}],"pagination":{"has_more":true}},"metadata":{"credits_consumed":1}}'
      local calls = 0
      local c = linkup.new{ api_key = "k", account_id = "a", transport = function()
        calls = calls + 1
        return 200, page, {}
      end }
      local n = 0
      local ok, err = pcall(function() for _ in c:each_connection{ page_size = 2 } do n = n + 1 end end)
      assert.is_false(ok)
      H.keep(err)
      assert.equal("decode", err.kind)
      assert.matches("same page", err.message)
      assert.equal(2, n)
      assert.equal(2, calls)
    end)

    it("checks its options before any request", function()
      local c = H.client(server)
      assert.has_error(function() c:each_connection{ limit = 0 } end)
      assert.has_error(function() c:each_connection{ bogus = 1 } end)
      assert.has_error(function() c:each_connection{ start_page = 2 } end)
      assert.has_error(function() c:each_recommendation{ offset = 5 } end)
      assert.has_error(function() c:each_page("messages", {}) end)
      assert.has_error(function() c:each_connection{ max_credits = -1 } end)
      local v1 = H.client(server, { version = 1 })
      assert.has_error(function() v1:each_connection{ country = "XX" } end)
      assert.equal(0, server:stats().requests)
    end)

    if _VERSION == "Lua 5.4" then
      it("returns a closing value: break ends the walk", function()
        local c = H.client(server, { account_id = "acc-size-500" })
        local f, s, ctl, closer = c:each_connection{ page_size = 100 }
        assert.is_not_nil(closer)
        local n = 0
        for _ in f, s, ctl, closer do
          n = n + 1
          if n == 5 then break end
        end
        assert.is_true(closer.w.done)
        assert.is_nil(f())                            -- the walk is over: no further request
        assert.equal(1, #server:log())
      end)
    end
  end)

  describe("credit estimates", function()
    it("price calls by the documented rules", function()
      local e = linkup.estimate_credits
      assert.equal(1, e{ version = 1, kind = "connections", start_page = 1 })
      assert.equal(3, e{ version = 1, kind = "connections", start_page = 1, end_page = 3 })
      assert.equal(30, e{ version = 1, kind = "recommendations", total_results = 300 })
      assert.equal(2, e{ version = 1, kind = "connections", total_results = 11 })
      assert.equal(1, e{ version = 1, kind = "connections" })          -- default total_results 10
      assert.equal(5, e{ version = 2, kind = "connections", count = 250 })
      assert.equal(3, e{ version = 2, kind = "recommendations", count = 25 })
    end)

    it("price walks", function()
      local e = linkup.estimate_credits
      assert.equal(25, e{ version = 2, kind = "connections", walk = true, total = 1234 })
      assert.equal(124, e{ version = 1, kind = "connections", walk = true, total = 1234 })
      assert.equal(2, e{ version = 1, kind = "connections", walk = true, offset = 5, limit = 10 })
      assert.equal(6, e{ version = 2, kind = "recommendations", walk = true, limit = 60 })
      local n, why = e{ version = 2, walk = true }
      assert.is_nil(n)
      assert.is_string(why)
      local c = H.client(server)
      assert.equal(20, c:estimate_credits("connections", { limit = 1000 }))
    end)
  end)
end)
