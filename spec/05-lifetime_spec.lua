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
