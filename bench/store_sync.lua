-- How long linkup.store takes to record a large account, and how big the
-- database gets: figures, not assertions.
--
--   LUA_PATH="lua/?.lua;;" LUA_CPATH="build/5.4/?.so;;" lua5.4 bench/store_sync.lua [N] [PAGE_SIZE]
--
-- Starts its own fake LinkupAPI (no latency, gzip), then: a full sync of
-- N connections (30,000) into a new database, a second full sync (every
-- row known: updates), a new-only sync (stops on the first page), and a
-- changes() query. Wall time is the whole sync (HTTP, JSON, SQLite); CPU is
-- this process's (os.clock): the server runs in its own process.
local linkup = require "linkup"
local S = require "linkup.store"

local N, PAGE = tonumber(arg[1]) or 30000, tonumber(arg[2]) or 1000

local function sh(cmd)
  local f = assert(io.popen(cmd))
  local out = f:read("*a")
  f:close()
  return out
end
local function wall() return tonumber((sh("date +%s.%N"))) end

local dir = sh("mktemp -d /tmp/linkup-bench-store.XXXXXX"):gsub("%s+$", "")
local portfile = dir .. "/port"
local pid = sh(string.format("python3 spec/fake/linkupapi.py --port-file %s --quiet-log --max-lifetime 600 "
  .. ">/dev/null 2>&1 & echo $!", portfile)):match("%d+")
local port
for _ = 1, 200 do
  local f = io.open(portfile)
  if f then port = tonumber(f:read("*a")) f:close() end
  if port then break end
  os.execute("sleep 0.05")
end
assert(port, "the fake LinkupAPI did not start")

local function size(path)
  local f = io.open(path, "rb")
  if not f then return 0 end
  local n = f:seek("end")
  f:close()
  return n
end

local opts = { api_key = "test-bench", base_url = "http://127.0.0.1:" .. port, account_id = "acc-size-" .. N,
               rate_limit = false }
-- rate_limit exists from the rebuilt request engine on; older clients refuse unknown options
local ok, client = pcall(linkup.new, opts)
if not ok then
  opts.rate_limit = nil
  client = linkup.new(opts)
end

local db = dir .. "/linkup.db"
local store = assert(S.open(db))

local function run(label, sync_opts, other)
  local t0, c0 = wall(), os.clock()
  local s = assert(store:sync(other or client, "connections", sync_opts))
  local w, c = wall() - t0, os.clock() - c0
  print(string.format("| %s | %d | %d | %d | %.2f | %.2f | %.1f | %d |", label, s.seen, s.added, s.pages, w, c,
    s.seen / w, s.credits))
  return s
end

print(string.format("## linkup.store: sync of %d connections, pages of %d (%s, SQLite %s)", N, PAGE,
  _VERSION, sh("sqlite3 --version"):match("^(%S+)")))
print()
print("| sync | items | added | pages | wall s | CPU s | items/s | credits |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
run("full, empty database", { page_size = PAGE })
local db_bytes, wal_bytes = size(db), size(db .. "-wal")
run("full again (all known)", { page_size = PAGE })
local s = run("new-only (all known)", { page_size = PAGE, new_only = true })
local small = run("new-only, pages of 100", { page_size = 100, new_only = true })
-- the same account a day later: 50 people connected since (the fake's
-- head-50 puts them at the head of the list; the rows keep one account key)
opts.account_id = "acc-size-" .. N .. "-head-50"
local later = linkup.new(opts)
local fresh = run("new-only after 50 new ones, pages of 100",
  { page_size = 100, new_only = true, account = "acc-size-" .. N }, later)
print()
local c0 = os.clock()
local rows = assert(store:changes("connections", s.run))
local c1 = os.clock()
local all = assert(store:changes("connections", 0))
local c2 = os.clock()
store:close()
print(string.format("new-only: %d credits (pages of %d) or %d (pages of 100) against %d for a full walk",
  s.credits, PAGE, small.credits, s.full_walk_credits))
print(string.format("new-only after 50 new ones: %d added, %d credits against %d for a full walk",
  fresh.added, fresh.credits, fresh.full_walk_credits))
print(string.format("changes since the new-only run: %d rows in %.2f ms CPU; since run 0: %d rows in %.1f ms CPU",
  #rows, (c1 - c0) * 1000, #all, (c2 - c1) * 1000))
print(string.format("database after the first sync: %.1f MiB (+ %.1f MiB WAL); closed: %.1f MiB, %d bytes per item",
  db_bytes / 2^20, wal_bytes / 2^20, size(db) / 2^20, math.floor(size(db) / N)))

os.execute("kill " .. pid)
os.execute("rm -rf " .. dir)
