-- Withdraw the invitations you sent more than N days ago and that are still pending.
--
--   LINKUP_API_KEY=... LINKUP_ACCOUNT_ID=... lua5.4 examples/withdraw_old.lua 30 [--send]
--
-- The sent list is read whole first, then the old ones are withdrawn: a list
-- that changes while it is walked would shift its offsets and skip people.
-- v2's sent items have no invitation_id: it is the number that ends their
-- entity_urn (urn:li:invitation:<id>), or, failing that, what
-- check_invitation says (1 credit). v1 items carry it (19 digits, a string).
-- Without --send it is a dry run. One JSONL line per invitation.
local linkup = require "linkup"

local days = tonumber(arg[1]) or 30
local send = arg[2] == "--send"
local token = os.getenv("LINKUP_LOGIN_TOKEN")
local client = linkup.new{ account_id = not token and os.getenv("LINKUP_ACCOUNT_ID") or nil,
                           login_token = token, dry_run = not send }

-- v2 says sent_time_days; v1 says "3 days ago", "1 week ago", "Sent yesterday".
local UNIT = { day = 1, week = 7, month = 30, year = 365 }
local function age(inv)
  if type(inv.sent_time_days) == "number" then return inv.sent_time_days end
  local t = (inv.sent_time or ""):lower()
  if t:find("today") or t:find("hour") or t:find("minute") then return 0 end
  if t:find("yesterday") then return 1 end
  local n, unit = t:match("(%d+)%s*(%a+)")
  unit = unit and UNIT[unit:gsub("s$", "")]
  return n and unit and tonumber(n) * unit or nil
end

local old = {}
for _, inv in client:each_sent_invitation{} do
  local a = age(inv)
  if a and a > days then old[#old + 1] = inv end
end

for _, inv in ipairs(old) do
  local who = inv.profile_url or (inv.recipient or {}).linkedin_url
  local id = inv.invitation_id or (inv.entity_urn or ""):match(":(%d+)$")
  if not id and who then
    local status = client:check_invitation{ profile_url = who }
    id = status and status.invitation_id
  end
  local line = { profile_url = who, age_days = age(inv), invitation_id = id }
  if not id then
    line.outcome, line.error = "failed", "no invitation_id"
  else
    local data, meta = client:withdraw{ invitation_id = id }
    if data and data.dry_run then line.outcome = "planned"
    elseif data then line.outcome = "ok"
    else line.outcome, line.error = meta.uncertain and "uncertain" or "failed", tostring(meta) end
  end
  print(linkup.json_encode(line))
end
io.stderr:write(("%d invitations older than %d days%s\n"):format(#old, days,
  send and "" or " (dry run: --send to withdraw)"))
