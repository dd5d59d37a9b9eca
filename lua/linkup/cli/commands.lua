-- linkup.cli.commands: every command of `linkup`, one entry each.
--
-- An entry:
--   name, summary (one line for `linkup --help`), description (--help)
--   options     its options (linkup.cli.options lists, joined)
--   arguments   its positional arguments: { name, help, choices }
--   client      true: it calls the API (main builds ctx.client first)
--   run         function(entry, args, ctx) -> exit code
--   versions    { [2] = true }: a call v1 does not have (v2 implied)
--   account     false: a call that needs no account (the accounts list)
--   client_options  function(args, ctx) -> more linkup.new options
-- An export adds kind (client:each_page's), list (the key of the items in
-- a page's data) and fields (the documented fields, dotted paths into
-- nested objects; fields_v1 when v1's items differ); export{} fills in
-- the rest.
--
-- Adding an export (invitations, say) is one more export{} entry, with its
-- own options where it has some:
--
--   export{ name = "invitations", kind = "invitations", list = "invitations",
--     summary = "Invitations received, newest first.",
--     fields = { "entity_urn", "shared_secret", "sender.first_name", ... },
--     options = { { "--type", argname = "TYPE", walk = "invitation_type", resume = "copy",
--                   help = "CONNECTION, ORGANIZATION or CONTENT_SERIES" } } }
--
-- and an action is an entry with client = true and its own run.

local options = require "linkup.cli.options"
local export_cmd = require "linkup.cli.export"
local completion = require "linkup.cli.completion"
local accept = require "linkup.cli.accept"
local changes = require "linkup.cli.changes"
local check = require "linkup.cli.check"
local invite = require "linkup.cli.invite"
local sync = require "linkup.cli.sync"
local withdraw = require "linkup.cli.withdraw"

local M = {}

-- An export command: the shared options, then its own.
local function export(t)
  t.options = options.join(options.CLIENT, options.EXPORT, t.options)
  t.client = true
  t.run = export_cmd.run
  t.description = t.description or (t.summary .. "\n\nWrites every item as it comes, one record at a time; "
    .. "stopped, it prints the command that resumes it.")
  return t
end

local ACTION_LOG = "\n\nEach write prints one JSON line (action, outcome ok|failed|uncertain|skipped|planned, "
  .. "error, credits, ...); a summary goes to standard error. Exit 1 when one failed or is uncertain."

-- A write command: the API options, the write options, then its own.
local function action(t)
  t.options = options.join(options.CLIENT, options.ACTION, t.options)
  t.client = true
  t.description = t.summary .. (t.more or "") .. ACTION_LOG
  return t
end

-- accept's and decline's own options: one invitation, or all.
local ANSWER = {
  { "--all", help = "every pending invitation (the list is read whole first)" },
  { "--urn", argname = "URN", convert = options.text(), help = "entity_urn of one invitation (linkup invitations)" },
  { "--secret", argname = "SECRET", convert = options.text(), help = "its shared_secret" },
  options.TYPE,
}

-- The fields of the invitation lists (NETWORK.md), v2 nested, v1 flat.
local RECEIVED = { "sender.first_name", "sender.last_name", "sender.headline", "sender.linkedin_url", "sent_time",
  "sent_time_days", "invitation_type", "entity_urn", "shared_secret", "sender.profile_picture_url" }
local RECEIVED_V1 = { "name", "subtitle", "profile_url", "sent_time", "message", "shared_connections",
  "invitation_state", "invitation_id", "entity_urn", "shared_secret", "profile_picture" }
local SENT = { "recipient.first_name", "recipient.last_name", "recipient.headline", "recipient.linkedin_url",
  "sent_time", "sent_time_days", "invitation_type", "entity_urn", "recipient.profile_picture" }
local SENT_V1 = { "name", "subtitle", "profile_url", "sent_time", "message", "invitation_state", "invitation_type",
  "invitation_id", "entity_urn", "profile_picture" }
local CONNECTIONS = { "name", "job_title", "profile_url", "profile_picture" }
local RECOMMENDATIONS = { "name", "subtitle", "insight", "profile_url", "entity_urn", "profile_picture" }

-- Both versions' fields of a list, for `changes --fields item.<field>`.
local function both(a, b)
  local out, have = {}, {}
  for _, list in ipairs{ a, b or {} } do
    for _, f in ipairs(list) do
      if not have[f] then out[#out + 1], have[f] = f, true end
    end
  end
  return out
end

local SYNC_OPTIONS = options.pick(options.EXPORT, "Sync options", "--max-credits", "--page-size", "--concurrency",
  "--progress", "--no-progress")
local OUTPUT_OPTIONS = options.pick(options.EXPORT, "Output options", "--format", "--fields", "--output", "--append")

M.LIST = {
  export{
    name = "connections", kind = "connections", list = "connections",
    summary = "Every connection of the account, page after page.",
    fields = CONNECTIONS,
  },
  export{
    name = "recommendations", kind = "recommendations", list = "recommendations",
    summary = "\"People you may know\" (v2: one request, up to --limit or --page-size).",
    fields = RECOMMENDATIONS,
  },
  export{
    name = "invitations", kind = "invitations", list = "invitations",
    summary = "Invitations received and pending, newest first.",
    fields = RECEIVED, fields_v1 = RECEIVED_V1, options = { options.TYPE },
  },
  export{
    name = "sent", kind = "sent_invitations", list = "invitations",
    summary = "Invitations sent and still pending, newest first.",
    fields = SENT, fields_v1 = SENT_V1, options = { options.TYPE },
  },
  export{
    name = "accounts", kind = "accounts", list = "items", versions = { [2] = true }, account = false,
    summary = "The LinkedIn accounts connected to your API key (v2; free; --page-size is the API's limit, 1-500).",
    fields = { "account_id", "account_name", "platform", "status", "is_active", "country", "created_at",
               "updated_at" },
  },
  action{
    name = "invite", versions = { [2] = true }, run = invite.run,
    summary = "Send a connection request to each profile URL given (v2).",
    more = "\n\nURLs as arguments, or --from FILE: CSV with a header row or JSON lines, with a profile_url "
      .. "column. With --db FILE nobody the database saw invited is invited again.",
    arguments = { { "url", args = "*", help = "profile URLs" } },
    options = {
      { "--from", argname = "FILE", convert = options.text(),
        help = "a CSV or JSON-lines file with profile_url (- : standard input)" },
      { "--message", argname = "TEXT", convert = options.text(),
        help = "the note sent with each invite (300 characters at most)" },
      options.DB,
      { "--max-per-day", argname = "N", convert = options.int(0),
        help = "with --db: at most N invites per account and UTC day, across runs" },
    },
  },
  action{
    name = "accept", run = accept.run,
    summary = "Accept received invitations: one (--urn, --secret) or every one (--all).",
    options = ANSWER,
  },
  action{
    name = "decline", versions = { [2] = true }, run = accept.run,
    summary = "Decline received invitations: one (--urn, --secret) or every one (--all) (v2).",
    options = ANSWER,
  },
  action{
    name = "withdraw", run = withdraw.run,
    summary = "Withdraw sent invitations: those older than DAYS, or one by id.",
    more = "\n\n--older-than reads the sent list whole first. The id is the item's, else the digits ending "
      .. "its entity_urn, else check_invitation's (1 credit).",
    options = {
      { "--older-than", argname = "DAYS", convert = options.number(0),
        help = "those sent more than DAYS days ago" },
      { "--id", argname = "ID", convert = options.text(), help = "one invitation_id (digits)" },
      options.TYPE,
    },
  },
  {
    name = "check", client = true, run = check.run,
    summary = "Where you stand with each person: invited, connected, nothing (1 credit each).",
    description = "Where you stand with each person (check_invitation, 1 credit each): one JSON line per URL."
      .. "\n\nWith --db FILE (v2) an uncertain invite of that person in the database is settled: ok when "
      .. "an invitation went out, failed when none did.",
    arguments = { { "url", args = "+", help = "profile URLs" } },
    options = options.join(options.CLIENT, { options.DB }),
  },
  {
    name = "sync", client = true, run = sync.run,
    summary = "Bring the local database up to date with a list (or all of them).",
    description = "Bring the local database (--db FILE) up to date: a full walk that also finds who left, or "
      .. "--new-only, the newest until --known-run known people in a row.\n\nOne JSON line per kind on standard "
      .. "output; a sync that does not finish exits 1 and the same command resumes it.",
    arguments = { { "kind", args = "?", choices = sync.CHOICES, default = "connections",
                    help = "connections (default), invitations, sent, recommendations or all" } },
    options = options.join(options.CLIENT, {
      options.DB,
      { "--new-only", help = "read from the newest and stop at known people (finds no removals)" },
      { "--known-run", argname = "N", convert = options.int(1),
        help = "with --new-only: stop after N known in a row (25)" },
      options.ACCOUNT_KEY,
    }, SYNC_OPTIONS),
    client_options = function(args, ctx)
      local p, on_event = sync.progress(args)
      ctx.progress = p
      return { on_event = on_event }
    end,
  },
  {
    name = "changes", run = changes.run,
    summary = "Who was added to a list or left it since a sync run or a date (the database only).",
    description = "Who was added to a list or left it since a sync run (that run included) or a date "
      .. "(2026-11-20, 2026-11-20T07:00:00Z), from the database: no API call. Records have a change field "
      .. "(added, removed) and the item as received (item.<field>).",
    options = options.join({
      options.DB,
      { "--since", argname = "RUN|DATE", convert = options.text(),
        help = "a run id (linkup sync prints it) or a date" },
      { "--kind", argname = "KIND", choices = { "connections", "invitations", "sent", "recommendations" },
        default = "connections", help = "connections (default), invitations, sent or recommendations" },
      options.ACCOUNT_KEY,
    }, OUTPUT_OPTIONS),
    item_fields = { connections = CONNECTIONS, recommendations = RECOMMENDATIONS,
                    invitations = both(RECEIVED, RECEIVED_V1), sent_invitations = both(SENT, SENT_V1) },
  },
  {
    name = "completion", summary = "A completion script for bash, zsh or fish.",
    description = "Prints a completion script for your shell, e.g.\n  source <(linkup completion bash)",
    arguments = { { "shell", choices = completion.SHELLS, help = "bash, zsh or fish" } },
    options = {},
    run = completion.run,
  },
}

return M
