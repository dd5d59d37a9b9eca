-- close, __gc and <close>: the handle is freed once, a closed client raises.
local H = require "helpers"

describe("client lifetime", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)

  it("close is idempotent, and a closed client raises a clear error", function()
    local c = H.client(server)
    assert.is_table((c:connections{ count = 1 }))
    c:close()
    c:close()
    local ok, err = pcall(c.connections, c, {})
    assert.is_false(ok)
    assert.matches("client is closed", err)
    ok, err = pcall(function() for _ in c:each_connection{} do end end)
    assert.is_false(ok)
    assert.matches("client is closed", err)
    assert.matches("closed", tostring(c))
  end)

  it("closed in the middle of a batch (from on_event): the rest ends with an error, nothing more is sent", function()
    server:reset()
    local c
    local seen = 0
    c = H.client(server, { on_event = function()
      seen = seen + 1
      if seen == 3 then c:close() end
    end })
    local calls = {}
    for i = 1, 10 do calls[i] = { "connections", { count = 1 } } end
    local results = c:batch(calls, { concurrency = 2 })
    assert.equal(10, #results)
    local ok, closed = 0, 0
    for _, r in ipairs(results) do
      if r.data then ok = ok + 1 else
        H.keep(r.err)
        assert.matches("closed", r.err.message)
        closed = closed + 1
      end
    end
    assert.is_true(ok >= 3 and ok <= 4, "ok: " .. ok)
    assert.equal(10, ok + closed)
    assert.is_true(server:stats().requests <= 4)
  end)

  it("frees the connection on close: the server sees it go", function()
    server:reset()
    local c = H.client(server)
    assert.is_table((c:connections{ count = 1 }))
    assert.equal(1, server:stats().open_connections)
    c:close()
    assert.equal(0, server:wait_closed())
  end)

  it("frees the connection when the client is garbage", function()
    server:reset()
    do
      local c = H.client(server)
      assert.is_table((c:connections{ count = 1 }))
    end
    collectgarbage()
    collectgarbage()
    assert.equal(0, server:wait_closed())
  end)

  if _VERSION == "Lua 5.4" then
    it("closes at the end of a <close> block", function()
      -- compiled at run time: LuaJIT must still be able to parse this file
      local f = assert(load([[
        local H, server = ...
        local kept
        do
          local c <close> = H.client(server)
          kept = c
          assert(c:connections{ count = 1 })
        end
        return kept
      ]]))
      local c = f(H, server)
      local ok, err = pcall(c.connections, c, {})
      assert.is_false(ok)
      assert.matches("client is closed", err)
    end)
  end
end)
