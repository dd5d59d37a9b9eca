-- Walks N connections from the fake LinkupAPI and prints the peak RSS of
-- this process: memory must not grow with the length of a walk.
--   lua5.4 bench/walk_rss.lua BASE_URL N [PAGE_SIZE]
local linkup = require "linkup"

local base, n, page = arg[1], tonumber(arg[2]), tonumber(arg[3]) or 1000

local function status(field)
  for line in io.lines("/proc/self/status") do
    local v = line:match("^" .. field .. ":%s+(%d+) kB")
    if v then return tonumber(v) end
  end
end

local client = linkup.new{ api_key = "test-bench", base_url = base, account_id = "acc-size-" .. n }
local count, bytes, t0 = 0, 0, os.clock()
for _, person in client:each_connection{ page_size = page } do
  count = count + 1
  bytes = bytes + #person.name
end
assert(count == n, ("walked %d of %d"):format(count, n))
print(string.format("%d\t%d\t%.2f\t%d", n, status("VmHWM"), os.clock() - t0, client:info().credits_spent))
