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
