-- The four calls, v1 and v2, over real HTTP to the fake LinkupAPI.
local H = require "helpers"

-- What linkup should give for an item the server sends: N/A fields as nil.
local function expect_items(raw)
  for _, item in ipairs(raw) do
    for _, f in ipairs{ "job_title", "profile_picture" } do
      if item[f] == "N/A" then item[f] = nil end
    end
  end
  return raw
end

describe("calls against the fake LinkupAPI", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  describe("v2", function()
    it("lists connections with count and offset, data and meta as documented", function()
      local c = H.client(server)
      local data, meta = c:connections{ count = 25, offset = 40 }
      assert.is_table(data, tostring(meta))
      assert.equal(25, #data.connections)
      assert.equal(25, data.total_results)
      assert.equal(1234, data.total_available_results)
      assert.same({ offset = 40, count = 25, next_offset = 65, has_more = true,
                    results_per_page = 25, pages_fetched = 1 }, data.pagination)
      assert.same(expect_items(server:expected("connections", 2, 1234, 40, 25)), data.connections)
      assert.equal(200, meta.status)
      assert.equal(1, meta.credits)
      assert.equal(1, meta.attempts)
      if math.type then assert.equal("integer", math.type(data.total_available_results)) end
      -- the request as sent: integers stay integers on the wire
      local log = server:log()
      assert.equal(1, #log)
      assert.equal("/v2/network", log[1].path)
      assert.equal('{"account_id":"acc-main","action":"list_connections","params":{"count":25,"offset":40}}',
        log[1].body)
      assert.equal(H.API_KEY, log[1].headers["x-api-key"])
      assert.equal("application/json", log[1].headers["content-type"])
      assert.matches("^linkup/%d+%.%d+%.%d+", log[1].headers["user-agent"])
      assert.matches("gzip", log[1].headers["accept-encoding"])
    end)

    it("gives nil for N/A fields and keeps every odd character of names exact", function()
      local c = H.client(server)
      local data = assert(c:connections{ count = 100 })
      local na_title, na_pic = 0, 0
      for _, p in ipairs(data.connections) do
        if p.job_title == nil then na_title = na_title + 1 end
        if p.profile_picture == nil then na_pic = na_pic + 1 end
        assert.is_not_equal("N/A", p.job_title)
      end
      assert.is_true(na_title > 0 and na_pic > 0)
      local names = {}
      for _, p in ipairs(data.connections) do names[#names + 1] = p.name end
      local all = table.concat(names, "|")
      assert.matches("\xc3\xa4", all, 1, true)        -- accent
      assert.matches("\xf0\x9f", all, 1, true)        -- emoji
      assert.matches('"', all, 1, true)
      assert.matches("\\", all, 1, true)
      assert.matches("\n", all, 1, true)
      assert.same(expect_items(server:expected("connections", 2, 1234, 0, 100)), data.connections)
    end)

    it("gets recommendations one-shot with count; credits from metadata", function()
      local c = H.client(server)
      local data, meta = c:recommendations{ count = 25 }
      assert.is_table(data, tostring(meta))
      assert.equal(25, #data.recommendations)
      assert.equal(3, meta.credits)
      assert.same(expect_items(server:expected("recommendations", 2, 60, 0, 25)), data.recommendations)
      local body = server:bodies()[1]
      assert.same({ account_id = "acc-main", action = "recommendations", params = { count = 25 } }, body)
    end)

    it("lets a call's account_id override the client's", function()
      local c = H.client(server)
      local data = assert(c:connections{ account_id = "acc-size-7", count = 10 })
      assert.equal(7, #data.connections)
      assert.equal(7, data.total_available_results)
      assert.is_false(data.pagination.has_more)
      assert.equal("acc-size-7", server:bodies()[1].account_id)
    end)

    it("sends empty params when none are given", function()
      local c = H.client(server)
      local data = assert(c:connections())
      assert.equal(10, #data.connections)
      assert.same({}, server:bodies()[1].params)
    end)
  end)

  describe("v1", function()
    it("lists connections in total-results mode", function()
      local c = H.client(server, { version = 1 })
      local data, meta = c:connections{ total_results = 25 }
      assert.is_table(data, tostring(meta))
      assert.equal(25, #data.connections)
      assert.equal(1234, data.total_available_results)
      assert.equal(3, meta.credits)                       -- 1 per 10 asked, rounded up
      assert.same(expect_items(server:expected("connections", 1, 1234, 0, 25)), data.connections)
      assert.same({ login_token = H.TOKEN, total_results = 25 }, server:bodies()[1])
    end)

    it("lists connections in pagination mode", function()
      local c = H.client(server, { version = 1, country = "US" })
      local data, meta = c:connections{ start_page = 3, end_page = 5 }
      assert.is_table(data, tostring(meta))
      assert.equal(30, #data.connections)
      assert.equal(3, meta.credits)                       -- 1 per page
      assert.equal(3, data.pagination.start_page)
      assert.equal(5, data.pagination.end_page)
      assert.same(expect_items(server:expected("connections", 1, 1234, 20, 30)), data.connections)
      assert.same({ login_token = H.TOKEN, country = "US", start_page = 3, end_page = 5 }, server:bodies()[1])
    end)

    it("gets recommendations in both modes", function()
      local c = H.client(server, { version = 1 })
      local data, meta = c:recommendations{ start_page = 2 }
      assert.is_table(data, tostring(meta))
      assert.equal(25, #data.recommendations)
      assert.equal(2, data.pagination.current_page)
      assert.equal(5, data.pagination.total_pages)       -- 120 / 25, rounded up
      assert.equal(1, meta.credits)
      assert.same(expect_items(server:expected("recommendations", 1, 120, 25, 25)), data.recommendations)
      data, meta = c:recommendations{ total_results = 11 }
      assert.equal(11, #data.recommendations)
      assert.equal(2, meta.credits)
    end)

    it("lets a call's login_token and country override the client's", function()
      local c = H.client(server, { version = 1, country = "FR" })
      local data = assert(c:connections{ login_token = "tok-size-3", country = "DE", total_results = 10 })
      assert.equal(3, #data.connections)
      assert.same({ login_token = "tok-size-3", country = "DE", total_results = 10 }, server:bodies()[1])
    end)

    it("picks v1 when only a login_token is given", function()
      local c = H.linkup.new{ api_key = H.API_KEY, base_url = server.url, login_token = H.TOKEN }
      assert.equal(1, c:info().version)
      assert.is_table((c:connections{ total_results = 5 }))
      assert.equal("/v1/network/connections", server:log()[1].path)
    end)
  end)

  describe("HTTP", function()
    it("reuses one connection across calls (keep-alive)", function()
      local c = H.client(server)
      for _ = 1, 5 do assert.is_table((c:connections{ count = 5 })) end
      local log = server:log()
      assert.equal(5, #log)
      for i = 2, 5 do assert.equal(log[1].conn, log[i].conn) end
    end)

    it("gives each client its own connection", function()
      local a, b = H.client(server), H.client(server)
      assert(a:connections{ count = 1 })
      assert(b:connections{ count = 1 })
      local log = server:log()
      assert.is_not_equal(log[1].conn, log[2].conn)
    end)

    it("decodes gzip responses", function()
      local c = H.client(server)
      local data = assert(c:connections{ count = 200 })
      assert.equal(200, #data.connections)
      assert.matches("gzip", server:log()[1].headers["accept-encoding"])
    end)

    it("reads LINKUP_BASE_URL when base_url is not given", function()
      -- os.getenv cannot be set from Lua: run a child interpreter
      local cmd = string.format(
        "env LINKUP_API_KEY=%s LINKUP_BASE_URL=%s LUA_PATH=%s LUA_CPATH=%s %s -e %s 2>&1",
        H.q(H.API_KEY), H.q(server.url), H.q(package.path), H.q(package.cpath),
        H.q(os.getenv("LINKUP_LUA") or "lua5.4"),
        H.q('local c = require("linkup").new{ account_id = "acc-size-4" } ' ..
            'local d, e = c:connections{} print(d and #d.connections or tostring(e))'))
      local out = H.sh(cmd, true)
      assert.equal("4\n", out)
    end)
  end)
end)
