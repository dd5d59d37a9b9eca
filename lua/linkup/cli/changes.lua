-- linkup.cli.changes: `linkup changes --db FILE --since RUN|DATE`: who was
-- added to a list and who left it since a sync run (that run included) or
-- a date, in the export formats (linkup.cli.output) and with --fields.
--
-- A record is the database's row (linkup.store's changes): `change`
-- ("added" or "removed"), `run`, the columns, and `item`, the item as the
-- API sent it (so `--fields item.sender.headline` reaches into it). It
-- calls no API and costs nothing.

local db = require "linkup.cli.db"
local errors = require "linkup.cli.errors"
local fields = require "linkup.cli.fields"
local output = require "linkup.cli.output"
local sink = require "linkup.cli.sink"
local sync = require "linkup.cli.sync"

local floor, type, tonumber = math.floor, type, tonumber

local M = {}

-- The columns a change record has beyond the default ones.
local MORE = { "kind", "account", "picture", "first_seen", "last_seen", "added_at", "added_run", "seen_run" }

--- documented(kind, item_fields) -> default, all: the fields of a change
-- record of this kind, the default selection first; item_fields: the
-- export's item fields (both API versions), reachable under "item.".
function M.documented(kind, item_fields)
  local default = { "change", "run", "name", "headline", "profile_url" }
  local invitation = kind == "invitations" or kind == "sent_invitations"
  if invitation then
    for _, f in ipairs{ "invitation_type", "sent_time", "entity_urn", "invitation_id" } do default[#default + 1] = f end
  end
  default[#default + 1] = kind == "recommendations" and "invited_at" or "removed_at"
  local all, have = {}, {}
  local function add(f)
    if not have[f] then all[#all + 1], have[f] = f, true end
  end
  for _, f in ipairs(default) do add(f) end
  for _, f in ipairs(MORE) do add(f) end
  if kind ~= "recommendations" then add("removed_run") end
  add("item")
  for _, f in ipairs(item_fields) do add("item." .. f) end
  return default, all
end

-- SQLite's numbers come back as floats: whole ones are written as integers.
local function whole(row)
  for k, v in pairs(row) do
    if type(v) == "number" and v == floor(v) then row[k] = floor(v) end
  end
  row.json = nil
  return row
end

--- run(cmd, args, ctx) -> exit code. cmd.item_fields: { kind = paths }.
function M.run(cmd, args)
  if not args.db then errors.usage("changes needs --db FILE") end
  if not args.since then errors.usage("changes needs --since RUN|DATE") end
  if args.append and not args.output then errors.usage("--append needs --output FILE") end
  local kind = sync.KINDS[args.kind]
  local since = args.since
  if since:find("^%d+$") then since = tonumber(since) end
  local default, all = M.documented(kind, cmd.item_fields[kind] or {})
  local sel = fields.select(args.fields, all, "changes of " .. kind)
  if not args.fields then
    -- without --fields: CSV and table show the main columns, JSON the whole row
    local main = fields.select(table.concat(default, ","), all, "changes")
    main.whole = true
    sel = main
  end
  local store = db.open(args.db)
  local rows, err = store:changes(kind, since, { account = args.account_key })
  if not rows then error(err, 0) end
  store:close()
  local fmt = output.new(args.format, sel, args.format == "table" and output.columns() or nil)
  local out = sink.open(args.output, args.append, fmt)
  for i, row in ipairs(rows) do out:put(fmt.record(whole(row), i), i) end
  if fmt.tail then out:put(fmt.tail()) end
  out:close()
  return errors.OK
end

return M
