-- linkup.cli.errors: what can end the command, its exit code and its one
-- line on standard error.
--
--   0    done (also --help, --version)
--   1    an API, network, decode or write failure
--   2    a usage error: a bad option or value, or a bad argument the
--        library refused (linkup.is_misuse)
--   130  interrupted (Ctrl-C)
--
-- Nothing a user can cause prints a Lua traceback; only a bug in the
-- command does (exit 1, "internal error"), for the report.

local linkup = require "linkup"

local format, type, tostring, setmetatable, getmetatable = string.format, type, tostring, setmetatable,
                                                           getmetatable

local M = { OK = 0, FAILED = 1, USAGE = 2, INTERRUPTED = 130 }

local Usage, WriteFailure, Finish, Failure = {}, {}, {}, {}

--- usage(fmt, ...): raises a usage error (exit 2).
function M.usage(fmt, ...)
  error(setmetatable({ message = format(fmt, ...) }, Usage), 0)
end

--- fail(fmt, ...): raises a failure of the command's own (exit 1), one line.
function M.fail(fmt, ...)
  error(setmetatable({ message = format(fmt, ...) }, Failure), 0)
end

--- write_failure(where, message) -> the error of a failed write, open or
-- close (exit 1); `where` names the output ("standard output" or a path).
function M.write_failure(where, message)
  return setmetatable({ where = where, message = message }, WriteFailure)
end

--- finish(code, stdout_text): raises an early end that is no failure
-- (--help, --version): the text goes to standard output.
function M.finish(code, text)
  error(setmetatable({ code = code, text = text }, Finish), 0)
end

--- misuse_text(e) -> a misuse error without its position: it is
-- "<where>:<line>: linkup.<function>: <what>", and the position points
-- into the command, which tells the user nothing.
function M.misuse_text(e)
  return e:sub(e:find("linkup%.[%w_]+: ") or 1)
end

--- explain(err) -> exit code, message (nil: nothing to print), stdout text.
function M.explain(err)
  local mt = getmetatable(err)
  if mt == Finish then return err.code, nil, err.text end
  if mt == Usage then return M.USAGE, "linkup: " .. err.message end
  if mt == Failure then return M.FAILED, "linkup: " .. err.message end
  if mt == WriteFailure then
    return M.FAILED, format("linkup: cannot write %s: %s", err.where, tostring(err.message))
  end
  if linkup.is_error(err) then return M.FAILED, tostring(err) end -- one line, scrubbed of secrets
  if linkup.is_interrupt(err) then return M.INTERRUPTED, "linkup: interrupted" end
  if linkup.is_misuse(err) then return M.USAGE, "linkup: " .. M.misuse_text(err) end
  if err == "not enough memory" then return M.FAILED, "linkup: not enough memory" end
  return M.FAILED, "linkup: internal error: " .. tostring(err)
end

--- is_bug(err): an error none of the above explains (a bug of the command).
function M.is_bug(err)
  local code, msg = M.explain(err)
  return code == M.FAILED and type(msg) == "string" and msg:find("^linkup: internal error: ") ~= nil
end

--- report(err) -> exit code, after printing the error's line (a bug's
-- traceback comes with it when xpcall's handler kept one in err).
function M.report(err)
  local code, msg, text = M.explain(err)
  if text then
    local ok, why = io.stdout:write(text)
    if ok then ok, why = io.stdout:flush() end
    if not ok then code, msg = M.FAILED, "linkup: cannot write standard output: " .. tostring(why) end
  end
  if msg then
    -- one line, whatever a message carries (an error's own text, a server's)
    if not M.is_bug(err) then msg = msg:gsub("[\r\n]+", " ") end
    io.stderr:write(msg, "\n")
  end
  return code
end

return M
