-- 5,000 items from a server whose every page comes one item short (the
-- missing item comes on the next page), pages of 100, at concurrency 1, 4,
-- 16, 64: requests and credits against concurrency 1.
-- Usage: lua bench/short_pages.lua URL (a fake started with that lie).
-- Prints: k, items, requests, credits.
local linkup = require "linkup"
local base = arg[1]
local function control(method, path)
  local f = io.popen(("curl -s -X %s %s%s"):format(method, base, path))
  local out = f:read("*a")
  f:close()
  return linkup.json_decode(out)
end
for _, k in ipairs{ 1, 4, 16, 64 } do
  control("POST", "/_reset")
  local c = linkup.new{ api_key = "test-bench-short", base_url = base, account_id = "acc-size-5000",
                        rate_limit = false }
  local n = 0
  for _ in c:each_connection{ page_size = 100, concurrency = k } do n = n + 1 end
  local s = control("GET", "/_stats")
  print(k, n, s.requests, s.credits)
end
