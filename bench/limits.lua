-- A 10,000-item walk (pages of 100) against a fake with latency and a rate
-- limit, at concurrency 1, 4, 8, 16: wall time against the ideal (the
-- larger of pages/k x latency and pages/rate), the 429s the server gave,
-- and the credits spent against the data's price.
-- Usage: lua bench/limits.lua URL LATENCY REQUESTS PER
-- Prints tab-separated rows: k, limiter, seconds, ideal, 429s, credits, price.
local linkup = require "linkup"
local base, latency, requests, per = arg[1], tonumber(arg[2]), tonumber(arg[3]), tonumber(arg[4])

local function control(method, path, body)
  local cmd = ("curl -s -X %s %s%s"):format(method, base, path)
  if body then cmd = cmd .. " -H 'Content-Type: application/json' --data-binary '" .. body .. "'" end
  local f = io.popen(cmd)
  local out = f:read("*a")
  f:close()
  return linkup.json_decode(out)
end

local ITEMS, PAGE = 10000, 100
local pages = ITEMS / PAGE
local price = linkup.estimate_credits{ version = 2, kind = "connections", walk = true, limit = ITEMS, page_size = PAGE }
local rows = {}
for _, case in ipairs{ { 1, true }, { 4, true }, { 8, true }, { 16, true }, { 16, false } } do
  local k, limited = case[1], case[2]
  control("POST", "/_reset")
  control("POST", "/_config",
    ('{"latency": %s, "rate_limit": {"requests": %d, "per": %s}}'):format(latency, requests, per))
  -- a fresh key per run: the client's send log must not remember the last run
  local key = ("test-bench-limits-%d-%s-%d"):format(k, tostring(limited), os.time())
  local c = linkup.new{ api_key = key, base_url = base, account_id = "acc-size-" .. ITEMS, max_retries = 8,
                        rate_limit = limited and { requests = requests, per = per } or false }
  local t0 = linkup.now()
  local ok, err = pcall(function()
    for _ in c:each_connection{ page_size = PAGE, concurrency = k } do end
  end)
  local took = linkup.now() - t0
  local stats = control("GET", "/_stats")
  local ideal = math.max(pages / k * latency, pages / (requests / per))
  rows[#rows + 1] = { k, limited and "on" or "off", took, ideal, stats.rate_limited, stats.credits, price,
                      ok and "" or tostring(err) }
  c:close()
end
for _, r in ipairs(rows) do
  print(("%d\t%s\t%.2f\t%.2f\t%d\t%s\t%d\t%s"):format(r[1], r[2], r[3], r[4], r[5], tostring(r[6]), r[7], r[8]))
end
