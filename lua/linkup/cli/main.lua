-- linkup.cli.main: the `linkup` command: the parser (lua-argparse), built
-- from the command table (linkup.cli.commands); dispatch; exit codes
-- (linkup.cli.errors).
--
--   os.exit(require("linkup.cli.main").main(arg))
--
-- argparse's own ways out are replaced so that main() returns instead of
-- exiting: its errors raise usage errors (exit 2, one line), --help and
-- --version raise an early finish (exit 0, the text on standard output).

local argparse = require "argparse"
local linkup = require "linkup"
local errors = require "linkup.cli.errors"
local options = require "linkup.cli.options"
local commands = require "linkup.cli.commands"
local client = require "linkup.cli.client"

local M = {}

local EPILOG = [[
Environment: LINKUP_API_KEY (required), LINKUP_BASE_URL, LINKUP_ACCOUNT_ID (v2),
LINKUP_LOGIN_TOKEN (v1).
Exit status: 0 done; 1 an API, network, decode or write failure; 2 a usage
error; 130 interrupted.]]

local function help_flag(p)
  p:flag("-h --help", "Show this help and exit.")
    :action(function() errors.finish(errors.OK, p:get_help() .. "\n") end)
end

local function add_option(p, o)
  local el
  if o.argname then
    el = p:option(o[1], o.help):argname(o.argname)
    if o.choices then el:choices(o.choices) end
    if o.default ~= nil then el:default(o.default) end
    if o.convert then
      local name = options.name(o)
      el:convert(function(text)
        local v, why = o.convert(text)
        if v == nil then return nil, name .. " " .. why end
        return v
      end)
    end
  else
    el = p:flag(o[1], o.help)
    if o.action then el:action(o.action) end
  end
  if o.target then el:target(o.target) end
  return el
end

-- Adds a command's options, under their headings (`group`) in --help.
local function add_options(c, list)
  local groups, order = {}, {}
  for _, o in ipairs(list) do
    local el = add_option(c, o)
    local g = o.group or "Options"
    if not groups[g] then
      groups[g] = {}
      order[#order + 1] = g
    end
    table.insert(groups[g], el)
  end
  for _, g in ipairs(order) do c:group(g, (table.unpack or unpack)(groups[g])) end -- luacheck: ignore 143
end

--- parser(prog) -> the root argparse parser, and the command entries by name.
function M.parser(prog)
  local p = argparse(prog, "Export your LinkedIn network through LinkupAPI.", EPILOG)
  p:add_help(false):help_max_width(80)
  help_flag(p)
  p:flag("--version", "Show linkup's version and exit.")
    :action(function() errors.finish(errors.OK, M.version() .. "\n") end)
  p:command_target("command")
  local entries, names = {}, { [p] = prog }
  for _, e in ipairs(commands.LIST) do
    local c = p:command(e.name, e.description or e.summary, EPILOG):summary(e.summary)
    c:add_help(false)
    help_flag(c)
    for _, a in ipairs(e.arguments or {}) do
      local el = c:argument(a[1], a.help)
      if a.choices then el:choices(a.choices) end
      if a.args then el:args(a.args) end
      if a.default ~= nil then el:default(a.default) end
    end
    add_options(c, e.options)
    entries[e.name], names[c] = e, prog .. " " .. e.name
  end
  -- every parse error, of the root or of a command: one line, exit 2
  p.error = function(parser, msg)
    errors.usage("%s (see %s --help)", (msg:gsub("%s*\n%s*", " ")), names[parser] or prog)
  end
  return p, entries
end

--- version() -> "linkup 0.1.0": the command is the module's version
function M.version()
  return linkup._VERSION
end

-- The name the command was run by (linkup, linkup-jit), for the messages
-- and the resume command.
local function program(argv0)
  local base = tostring(argv0 or ""):match("([^/]*)$")
  if base and base:find("^linkup[%w.-]*$") then return base end
  return "linkup"
end

-- Keeps a traceback only for what nothing explains: a bug of the command.
local function handler(err)
  if errors.is_bug(err) then return debug.traceback(tostring(err), 2) end
  return err
end

--- main(argv) -> exit code. argv: the interpreter's `arg`.
function M.main(argv)
  local prog = program(argv and argv[0])
  local args = {}
  for i = 1, #(argv or {}) do args[i] = argv[i] end
  local ok, code = xpcall(function()
    local parser, entries = M.parser(prog)
    if #args == 0 then
      io.stderr:write(parser:get_help(), "\n")
      return errors.USAGE
    end
    local parsed = parser:parse(args)
    local entry = entries[parsed.command]
    -- argparse leaves an optional argument ("?") absent whatever its default
    for _, a in ipairs(entry.arguments or {}) do
      if parsed[a[1]] == nil then parsed[a[1]] = a.default end
    end
    local ctx = { prog = prog, parser = parser }
    if entry.client then
      local info
      ctx.client, info = client.open(parsed, entry, entry.client_options and entry.client_options(parsed, ctx))
      ctx.version, ctx.account = info.version, info.account
    end
    return entry.run(entry, parsed, ctx)
  end, handler)
  if ok then return code end
  return errors.report(code)
end

return M
