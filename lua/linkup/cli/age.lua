-- linkup.cli.age: how many days ago an invitation was sent.
--
-- v2 items say it as a number (sent_time_days) and as compact text ("3d",
-- "2w", "1mo"); v1 items only as free text ("1 day ago", "Sent yesterday",
-- "Sent 2 weeks ago", "3 months ago", "Sent today"). A week is 7 days, a
-- month 30, a year 365: the age is a lower bound, as LinkedIn rounds down.

local type, tonumber, floor = type, tonumber, math.floor

local M = {}

local UNIT = {
  s = 0, sec = 0, second = 0, m = 0, min = 0, minute = 0, h = 0, hr = 0, hour = 0,
  d = 1, day = 1, w = 7, wk = 7, week = 7, mo = 30, month = 30, y = 365, yr = 365, year = 365,
}

--- days(item) -> whole days since it was sent, or nil when the item does not say.
function M.days(item)
  local n = item.sent_time_days
  if type(n) == "number" and n >= 0 then return floor(n) end
  local t = type(item.sent_time) == "string" and item.sent_time:lower() or ""
  if t:find("today") or t:find("just now") then return 0 end
  if t:find("yesterday") then return 1 end
  local count, unit = t:match("(%d+)%s*(%a+)")
  if not count then
    unit = t:match("^%s*sent%s+an?%s+(%a+)") or t:match("^%s*an?%s+(%a+)") -- "a week ago"
    count = unit and 1
  end
  unit = unit and (UNIT[unit] or UNIT[unit:gsub("s$", "")])
  if not unit then return nil end
  return tonumber(count) * unit
end

return M
