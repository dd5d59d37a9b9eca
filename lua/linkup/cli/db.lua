-- linkup.cli.db: the local database a command uses (--db FILE), opened
-- through linkup.store.
--
-- What can go wrong with it is one line and exit 1: the SQLite driver
-- missing, a file that cannot be opened or written (read-only, a full
-- disk, not a database, from a newer linkup), or one that another linkup
-- keeps busy past the wait (the store's own messages say which).

local errors = require "linkup.cli.errors"

local M = {}

--- open(path) -> the store; raises the store's error (exit 1) otherwise.
function M.open(path)
  local found, store = pcall(require, "linkup.store")
  if not found then
    errors.fail("--db: %s", (tostring(store):gsub("\n.*", "")))
  end
  local s, err = store.open(path)
  if not s then error(err, 0) end
  return s
end

return M
