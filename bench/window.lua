-- A batch of 32 calls whose latencies vary (4 slow ones of 1 s among 28 of
-- 100 ms), concurrency 8: the sliding window against waves of 8 (the first
-- wave's engine: each wave waits for its slowest call), measured in one run.
-- The ideal is a perfect sliding window on the same order: each call
-- starts the moment a place is free, with no overhead (the client cannot
-- know latencies in advance, so it cannot reorder them).
-- Usage: lua bench/window.lua URL. Prints: what, seconds, ideal.
local linkup = require "linkup"
local base = arg[1]
-- a server with no limit and no latency but each call's own (lat-MS)
io.popen("curl -s -X POST " .. base .. "/_reset"):close()
local c = linkup.new{ api_key = "test-bench-window", base_url = base, rate_limit = false }
local calls, lat = {}, {}
for i = 1, 32 do
  local ms = (i % 8 == 1) and 1000 or 100      -- calls 1, 9, 17, 25: one per wave
  lat[i] = ms / 1000
  calls[i] = { "connections", { account_id = ("acc-b%d-lat-%d-size-10"):format(i, ms), count = 5 } }
end
local ideal, free = 0, { 0, 0, 0, 0, 0, 0, 0, 0 }
for i = 1, 32 do
  table.sort(free)
  free[1] = free[1] + lat[i]
  ideal = math.max(ideal, free[1])
end
assert(c:connections{ account_id = "acc-warm-size-1", count = 1 })
local t0 = linkup.now()
for _, r in ipairs(c:batch(calls, { concurrency = 8 })) do assert(r.data, tostring(r.err)) end
print("sliding window", linkup.now() - t0, ideal)
t0 = linkup.now()
for w = 0, 3 do
  local wave = {}
  for i = 1, 8 do wave[i] = calls[w * 8 + i] end
  for _, r in ipairs(c:batch(wave, { concurrency = 8 })) do assert(r.data, tostring(r.err)) end
end
print("waves of 8", linkup.now() - t0, ideal)
