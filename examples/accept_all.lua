-- Accept every pending invitation you received.
--
--   LINKUP_API_KEY=... LINKUP_ACCOUNT_ID=... lua5.4 examples/accept_all.lua [--send]
--
-- The list is read whole first (accepting while walking it would shift its
-- offsets and skip people), then each is accepted once. Without --send it
-- is a dry run. One JSONL line per invitation: ok, failed or uncertain.
local linkup = require "linkup"

local send = arg[1] == "--send"
local token = os.getenv("LINKUP_LOGIN_TOKEN")
local client = linkup.new{ account_id = not token and os.getenv("LINKUP_ACCOUNT_ID") or nil,
                           login_token = token, dry_run = not send }

local pending = {}
for _, inv in client:each_invitation{} do pending[#pending + 1] = inv end

local credits = 0
for _, inv in ipairs(pending) do
  local data, meta = client:accept{ entity_urn = inv.entity_urn, shared_secret = inv.shared_secret }
  local line = { from = inv.profile_url or (inv.sender or {}).linkedin_url, entity_urn = inv.entity_urn }
  if data and data.dry_run then line.outcome = "planned" credits = credits + meta.credits
  elseif data then line.outcome = "ok"
  else line.outcome, line.error = meta.uncertain and "uncertain" or "failed", tostring(meta) end
  print(linkup.json_encode(line))
end
io.stderr:write(("%d pending invitations%s\n"):format(#pending,
  send and "" or (", accepting them would cost " .. credits .. " credits (dry run: --send to accept)")))
