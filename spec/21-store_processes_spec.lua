-- linkup.store across processes and disks: kill -9 mid-sync, two writers,
-- a read-only database, a full disk, and the cron example.
local H = require "helpers"
local SH = require "store_helpers"
local S = require "linkup.store"

local sql, num = SH.sql, SH.num
local IS_ROOT = H.sh("id -u"):match("^0") ~= nil

-- Starts a child (spec/store_child.lua sync ...) in the background; returns its pid.
local function spawn(server, args, env, log)
  local cmd = string.format("%s %s spec/store_child.lua %s >%s 2>&1 & echo $!", SH.child_env(server, env), SH.LUA,
    args, log or "/dev/null")
  return (H.sh(cmd, true):match("%d+"))
end

local function wait_exit(pid, seconds)
  for _ = 1, seconds * 20 do
    if not H.sh("kill -0 " .. pid .. " 2>/dev/null && echo alive"):find("alive") then return true end
    H.sleep(0.05)
  end
  return false
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("*a")
  f:close()
  return s
end

local hold_write_lock = SH.hold_write_lock

describe("linkup.store across processes", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function()
    server:stop()
    SH.cleanup()
  end)
  before_each(function() server:reset() end)

  it("survives kill -9 mid-sync: consistent, and the same run resumes to exactly the right rows", function()
    local slow = H.start_server("--latency 0.05")
    finally(function() slow:stop() end)
    local db = SH.tmpdb()
    local pid = spawn(slow, "sync " .. H.q(db) .. " acc-size-3000 100")
    local offset = 0
    for _ = 1, 400 do
      if io.open(db) then offset = num(db, "SELECT coalesce(max(next_offset), 0) FROM runs") or 0 end
      if offset >= 500 then break end
      H.sleep(0.02)
    end
    H.sh("kill -9 " .. pid)
    assert.is_true(wait_exit(pid, 5))
    assert.is_true(offset >= 500 and offset < 3000, "killed at " .. offset)

    assert.equal("ok", sql(db, "PRAGMA integrity_check"))
    -- every committed page: its rows and the offset together, nothing more
    local at = num(db, "SELECT next_offset FROM runs")
    assert.equal(at, num(db, "SELECT count(*) FROM connections"))
    assert.equal(at % 100, 0)
    assert.equal("running|0", sql(db, "SELECT status, resumed FROM runs"))

    slow:config{ latency = 0 }
    local store = assert(S.open(db))
    local s = assert(store:sync(H.client(slow, { account_id = "acc-size-3000" }), "connections", { page_size = 100 }))
    store:close()
    slow:stop()
    assert.same({ 1, true, true, 3000 - at }, { s.run, s.resumed, s.complete, s.seen })
    SH.assert_people(db, 0, 2999)
    -- the runs table tells the story: one run, taken up once, done
    assert.equal("1|full|done|1|3000|3000|3000|0", sql(db, "SELECT id, mode, status, resumed, next_offset, seen, "
      .. "added, removed FROM runs"))
    assert.equal(string.format("resumed at offset %d (was running: stopped uncleanly)", at),
      sql(db, "SELECT note FROM runs"))
    assert.equal("ok", sql(db, "PRAGMA integrity_check"))
  end)

  it("Ctrl-C (SIGINT) mid-sync marks the run interrupted; the next sync takes it up", function()
    local slow = H.start_server("--latency 0.05")
    finally(function() slow:stop() end)
    local db = SH.tmpdb()
    local log = db .. ".log"
    local pid = spawn(slow, "sync " .. H.q(db) .. " acc-size-2000 100", nil, log)
    local offset = 0
    for _ = 1, 400 do
      if io.open(db) then offset = num(db, "SELECT coalesce(max(next_offset), 0) FROM runs") or 0 end
      if offset >= 300 then break end
      H.sleep(0.02)
    end
    H.sh("kill -INT " .. pid)
    assert.is_true(wait_exit(pid, 5))
    assert.matches("interrupted", read(log))
    assert.equal("ok", sql(db, "PRAGMA integrity_check"))
    local at = num(db, "SELECT next_offset FROM runs")
    assert.equal(at, num(db, "SELECT count(*) FROM connections"))
    -- Lua raises "interrupted!" where the signal lands: in the store's own
    -- code the run is marked interrupted and the error raised again; in the
    -- middle of a request the interrupt goes on up too (never a network
    -- error). Either way: consistent, resumable.
    local status = sql(db, "SELECT status || ' ' || note FROM runs")
    assert.equal("interrupted interrupted (Ctrl-C)", status)
    slow:config{ latency = 0 }
    local store = assert(S.open(db))
    local s = assert(store:sync(H.client(slow, { account_id = "acc-size-2000" }), "connections", { page_size = 100 }))
    store:close()
    slow:stop()
    assert.same({ 1, true, 2000 - at, 2000 }, { s.run, s.resumed, s.seen, num(db, "SELECT count(*) FROM connections") })
  end)

  it("a run another process takes over stops the first one (TAKEN) instead of both writing it", function()
    local db = SH.tmpdb()
    local first = assert(S.open(db))
    local second = assert(S.open(db))
    local other
    local n = 0
    local client = H.client(server, { account_id = "acc-size-1234", on_event = function()
      n = n + 1
      -- page 3 fetched by the first; a second process takes the run up and ends it
      if n == 3 then other = assert(second:sync(H.client(server, { account_id = "acc-size-1234" }), "connections")) end
    end })
    local s, err = first:sync(client, "connections")
    assert.is_nil(s)
    assert.same({ "store", "TAKEN", 1 }, { err.kind, err.code, err.run })
    assert.same({ 1, true, 1034, true }, { other.run, other.resumed, other.seen, other.complete })
    assert.equal("1|done|1234|1", sql(db, "SELECT id, status, next_offset, resumed FROM runs"))
    assert.equal(1234, num(db, "SELECT count(*) FROM connections"))
    first:close()
    second:close()
  end)

  it("waits for another writer up to busy_timeout, then says the database is busy; before any request", function()
    local db = SH.tmpdb()
    assert(S.open(db)):close()
    hold_write_lock(db, 2)
    local store = assert(S.open(db, { busy_timeout = 300 }))
    local t0 = SH.now()
    local s, err = store:sync(H.client(server, { account_id = "acc-size-1234" }), "connections")
    local waited = SH.now() - t0
    assert.is_nil(s)
    assert.same({ "store", "BUSY", true }, { err.kind, err.code, err.retryable })
    assert.matches("the database is busy: another linkup may be running %(waited 300 ms%)", err.message)
    -- it waited (a lower bound: load cannot break it); that it gave up
    -- before the holder let go is s == nil above
    assert.is_true(waited >= 0.25, "waited " .. waited)
    assert.equal(0, server:stats().requests)   -- no credit spent on a sync that could not record
    store:close()

    -- with the default 5 s it waits for the holder to commit, then syncs
    store = assert(S.open(db))
    t0 = SH.now()
    s = assert(store:sync(H.client(server, { account_id = "acc-size-1234" }), "connections"))
    assert.is_true(SH.now() - t0 > 0.5)
    assert.equal(1234, s.added)
    store:close()
    assert.equal("ok", sql(db, "PRAGMA integrity_check"))
    assert.equal("holder|done\nacc-size-1234|done", sql(db, "SELECT account, status FROM runs ORDER BY id"))
  end)

  it("a writer that holds the lock mid-sync: a clear error, rows and offset consistent, and it resumes", function()
    local db = SH.tmpdb()
    local store = assert(S.open(db, { busy_timeout = 200 }))
    local n = 0
    local client = H.client(server, { account_id = "acc-size-1234", on_event = function()
      n = n + 1
      if n == 4 then hold_write_lock(db, 1.5) end   -- page 4 fetched, not yet recorded
    end })
    local s, err = store:sync(client, "connections")
    assert.is_nil(s)
    assert.equal("BUSY", err.code)
    assert.equal(300, num(db, "SELECT count(*) FROM connections WHERE account = 'acc-size-1234'"))
    H.sleep(1.6)
    assert.equal("ok", sql(db, "PRAGMA integrity_check"))
    assert.equal(300, num(db, "SELECT next_offset FROM runs WHERE account = 'acc-size-1234'"))
    s = assert(store:sync(client, "connections"))
    assert.same({ true, 934, 1234 }, { s.resumed, s.seen, num(db, "SELECT count(*) FROM connections "
      .. "WHERE account = 'acc-size-1234'") })
    store:close()
  end)

  it("two processes syncing into one database at once both finish; the database stays consistent", function()
    local db = SH.tmpdb()
    assert(S.open(db)):close()
    local slow = H.start_server("--latency 0.01")
    finally(function() slow:stop() end)
    local log1, log2 = db .. ".1.log", db .. ".2.log"
    local p1 = spawn(slow, "sync " .. H.q(db) .. " acc-size-2000 50", nil, log1)
    local p2 = spawn(slow, "sync " .. H.q(db) .. " acc-size-1500 50", nil, log2)
    assert.is_true(wait_exit(p1, 60))
    assert.is_true(wait_exit(p2, 60))
    slow:stop()
    assert.matches("seen=2000 added=2000 complete=true", read(log1))
    assert.matches("seen=1500 added=1500 complete=true", read(log2))
    assert.equal("ok", sql(db, "PRAGMA integrity_check"))
    assert.equal("acc-size-1500|1500\nacc-size-2000|2000",
      sql(db, "SELECT account, count(*) FROM connections GROUP BY account ORDER BY account"))
    assert.equal("done|done", sql(db, "SELECT group_concat(status, '|') FROM runs"))
  end)

  describe("a read-only database", function()
    it("(chmod 444 file, 555 directory) gives a clear error before any request, and stays as it was", function()
      local dir = SH.tmpdir()
      local db = dir .. "/linkup.db"
      local store = assert(S.open(db))
      assert(store:sync(H.client(server, { account_id = "acc-size-30" }), "connections"))
      store:close()
      local before = sql(db, "SELECT count(*), max(id) FROM connections, runs")
      H.sh("chmod 444 " .. H.q(db) .. " && chmod 555 " .. H.q(dir))
      server:reset()
      -- root writes through file modes: run the store as nobody then
      local log = SH.tmpdir() .. "/out.log"
      H.sh("chmod 777 " .. H.q(log:match("^(.*)/")))
      local as = IS_ROOT and "setpriv --reuid=65534 --regid=65534 --clear-groups " or ""
      H.sh(string.format("%s %s%s spec/store_child.lua sync %s acc-size-30 >%s 2>&1", SH.child_env(server), as,
        SH.LUA, H.q(db), H.q(log)), true)
      local out = read(log)
      assert.matches("code=READONLY", out)
      assert.matches("cannot write the database", out)
      assert.equal(0, server:stats().requests)
      H.sh("chmod 755 " .. H.q(dir))
      assert.equal(before, sql(db, "SELECT count(*), max(id) FROM connections, runs"))
      assert.equal("ok", sql(db, "PRAGMA integrity_check"))
    end)

    it("(a read-only file system) gives a clear error", function()
      if not IS_ROOT then return pending("needs root to mount a tmpfs") end
      local dir = SH.tmpdir()
      local _, ok = H.sh("mount -t tmpfs -o size=2m tmpfs " .. H.q(dir) .. " 2>&1")
      if not ok then return pending("mount -t tmpfs is not allowed here") end
      local db = dir .. "/linkup.db"
      local store = assert(S.open(db))
      assert(store:sync(H.client(server, { account_id = "acc-size-30" }), "connections"))
      store:close()
      H.sh("mount -o remount,ro " .. H.q(dir))
      local s, err = S.open(db)
      H.sh("umount " .. H.q(dir))
      assert.is_nil(s)
      assert.equal("READONLY", err.code)
      assert.matches("Read%-only file system", err.message)
    end)
  end)

  it("a full disk: a clear error, the database consistent, and the run resumes once there is room", function()
    if not IS_ROOT then return pending("needs root to mount a tmpfs") end
    local dir = SH.tmpdir()
    local _, ok = H.sh("mount -t tmpfs -o size=512k tmpfs " .. H.q(dir) .. " 2>&1")
    if not ok then return pending("mount -t tmpfs is not allowed here") end
    local db = dir .. "/linkup.db"
    local store = assert(S.open(db))
    local client = H.client(server, { account_id = "acc-size-5000" })
    local s, err = store:sync(client, "connections")
    assert.is_nil(s)
    assert.same({ "store", "FULL" }, { err.kind, err.code })
    assert.matches("the disk is full", tostring(err))
    assert.equal("ok", sql(db, "PRAGMA integrity_check"))
    local at = num(db, "SELECT next_offset FROM runs")
    assert.is_true(at > 0 and at < 5000)
    assert.equal(at, num(db, "SELECT count(*) FROM connections"))
    -- room again: the same run goes on
    H.sh("mount -o remount,size=16m " .. H.q(dir))
    s = assert(store:sync(client, "connections"))
    store:close()
    assert.same({ 1, 5000, 5000 }, { s.run, s.run_seen, num(db, "SELECT count(DISTINCT profile_url) FROM connections") })
    assert.equal("ok", sql(db, "PRAGMA integrity_check"))
    H.sh("umount " .. H.q(dir))
  end)

  describe("examples/cron_sync.lua", function()
    local function cron(db, account, args)
      local out = H.sh(string.format("%s %s examples/cron_sync.lua %s %s 2>&1; echo \"exit=$?\"",
        SH.child_env(server, "LINKUP_ACCOUNT_ID=" .. account), SH.LUA, args or "", H.q(db)), true)
      local body, rc = out:match("^(.*)exit=(%d+)\n$")
      return body, tonumber(rc)
    end
    local function count(s, pat)
      local n = 0
      for _ in s:gmatch(pat) do n = n + 1 end
      return n
    end

    it("syncs, then prints what changed in this run; a failed run is resumed by the next", function()
      local db = SH.tmpdb()
      local out, rc = cron(db, "acc-size-150")
      assert.equal(0, rc, out)
      assert.matches("^connections: run 1 full: 150 seen, 150 added, 0 removed, 3 credits\n", out)
      assert.equal(150, count(out, "\n  %+ "))
      assert.matches("<https://www.linkedin.com/in/person%-149>", out)

      out, rc = cron(db, "acc-size-150", "--new-only")
      assert.equal(0, rc, out)
      assert.matches("^connections: run 2 new%-only: 100 seen, 0 added, 0 removed, 2 credits %(a full walk: 3%)\n$", out)

      out = cron(db, "acc-size-150")   -- nothing new
      assert.equal(0, count(out, "\n  [%+%-] "))

      server:fault{ path = "/v2/network", kind = "v2_error", status = 402, code = "INSUFFICIENT_CREDITS", skip = 1 }
      out, rc = cron(db, "acc-size-150")
      assert.equal(1, rc, out)
      assert.matches("connections: failed: linkup: api error %(HTTP 402, INSUFFICIENT_CREDITS%)", out)
      assert.matches("the next run resumes run 4", out)
      out, rc = cron(db, "acc-size-150")
      assert.equal(0, rc, out)
      assert.matches("^connections: run 4 full: 50 seen, 0 added, 0 removed, 1 credits\n$", out)
      assert.not_matches("S3CRET", out)
    end)
  end)
end)
