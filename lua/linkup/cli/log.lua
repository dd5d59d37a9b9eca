-- linkup.cli.log: the JSON lines a command writes on standard output, one
-- per action (invite, accept, check, a sync's summary): the record of what
-- a run did, so each line is written at once (unbuffered: a kill -9 keeps
-- every line written before it) and checked (a log that cannot be written
-- stops the run with errors.write_failure, exit 1).

local linkup = require "linkup"
local errors = require "linkup.cli.errors"

local M = {}

local unbuffered = false

--- line(record): writes record as one JSON line, in one write.
function M.line(record)
  if not unbuffered then
    io.stdout:setvbuf("no")
    unbuffered = true
  end
  local ok, err = io.stdout:write(linkup.json_encode(record) .. "\n")
  if not ok then error(errors.write_failure("standard output", err), 0) end
end

return M
