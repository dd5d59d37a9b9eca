-- linkup.cli.check: `linkup check URL ...`: where you stand with each
-- person (check_invitation: 1 credit each), one JSONL record per URL:
--
--   {"credits":1,"invitation_id":"745...","invitation_state":"PENDING",
--    "invitation_type":"SENT","member_distance":2,"message":"...","profile_url":"..."}
--
-- It is how to find out what an uncertain write did. With --db FILE (v2)
-- it also settles an uncertain invite the database holds for that person:
-- "ok" when an invitation went out (SENT, or already connected), "failed"
-- when there is none (NO_INVITATION: `linkup invite --db` may try again).
-- The record says so in `settled`.

local db = require "linkup.cli.db"
local errors = require "linkup.cli.errors"
local log = require "linkup.cli.log"

local M = {}

-- What a status says about an invite of ours that may have gone out.
local function verdict(status)
  if status.invitation_type == "SENT" or status.invitation_type == "CONNECTED"
    or status.invitation_state == "ACCEPTED" then
    return "ok"
  end
  if status.invitation_state == "NO_INVITATION" then return "failed" end
end

--- run(cmd, args, ctx) -> exit code
function M.run(_, args, ctx)
  local guard
  if args.db then
    if ctx.version ~= 2 then errors.usage("--db: invites are kept per v2 account; check --db is for API v2") end
    guard = db.open(args.db):invite_guard(ctx.account)
  end
  local c = ctx.client
  for _, url in ipairs(args.url) do
    local status, meta = c:check_invitation{ profile_url = url }
    if not status then error(meta, 0) end
    local record = { profile_url = url, credits = meta.credits }
    for k, v in pairs(status) do record[k] = v end
    if guard then
      local seen, outcome, id = guard:seen(url)
      if seen == nil then error(outcome, 0) end
      local settled = seen and outcome == "uncertain" and verdict(status)
      if settled then
        local ok, err = guard:finish(id, settled, settled == "failed" and { message = "check_invitation: "
          .. tostring(status.invitation_state) } or nil)
        if not ok then error(err, 0) end
        record.settled = settled
      end
    end
    log.line(record)
  end
  c:close()
  return errors.OK
end

return M
