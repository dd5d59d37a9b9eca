-- linkup.cli.export: an export command: walk a list page by page
-- (client:each_page) and write every item as it comes.
--
-- Everything that can be refused is refused before the output is opened
-- (fields, options, the walk's own checks), and the output before the
-- first request. Then each item is one record, written at once; a failed
-- write, an API failure or Ctrl-C stops the walk where it is, and the
-- command prints how to resume: a command that appends to the same output
-- and leaves it as one uninterrupted export would have.

local errors = require "linkup.cli.errors"
local fields = require "linkup.cli.fields"
local options = require "linkup.cli.options"
local output = require "linkup.cli.output"
local progress = require "linkup.cli.progress"
local resume = require "linkup.cli.resume"
local sink = require "linkup.cli.sink"
local linkup = require "linkup"

local M = {}

-- The walk's options, from the options that name one (`walk`).
local function walk_options(cmd, args)
  local t = {}
  for _, o in ipairs(cmd.options) do
    if o.walk then t[o.walk] = args[options.target(o)] end
  end
  return t
end

--- run(cmd, args, ctx) -> exit code. cmd: the command's entry
-- (linkup.cli.commands); args: the parsed command line; ctx: { client,
-- version, account, prog }.
function M.run(cmd, args, ctx)
  if args.append and not args.output then errors.usage("--append needs --output FILE") end
  -- v1 and v2 items of a list may differ (fields_v1): --fields takes the
  -- fields of the version in use
  local documented, what = cmd.fields, cmd.name
  if cmd.fields_v1 then
    documented = ctx.version == 1 and cmd.fields_v1 or cmd.fields
    what = cmd.name .. " on API v" .. ctx.version
  end
  local sel = fields.select(args.fields, documented, what)
  local fmt = output.new(args.format, sel, args.format == "table" and output.columns() or nil)
  -- the walk checks its options now (a misuse raises), before any output
  local iter, state, init = ctx.client:each_page(cmd.kind, walk_options(cmd, args))
  local out = sink.open(args.output, args.append, fmt)
  local shown = progress.new(args.progress)
  local pages, spent = 0, 0

  local ok, err = pcall(function()
    -- three expressions, not four: PUC Lua 5.1 and 5.2 miscompile a generic
    -- for with four; the walk ends with the client, closed below
    for data, meta in iter, state, init do
      pages, spent = pages + 1, meta.credits_spent or spent
      local items, positions = data[cmd.list], meta.positions
      for k = 1, #items do
        local pos = positions and positions[k] or meta.first + k - 1
        out:put(fmt.record(items[k], pos), pos)
      end
      shown:update(out.state.records, pages, spent)
    end
    if fmt.tail then out:put(fmt.tail()) end
    out:close()
  end)
  if ok then
    shown:finish()
    ctx.client:close()
    return errors.OK
  end

  -- stopped: what is in the output is whole records up to out.state.last
  local whole, torn = out:settle()
  out:abandon()
  shown:finish()
  local code = errors.report(err)
  if not whole then io.stderr:write("linkup: ", torn, "\n") end
  pcall(ctx.client.close, ctx.client)
  if errors.is_bug(err) then return code end
  local st = out.state
  -- an API failure knows where the walk stood (past items the server
  -- skipped); otherwise the output does
  local at = linkup.is_error(err) and err.resume and err.resume.offset or st.last
  local hint = resume.command(ctx.prog, cmd.name, cmd.options, args, {
    at = at or args.offset, start_page = not at and not args.offset and args.start_page or nil,
    written = st.records, spent = spent, version = ctx.version, account = ctx.account, output = args.output,
  })
  io.stderr:write("linkup: ", st.records, " items written; resume with: ", hint, "\n")
  if args.token then
    io.stderr:write("linkup: (add --token TOKEN to it, or set LINKUP_LOGIN_TOKEN: it is never printed)\n")
  end
  return code
end

return M
