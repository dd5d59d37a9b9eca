-- Invite the people you may know who share at least N connections with you.
--
--   LINKUP_API_KEY=... LINKUP_ACCOUNT_ID=... lua5.4 examples/invite_mutual.lua 20            # the plan
--   LINKUP_API_KEY=... LINKUP_ACCOUNT_ID=... lua5.4 examples/invite_mutual.lua 20 --send     # do it
--
-- Without --send it is a dry run (a client with dry_run = true): the
-- recommendations are read (that costs credits), the invites are only
-- planned and priced. With --send each invite is sent once: one JSONL line
-- per person, "ok", "failed" or "uncertain" (an invite that may have gone
-- through: check it with client:check_invitation before trying again).
local linkup = require "linkup"

local at_least = tonumber(arg[1]) or 20
local send = arg[2] == "--send"
local message = os.getenv("INVITE_MESSAGE")
local client = linkup.new{ account_id = os.getenv("LINKUP_ACCOUNT_ID"), dry_run = not send }

-- "Emma and 19 other mutual connections": Emma plus 19 others.
local function mutual(insight)
  local others = insight and tonumber(insight:match("(%d+) other mutual connection"))
  if others then return others + 1 end
  if insight and insight:find("is a mutual connection") then return 1 end
  return 0
end

local planned, credits = 0, 0
for _, r in client:each_recommendation{ limit = 100 } do
  if mutual(r.insight) >= at_least and r.profile_url then
    local data, meta = client:invite{ profile_url = r.profile_url, message = message }
    local line = { profile_url = r.profile_url, mutual = mutual(r.insight) }
    if data and data.dry_run then
      line.outcome, line.credits = "planned", meta.credits
      credits = credits + meta.credits
    elseif data then
      line.outcome, line.invitation_urn = "ok", data.invitation_urn
    else
      line.outcome = meta.uncertain and "uncertain" or "failed"
      line.error = tostring(meta)
    end
    planned = planned + 1
    print(linkup.json_encode(line))
  end
end
local done = send and "invited (see the outcomes above)"
  or ("inviting them would cost " .. credits .. " credits: run again with --send")
io.stderr:write(("%d people with at least %d mutual connections; %s\n"):format(planned, at_least, done))
