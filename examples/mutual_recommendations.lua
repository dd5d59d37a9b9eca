-- "People you may know" with at least N mutual connections.
--
--   LINKUP_API_KEY=... LINKUP_ACCOUNT_ID=... lua5.4 examples/mutual_recommendations.lua 20
--
-- LinkedIn's insight reads "Emma and 19 other mutual connections": Emma plus
-- 19 others, so 20 mutual connections. Other insights ("Works at Acme")
-- count as none.
local linkup = require "linkup"

local at_least = tonumber(arg[1]) or 10
local client = linkup.new{ account_id = os.getenv("LINKUP_ACCOUNT_ID") }

local function mutual(insight)
  local others = insight and tonumber(insight:match("(%d+) other mutual connection"))
  if others then return others + 1 end
  if insight and insight:find("is a mutual connection") then return 1 end
  return 0
end

local found = 0
for _, r in client:each_recommendation{ limit = 100 } do
  local n = mutual(r.insight)
  if n >= at_least then
    found = found + 1
    print(("%3d  %s  <%s>"):format(n, (r.name:gsub("%s+", " ")), r.profile_url))
  end
end
print(("%d recommendations with at least %d mutual connections"):format(found, at_least))
