-- linkup.cli.withdraw: `linkup withdraw (--older-than DAYS | --id ID)`:
-- take back invitations you sent that are still pending.
--
-- --older-than reads the sent list whole first (withdrawing while it is
-- walked would shift its offsets and skip people), then withdraws each
-- one sent more than DAYS days ago (linkup.cli.age). The id to withdraw:
-- the item's invitation_id (v1; exact digits), else the digits that end
-- its entity_urn (v2 items have no invitation_id), else what
-- check_invitation says about the person (a read: 1 credit, also in a dry
-- run).

local actions = require "linkup.cli.actions"
local age = require "linkup.cli.age"
local client = require "linkup.cli.client"
local errors = require "linkup.cli.errors"

local type, floor, format = type, math.floor, string.format

local M = {}

local function str(v) return type(v) == "string" and v or nil end

-- The id an item carries: exact digits, or nil. A number is trusted only
-- where a double holds it exactly (below 2^53); a bigger one may have been
-- rounded by a JSON decoder and would withdraw someone else's invitation.
local function listed_id(inv)
  local id = inv.invitation_id
  if type(id) == "string" and id:find("^%d+$") then return id end
  if type(id) == "number" and id >= 0 and id == floor(id) and id < 2 ^ 53 then return format("%d", id) end
  return str(inv.entity_urn) and inv.entity_urn:match(":(%d+)$")
end

-- The record of one sent invitation: to whom (v1 flat, v2 nested).
local function record_of(inv)
  local to = type(inv.recipient) == "table" and inv.recipient or {}
  return { profile_url = str(inv.profile_url) or str(to.linkedin_url), entity_urn = str(inv.entity_urn),
           age_days = age.days(inv) }
end

-- The id check_invitation gives for a pending invitation of ours: id, or
-- nil and why not.
local function checked_id(c, url)
  local status, err = c:check_invitation{ profile_url = url }
  if not status then return nil, "no invitation_id listed, and check_invitation failed: " .. tostring(err) end
  if status.invitation_type == "SENT" and str(status.invitation_id) then return status.invitation_id end
  return nil, format("no invitation_id listed, and check_invitation says %s/%s", tostring(status.invitation_type),
    tostring(status.invitation_state))
end

--- run(cmd, args, ctx) -> exit code
function M.run(cmd, args, ctx)
  if (args.older_than == nil) == (args.id == nil) then errors.usage("give --older-than DAYS or --id ID") end
  local plan = client.open(args, cmd, { dry_run = true })
  local run = actions.new(ctx, { action = "withdraw", noun = "withdrawals", dry_run = args.dry_run, max = args.max,
                                 plan = plan })
  if args.id then
    run:add({ invitation_id = args.id }, "withdraw", { invitation_id = args.id }, "--id")
    return run:go()
  end
  local old = {}
  for _, inv in ctx.client:each_sent_invitation{ invitation_type = args.type,
                                                        page_size = actions.page_size(ctx) } do
    local days = age.days(inv)
    if days == nil or days > args.older_than then old[#old + 1] = inv end
  end
  for _, inv in ipairs(old) do
    local rec = record_of(inv)
    if rec.age_days == nil then
      run:add_skip(rec, "its age is unknown (sent_time " .. tostring(inv.sent_time) .. ")")
    else
      local id, why = listed_id(inv), nil
      if not id and rec.profile_url then id, why = checked_id(ctx.client, rec.profile_url) end
      rec.invitation_id = id
      if id then
        run:add(rec, "withdraw", { invitation_id = id })
      else
        run:add_failed(rec, why or "no invitation_id, no entity_urn and no profile URL to ask about")
      end
    end
  end
  return run:go()
end

return M
