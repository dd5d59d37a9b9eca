-- Wall time for 16 pages (100 items each) with the fake API's latency:
-- one request alone, then client:batch and a concurrent walk at
-- concurrency 1, 4, 16. Prints tab-separated rows: what seconds.
local linkup = require "linkup"
local now = linkup.now
local base = arg[1]
local client = linkup.new{ api_key = "test-bench", base_url = base, account_id = "acc-size-1600" }
assert(client:connections{ count = 100 })           -- open the connection first

local t0 = now()
assert(client:connections{ count = 100, offset = 0 })
print("one request", now() - t0)
for _, k in ipairs{ 1, 4, 16 } do
  local calls = {}
  for p = 0, 15 do calls[#calls + 1] = { "connections", { count = 100, offset = p * 100 } } end
  t0 = now()
  local rs = client:batch(calls, { concurrency = k })
  for _, r in ipairs(rs) do assert(r.data, tostring(r.err)) end
  print(("batch of 16, concurrency %d"):format(k), now() - t0)
end
for _, k in ipairs{ 1, 4, 16 } do
  t0 = now()
  local n = 0
  for _ in client:each_connection{ page_size = 100, concurrency = k } do n = n + 1 end
  assert(n == 1600)
  print(("walk of 16 pages, concurrency %d"):format(k), now() - t0)
end
