-- CPU per item, what a user would write with luasocket + lua-cjson (Lua 5.4):
-- POST, read the body, decode, loop over the items. Prints: items cpu_seconds
local http, ltn12, cjson = require "socket.http", require "ltn12", require "cjson"
local base, pages, size = arg[1], tonumber(arg[2]), tonumber(arg[3])
local n, chars, t0 = 0, 0, os.clock()
for p = 0, pages - 1 do
  local req = cjson.encode{ account_id = "bench", action = "list_connections",
                            params = { count = size, offset = p * size } }
  local out = {}
  local _, code = http.request{ url = base .. "/v2/network", method = "POST", sink = ltn12.sink.table(out),
    source = ltn12.source.string(req),
    headers = { ["x-api-key"] = "test-bench", ["content-type"] = "application/json",
                ["content-length"] = tostring(#req) } }
  assert(code == 200, code)
  local doc = cjson.decode(table.concat(out))
  for _, person in ipairs(doc.data.connections) do
    n = n + 1
    chars = chars + #person.name
  end
end
print(n, os.clock() - t0)
