-- spec/store_child.lua: the store in a child process, for the specs that
-- kill it, race it or run it as another user (not a spec itself).
--
--   store_child.lua sync DB ACCOUNT_ID [PAGE_SIZE]   one full sync; prints the summary
--
-- LINKUP_API_KEY and LINKUP_BASE_URL come from the environment, and so
-- does BUSY_TIMEOUT (ms) when set. Exit 0 done, 1 with the error's code
-- and message on stderr.
local linkup = require "linkup"
local S = require "linkup.store"

local cmd, db, account, page_size = arg[1], arg[2], arg[3], tonumber(arg[4])
assert(cmd == "sync", "usage: store_child.lua sync DB ACCOUNT_ID [PAGE_SIZE]")

local store, err = S.open(db, { busy_timeout = tonumber(os.getenv("BUSY_TIMEOUT") or "") })
if not store then
  io.stderr:write("code=", tostring(err.code), " ", tostring(err), "\n")
  os.exit(1)
end
local client = linkup.new{ account_id = account, max_retries = 0 }
local s
s, err = store:sync(client, "connections", { page_size = page_size })
if not s then
  io.stderr:write("code=", tostring(err.code), " ", tostring(err), "\n")
  os.exit(1)
end
print(string.format("run=%d seen=%d added=%d complete=%s", s.run, s.seen, s.added, tostring(s.complete)))
store:close()
client:close()
