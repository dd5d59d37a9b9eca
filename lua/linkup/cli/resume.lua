-- linkup.cli.resume: the command line that finishes a stopped export.
--
-- It starts where the output stops (--offset), appends to the same file
-- (so that the file ends byte for byte as one uninterrupted export would
-- have written it), and carries every option that shapes the result: each
-- option's own `resume` rule (linkup.cli.options) says how, from the budget
-- and limit left to the account the export resolved. Every word is quoted
-- for a POSIX shell, so the line can be pasted or run with sh -c as it is.
-- The login token is never in it.

local options = require "linkup.cli.options"

local concat, format, floor, type, tostring = table.concat, string.format, math.floor, type, tostring

local M = {}

--- quote(s) -> s as one word of a POSIX shell command.
function M.quote(s)
  s = tostring(s)
  if s ~= "" and not s:find("[^%w%-_./=:,@+%%]") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end
local quote = M.quote

--- number(n) -> the shortest text that reads back as n.
function M.number(n)
  if n == floor(n) and n > -2 ^ 53 and n < 2 ^ 53 then return format("%d", n) end
  for digits = 15, 17 do
    local s = format("%." .. digits .. "g", n)
    if tonumber(s) == n then return s end
  end
  return format("%.17g", n)
end

--- command(prog, name, opts, args, run) -> the command line. prog: the
-- program's name; name: the command; opts: its options (linkup.cli.options
-- lists); args: what argparse made of the command line; run: { at (the
-- offset to start at) or start_page (v1, when nothing was written),
-- written, spent, version, account, output }.
function M.command(prog, name, opts, args, run)
  local words = { quote(prog), quote(name) }
  if run.at or not run.start_page then
    words[3], words[4] = "--offset", M.number(run.at or 0)
  else
    words[3], words[4] = "--start-page", M.number(run.start_page)
  end
  for _, o in ipairs(opts) do
    local rule, v = o.resume, args[options.target(o)]
    if type(rule) == "function" then
      v = rule(v, run)
    elseif rule ~= "copy" then
      v = nil
    end
    if v ~= nil and v ~= false then
      words[#words + 1] = options.name(o)
      if o.argname then
        words[#words + 1] = type(v) == "number" and M.number(v) or quote(v)
      end
    end
  end
  return concat(words, " ")
end

return M
