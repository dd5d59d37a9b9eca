-- examples/cron_sync.lua: the daily job. Syncs an account into a local
-- database, then prints what changed in this run.
--
--   lua examples/cron_sync.lua [--new-only] DB [KIND ...]
--
-- KIND: connections (the default), invitations, sent_invitations,
-- recommendations. LINKUP_API_KEY, LINKUP_ACCOUNT_ID (and LINKUP_BASE_URL)
-- come from the environment. A crontab line:
--
--   0 7 * * *  LINKUP_API_KEY=... LINKUP_ACCOUNT_ID=... lua /opt/linkup/examples/cron_sync.lua \
--              --new-only $HOME/linkup.db connections >> $HOME/linkup-changes.log 2>&1
--   0 6 * * 0  ... cron_sync.lua $HOME/linkup.db connections      # weekly full sync: finds removals
--
-- A new-only run reads the newest connections until it meets 25 it knows
-- (cheap, no removals); a full run reads everything and marks who is gone.
-- If a run fails half way (credits, network, a reboot), the next one takes
-- it up where it stopped. Exit 0 when every kind synced, 1 otherwise.
local linkup = require "linkup"
local store_mod = require "linkup.store"

local args, new_only = {}, false
for _, a in ipairs(arg) do
  if a == "--new-only" then new_only = true else args[#args + 1] = a end
end
local db = args[1]
if not db then
  io.stderr:write("usage: cron_sync.lua [--new-only] DB [KIND ...]\n")
  os.exit(2)
end
local kinds = { (table.unpack or unpack)(args, 2) }
if #kinds == 0 then kinds = { "connections" } end

local store, err = store_mod.open(db)
if not store then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
local client = linkup.new{ account_id = os.getenv("LINKUP_ACCOUNT_ID") }

local failed = false
for _, kind in ipairs(kinds) do
  local s, serr = store:sync(client, kind, { new_only = new_only })
  if not s then
    failed = true
    print(string.format("%s: failed: %s", kind, tostring(serr)))
    print(string.format("%s: the next run resumes%s", kind, serr.run and (" run " .. serr.run) or ""))
  else
    print(string.format("%s: run %d %s%s: %d seen, %d added, %d removed, %d credits%s", kind, s.run, s.mode,
      s.complete and "" or " (incomplete)", s.seen, s.added, s.removed, s.credits,
      s.full_walk_credits and string.format(" (a full walk: %d)", s.full_walk_credits) or ""))
    local rows = assert(store:changes(kind, s.run, { account = s.account }))
    for _, r in ipairs(rows) do
      local name = (r.name or "?"):gsub("%s+", " ")          -- names may hold newlines
      local headline = r.headline and (" (" .. r.headline:gsub("%s+", " ") .. ")") or ""
      print(string.format("  %s %s%s <%s>", r.change == "added" and "+" or "-", name, headline, r.profile_url))
    end
  end
end
store:close()
client:close()
os.exit(failed and 1 or 0)
