-- CPU per item, linkup: walk PAGES pages of the fixed-page server, touching
-- every item as a user's loop would. Prints: items cpu_seconds
local linkup = require "linkup"
local base, pages, size = arg[1], tonumber(arg[2]), tonumber(arg[3])
local client = linkup.new{ api_key = "test-bench", base_url = base, account_id = "bench" }
local n, chars, t0 = 0, 0, os.clock()
for _, person in client:each_connection{ page_size = size, limit = pages * size } do
  n = n + 1
  chars = chars + #person.name
end
print(n, os.clock() - t0)
