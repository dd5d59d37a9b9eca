-- CPU per item, Debian's lua-curl (0.3) + lua-cjson under LuaJIT: one easy
-- handle reused (keep-alive), body collected, decoded. Prints: items cpu_seconds
local curl, cjson = require "curl", require "cjson"
local base, pages, size = arg[1], tonumber(arg[2]), tonumber(arg[3])
local e = curl.easy_init()
local parts
e:setopt(curl.OPT_URL, base .. "/v2/network")
e:setopt(curl.OPT_HTTPHEADER, { "x-api-key: test-bench", "Content-Type: application/json", "Expect:" })
e:setopt(curl.OPT_WRITEFUNCTION, function(s) parts[#parts + 1] = s return #s end)
local n, chars, t0 = 0, 0, os.clock()
for p = 0, pages - 1 do
  parts = {}
  e:setopt(curl.OPT_POSTFIELDS, cjson.encode{ account_id = "bench", action = "list_connections",
                                              params = { count = size, offset = p * size } })
  assert(e:perform())
  local doc = cjson.decode(table.concat(parts))
  for _, person in ipairs(doc.data.connections) do
    n = n + 1
    chars = chars + #person.name
  end
end
print(n, os.clock() - t0)
