-- linkup.cli.commands: every command of `linkup`, one entry each.
--
-- An entry:
--   name, summary (one line for `linkup --help`), description (--help)
--   options     its options (linkup.cli.options lists, joined)
--   arguments   its positional arguments: { name, help, choices }
--   client      true: it calls the API (main builds ctx.client first)
--   run         function(entry, args, ctx) -> exit code
-- An export adds kind (client:each_page's), list (the key of the items in
-- a page's data) and fields (the documented fields, dotted paths into
-- nested objects); export{} fills in the rest.
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

M.LIST = {
  export{
    name = "connections", kind = "connections", list = "connections",
    summary = "Every connection of the account, page after page.",
    fields = { "name", "job_title", "profile_url", "profile_picture" },
  },
  export{
    name = "recommendations", kind = "recommendations", list = "recommendations",
    summary = "\"People you may know\" (v2: one request, up to --limit or --page-size).",
    fields = { "name", "subtitle", "insight", "profile_url", "entity_urn", "profile_picture" },
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
