-- linkup.cli.accept: `linkup accept` and `linkup decline` (v2 only): one
-- received invitation (--urn URN --secret SECRET, as listed by `linkup
-- invitations`), or every one (--all).
--
-- --all reads the received list whole first, then acts on each: an
-- invitation accepted while the list is walked leaves it, which would
-- shift the offsets and skip people.

local actions = require "linkup.cli.actions"
local client = require "linkup.cli.client"
local errors = require "linkup.cli.errors"

local M = {}

local function str(v) return type(v) == "string" and v or nil end

-- The record of one invitation: who sent it (v1 flat, v2 nested).
local function record_of(inv)
  local sender = type(inv.sender) == "table" and inv.sender or {}
  local name = str(inv.name)
  if not name and (str(sender.first_name) or str(sender.last_name)) then
    name = ((str(sender.first_name) or "") .. " " .. (str(sender.last_name) or "")):match("^%s*(.-)%s*$")
  end
  return { entity_urn = str(inv.entity_urn), profile_url = str(inv.profile_url) or str(sender.linkedin_url),
           name = name }
end

--- run(cmd, args, ctx) -> exit code; cmd.name is the action (accept, decline).
function M.run(cmd, args, ctx)
  if args.all and (args.urn or args.secret) then errors.usage("give --all, or --urn and --secret, not both") end
  if not args.all and not (args.urn and args.secret) then
    errors.usage("give --all, or --urn URN --secret SECRET (from %s invitations)", ctx.prog)
  end
  local plan = client.open(args, cmd, { dry_run = true })
  local run = actions.new(ctx, { action = cmd.name, noun = cmd.name .. "s", dry_run = args.dry_run, max = args.max,
                                 plan = plan })
  if args.all then
    local list = {}
    for _, inv in ctx.client:each_invitation{ invitation_type = args.type, page_size = actions.page_size(ctx) } do
      list[#list + 1] = inv
    end
    for _, inv in ipairs(list) do
      run:add(record_of(inv), cmd.name, { entity_urn = inv.entity_urn, shared_secret = inv.shared_secret })
    end
  else
    run:add({ entity_urn = args.urn }, cmd.name, { entity_urn = args.urn, shared_secret = args.secret }, "--urn")
  end
  return run:go()
end

return M
