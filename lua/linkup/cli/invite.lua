-- linkup.cli.invite: `linkup invite [URL ...] [--from FILE]`: a connection
-- request to each person, once (API v2: v1 has no invite).
--
-- With --db FILE every invite goes through the store's invite guard: a
-- person the database has seen invited (ok, uncertain, or begun by a run
-- that crashed) is skipped; each attempt is committed before it is sent
-- and its outcome after; --max-per-day caps the attempts per account and
-- UTC day across runs. A person listed twice in one run is invited once.

local linkup = require "linkup"
local actions = require "linkup.cli.actions"
local client = require "linkup.cli.client"
local db = require "linkup.cli.db"
local errors = require "linkup.cli.errors"
local targets = require "linkup.cli.targets"
local items = require "linkup.items"

local M = {}

--- run(cmd, args, ctx) -> exit code
function M.run(cmd, args, ctx)
  if args.max_per_day and not args.db then errors.usage("--max-per-day needs --db FILE") end
  local list = targets.collect(args.url, args.from)
  if #list == 0 then errors.usage("give profile URLs, or --from FILE with a profile_url column") end
  local plan = client.open(args, cmd, { dry_run = true })
  if args.message then
    -- the message alone, so that a refusal names it and not the first URL
    local probe = { profile_url = "https://www.linkedin.com/in/linkup", message = args.message }
    local ok, why = pcall(plan.invite, plan, probe)
    if not ok then
      if not linkup.is_misuse(why) then error(why, 0) end
      errors.usage("--message: %s", errors.misuse_text(why))
    end
  end
  local guard
  if args.db then
    guard = db.open(args.db):invite_guard(ctx.account, { max_per_day = args.max_per_day })
  end
  local run = actions.new(ctx, { action = "invite", noun = "invites", dry_run = args.dry_run, max = args.max,
                                 plan = plan, db = args.db, max_per_day = args.max_per_day })
  local seen = {}
  for _, t in ipairs(list) do
    local record = { profile_url = t.profile_url }
    -- two spellings of one person, one key: the store's (linkup.items)
    local key = items.key(t.profile_url) or t.profile_url
    if seen[key] then
      run:add_skip(record, "listed twice (" .. seen[key] .. ")")
    else
      seen[key] = t.origin
      local params = { profile_url = t.profile_url, message = args.message }
      if guard then
        run:add_guarded(record, guard, params, t.origin)
      else
        run:add(record, "invite", params, t.origin)
      end
    end
  end
  return run:go()
end

return M
