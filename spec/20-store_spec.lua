-- linkup.store: schema and migrations, full and new-only syncs against the
-- fake LinkupAPI, removals, changes, resume after a failed request.
-- (Processes, crashes and disks: spec/21; the invite guard: spec/22.)
local H = require "helpers"
local SH = require "store_helpers"
local S = require "linkup.store"

local sql, num = SH.sql, SH.num

-- The v1 layout, written out by hand: what a database from the first
-- release holds (not read from linkup.schema, so the migration is tested
-- against a fixed past).
local V1 = [[
CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, kind TEXT NOT NULL,
  mode TEXT NOT NULL CHECK (mode IN ('full', 'new-only')), started_at TEXT NOT NULL, finished_at TEXT,
  status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
  next_offset INTEGER NOT NULL DEFAULT 0, credits INTEGER NOT NULL DEFAULT 0, seen INTEGER NOT NULL DEFAULT 0,
  added INTEGER NOT NULL DEFAULT 0, removed INTEGER NOT NULL DEFAULT 0);
CREATE INDEX runs_by_account ON runs (account, kind, id);
CREATE TABLE connections (account TEXT NOT NULL, profile_url TEXT NOT NULL, name TEXT, headline TEXT, picture TEXT,
  json TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, removed_at TEXT,
  PRIMARY KEY (account, profile_url));
CREATE TABLE invitations (account TEXT NOT NULL, profile_url TEXT NOT NULL, name TEXT, headline TEXT, picture TEXT,
  json TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, entity_urn TEXT, invitation_id TEXT,
  invitation_type TEXT, sent_time TEXT, removed_at TEXT, PRIMARY KEY (account, profile_url));
CREATE TABLE sent_invitations (account TEXT NOT NULL, profile_url TEXT NOT NULL, name TEXT, headline TEXT,
  picture TEXT, json TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, entity_urn TEXT,
  invitation_id TEXT, invitation_type TEXT, sent_time TEXT, removed_at TEXT, PRIMARY KEY (account, profile_url));
CREATE TABLE recommendations (account TEXT NOT NULL, profile_url TEXT NOT NULL, name TEXT, headline TEXT,
  picture TEXT, json TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, invited_at TEXT,
  PRIMARY KEY (account, profile_url));
INSERT INTO runs (account, kind, mode, started_at, finished_at, status, next_offset, credits, seen, added)
  VALUES ('acc-old', 'connections', 'full', '2026-01-02T07:00:00Z', '2026-01-02T07:00:05Z', 'done', 3, 1, 3, 3);
INSERT INTO connections VALUES ('acc-old', 'https://www.linkedin.com/in/person-0', 'Linda #0', 'VP', NULL, '{}',
  '2026-01-02T07:00:01Z', '2026-01-02T07:00:01Z', NULL);
INSERT INTO connections VALUES ('acc-old', 'https://www.linkedin.com/in/person-1', 'José #1', NULL, NULL, '{}',
  '2026-01-02T07:00:01Z', '2026-01-02T07:00:01Z', NULL);
INSERT INTO connections VALUES ('acc-old', 'https://www.linkedin.com/in/gone-1', 'Gone', NULL, NULL, '{}',
  '2026-01-01T07:00:01Z', '2026-01-01T07:00:01Z', '2026-01-02T07:00:05Z');
PRAGMA user_version = 1;
]]

-- A clock the spec moves: store.open{ clock = clock.fn }.
local function new_clock(iso)
  local y, m, d, h, mi = iso:match("(%d+)-(%d+)-(%d+)T(%d+):(%d+)")
  local c = {}
  -- os.time reads a local time; the offset to UTC is taken out again
  local function utc(t) return os.time(t) - (os.time(os.date("*t", 0)) - os.time(os.date("!*t", 0))) end
  c.t = utc{ year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = tonumber(h), min = tonumber(mi) }
  c.fn = function() return c.t end
  function c:advance(s) self.t = self.t + s end
  return c
end

local function keys_of(db, account, where)
  local out = sql(db, "SELECT profile_url FROM connections WHERE account = '" .. account .. "'"
    .. (where and (" AND " .. where) or "") .. " ORDER BY profile_url")
  local t = {}
  for line in out:gmatch("[^\n]+") do t[#t + 1] = line end
  return t
end

local function sorted(t)
  table.sort(t)
  return t
end

describe("linkup.store", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function()
    server:stop()
    SH.cleanup()
  end)
  before_each(function() server:reset() end)

  describe("schema", function()
    it("creates a database at the current version, in WAL mode, with every table", function()
      local db = SH.tmpdb()
      local store = assert(S.open(db))
      assert.equal(2, store.version)
      assert.equal("wal", store.journal_mode)
      store:close()
      assert.equal("2", sql(db, "PRAGMA user_version"))
      assert.equal("wal", sql(db, "PRAGMA journal_mode"))
      assert.equal("connections\ninvitations\ninvite_attempts\nrecommendations\nruns\nsent_invitations",
        sql(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name"))
      -- opening again changes nothing
      store = assert(S.open(db))
      store:close()
      assert.equal("2", sql(db, "PRAGMA user_version"))
    end)

    it("migrates a version 1 database to the current version, keeping its rows", function()
      local db = SH.tmpdb()
      assert.equal("", sql(db, V1))
      assert.equal("1", sql(db, "PRAGMA user_version"))
      local store = assert(S.open(db))
      assert.equal(2, store.version)
      assert.equal("2", sql(db, "PRAGMA user_version"))
      assert.equal("ok", sql(db, "PRAGMA integrity_check"))
      -- rows kept; run columns filled for rows from before run tracking
      assert.equal("https://www.linkedin.com/in/gone-1|2026-01-01T07:00:01Z|0|0|2026-01-02T07:00:05Z\n"
        .. "https://www.linkedin.com/in/person-0|2026-01-02T07:00:01Z|0||\n"
        .. "https://www.linkedin.com/in/person-1|2026-01-02T07:00:01Z|0||",
        sql(db, "SELECT profile_url, added_at, added_run, removed_run, removed_at FROM connections ORDER BY 1"))
      assert.equal("1|acc-old|done|0", sql(db, "SELECT id, account, status, resumed FROM runs"))
      assert.equal("0", sql(db, "SELECT count(*) FROM invite_attempts"))
      -- and the migrated database takes a sync: the two old rows are seen again, not added
      local client = H.client(server, { account_id = "acc-size-5" })
      local s = assert(store:sync(client, "connections", { account = "acc-old" }))
      assert.equal(3, s.added)          -- persons 2, 3, 4
      assert.equal(0, s.removed)        -- gone-1 was removed already
      store:close()
    end)

    it("refuses a database from a newer linkup, and leaves it alone", function()
      local db = SH.tmpdb()
      sql(db, "CREATE TABLE future (x); PRAGMA user_version = 99;")
      local store, err = S.open(db)
      assert.is_nil(store)
      assert.equal("store", err.kind)
      assert.equal("NEWER", err.code)
      assert.matches("schema version 99, newer than this linkup knows %(2%): upgrade linkup", err.message)
      assert.matches("^linkup: store error", tostring(err))
      assert.is_true(H.linkup.is_error(err))
      assert.equal("99", sql(db, "PRAGMA user_version"))
      assert.equal("future", sql(db, "SELECT name FROM sqlite_master"))
    end)

    it("says so when the file is not a database", function()
      local db = SH.tmpdb()
      local f = assert(io.open(db, "wb"))
      f:write(string.rep("not a database ", 500))
      f:close()
      local store, err = S.open(db)
      assert.is_nil(store)
      assert.equal("CORRUPT", err.code)
    end)

    it("raises at once on misuse", function()
      local db = SH.tmpdb()
      assert.has_error(function() S.open(nil) end, "linkup.store: open: path must be a non-empty string")
      assert.has_error(function() S.open(db, { busy = 1 }) end, 'linkup.store: open: unknown option "busy"')
      assert.has_error(function() S.open(db, { busy_timeout = -1 }) end)
      local store = assert(S.open(db))
      local client = H.client(server)
      assert.has_error(function() store:sync(client, "friends") end)
      assert.has_error(function() store:sync(client, "connections", { new_olny = true }) end,
        'linkup.store: sync: unknown option "new_olny"')
      assert.has_error(function() store:sync({}, "connections") end, "linkup.store: sync: client must be a linkup client")
      assert.has_error(function() store:sync(client, "connections", { page_size = 5000 }) end)  -- the client's own check
      assert.has_error(function() store:changes("connections", {}) end)
      assert.has_error(function() store:changes("connections", "yesterday") end)
      assert.has_error(function() store.sync(nil, client, "connections") end)
      -- none of it sent a request or wrote a run
      assert.equal(0, server:stats().requests)
      assert.equal("0", sql(db, "SELECT count(*) FROM runs"))
      store:close()
      assert.has_error(function() store:changes("connections", 1) end, "linkup.store: the store is closed")
    end)
  end)

  describe("full sync", function()
    it("records every connection once; a second sync adds nothing", function()
      local db = SH.tmpdb()
      local store = assert(S.open(db))
      local client = H.client(server, { account_id = "acc-size-1234" })
      local s = assert(store:sync(client, "connections"))
      assert.same({ 1, "acc-size-1234", "connections", "full", "done", true, false, 1234, 1234, 0, 25, 1234, 1234 },
        { s.run, s.account, s.kind, s.mode, s.status, s.complete, s.resumed, s.seen, s.added, s.removed, s.credits,
          s.next_offset, s.total })
      assert.equal(1234, num(db, "SELECT count(*) FROM connections"))
      assert.same(sorted(SH.person_keys(0, 1233)), keys_of(db, "acc-size-1234"))
      -- the whole item is kept as JSON, beside its main fields
      local item = assert(store:changes("connections", 1))[4]
      assert.equal("added", item.change)
      local expected = server:expected("connections", 2, 1234, 0, 1234)
      local by_url = {}
      for _, e in ipairs(expected) do by_url[e.profile_url] = e end
      local want = by_url[item.item.profile_url]
      assert.equal(want.name, item.name)
      assert.equal(want.name, item.item.name)
      assert.equal(want.profile_url, item.item.profile_url)
      assert.equal("1|acc-size-1234|connections|full|done|1234|25|1234|1234|0|1234|0",
        sql(db, "SELECT id, account, kind, mode, status, next_offset, credits, seen, added, removed, total, resumed "
          .. "FROM runs"))
      assert.is_nil(sql(db, "SELECT finished_at FROM runs"):find("^$"))

      local s2 = assert(store:sync(client, "connections"))
      assert.same({ 2, 1234, 0, 0 }, { s2.run, s2.seen, s2.added, s2.removed })
      assert.equal(1234, num(db, "SELECT count(*) FROM connections"))
      assert.equal(0, #assert(store:changes("connections", 2)))
      store:close()
    end)

    it("marks what a full sync did not see as removed, and takes back what returns", function()
      local db = SH.tmpdb()
      local store = assert(S.open(db))
      assert(store:sync(H.client(server, { account_id = "acc-size-1234" }), "connections", { account = "me" }))
      local smaller = H.client(server, { account_id = "acc-size-1200" })
      local s = assert(store:sync(smaller, "connections", { account = "me", page_size = 500 }))
      assert.same({ 1200, 0, 34 }, { s.seen, s.added, s.removed })
      assert.same(sorted(SH.person_keys(1200, 1233)), keys_of(db, "me", "removed_at IS NOT NULL"))
      local changes = assert(store:changes("connections", s.run))
      assert.equal(34, #changes)
      for _, r in ipairs(changes) do
        assert.equal("removed", r.change)
        assert.equal(s.run, r.run)
        assert.is_string(r.removed_at)
      end
      -- they come back: un-removed, and "added" again by that run
      local back = assert(store:sync(H.client(server, { account_id = "acc-size-1234" }), "connections", { account = "me" }))
      assert.same({ 34, 0 }, { back.added, back.removed })
      assert.equal(0, num(db, "SELECT count(*) FROM connections WHERE removed_at IS NOT NULL"))
      changes = assert(store:changes("connections", back.run))
      assert.equal(34, #changes)
      assert.equal("added", changes[1].change)
      -- since the shrinking run: both stories
      assert.equal(34, #assert(store:changes("connections", s.run)))  -- removed rows were cleared: only the re-adds
      assert.equal(1234, num(db, "SELECT count(*) FROM connections"))
      store:close()
    end)

    it("tells changes since a run id or since a date, per account, through indexes", function()
      local db = SH.tmpdb()
      local clock = new_clock("2026-11-20T07:00")
      local store = assert(S.open(db, { clock = clock.fn }))
      assert(store:sync(H.client(server, { account_id = "acc-size-1200" }), "connections", { account = "a" }))
      assert(store:sync(H.client(server, { account_id = "acc-size-10" }), "connections", { account = "b" }))
      clock:advance(86400)   -- the next morning
      local s = assert(store:sync(H.client(server, { account_id = "acc-size-1234" }), "connections", { account = "a" }))
      assert.equal(34, s.added)
      assert.equal("2026-11-21T07:00:00Z", sql(db, "SELECT started_at FROM runs WHERE id = " .. s.run))

      assert.equal(34, #assert(store:changes("connections", "2026-11-21")))
      assert.equal(34, #assert(store:changes("connections", "2026-11-21T07:00:00Z")))
      assert.equal(0, #assert(store:changes("connections", "2026-11-21T07:00:01Z")))
      assert.equal(34, #assert(store:changes("connections", "2026-11-21T08:00:00+01:00")))  -- 07:00Z
      assert.equal(0, #assert(store:changes("connections", "2026-11-21 08:00:01+01:00")))
      assert.equal(1244, #assert(store:changes("connections", "2026-11-20")))
      assert.equal(1234, #assert(store:changes("connections", "2026-11-20", { account = "a" })))
      assert.equal(10, #assert(store:changes("connections", 0, { account = "b" })))
      assert.equal(34, #assert(store:changes("connections", s.run, { account = "a" })))
      assert.equal(0, #assert(store:changes("connections", s.run, { account = "b" })))
      local rows = assert(store:changes("connections", s.run))
      assert.equal("https://www.linkedin.com/in/person-1200", rows[1].profile_url)
      assert.equal("2026-11-21T07:00:00Z", rows[1].first_seen)
      store:close()

      -- the queries changes runs use an index, not a scan of the table
      for _, q in ipairs{
        "SELECT * FROM connections WHERE added_run >= 3 AND +account = 'a'",
        "SELECT * FROM connections WHERE removed_run >= 3 AND +account = 'a'",
        "SELECT * FROM connections WHERE added_at >= '2026-11-21T00:00:00Z'",
        "SELECT * FROM connections WHERE removed_at >= '2026-11-21T00:00:00Z' AND +account = 'a'",
      } do
        local plan = sql(db, "EXPLAIN QUERY PLAN " .. q)
        assert.matches("USING INDEX connections_", plan, q)
      end
    end)

    it("keeps a failed request's run, consistent, and resumes it to the end with no duplicate", function()
      local db = SH.tmpdb()
      local store = assert(S.open(db))
      local client = H.client(server, { account_id = "acc-size-1234", max_retries = 0 })
      server:fault{ path = "/v2/network", kind = "v2_error", status = 500, code = "INTERNAL_ERROR", skip = 3, times = 5 }
      local s, err = store:sync(client, "connections")
      assert.is_nil(s)
      H.keep(err)
      assert.same({ "api", 500, "INTERNAL_ERROR", 1 }, { err.kind, err.status, err.code, err.run })
      assert.equal("ok", sql(db, "PRAGMA integrity_check"))
      assert.equal(300, num(db, "SELECT count(*) FROM connections"))
      assert.equal("failed|300|300|300|0", sql(db, "SELECT status, next_offset, seen, added, resumed FROM runs"))
      -- every later failure (4 more) leaves the same state; then it finishes
      local tries = 1
      repeat
        s, err = store:sync(client, "connections")
        tries = tries + 1
        if not s then
          H.keep(err)
          assert.equal(1, err.run)
          assert.equal(300, num(db, "SELECT count(*) FROM connections"))
        end
      until s or tries > 10
      assert.equal(6, tries)
      assert.same({ 1, true, true, 934, 934, 300 }, { s.run, s.resumed, s.complete, s.seen, s.added, 1234 - s.seen })
      assert.same({ 1234, 1234, 1234 }, { s.run_seen, s.run_added, num(db, "SELECT count(DISTINCT profile_url) FROM connections") })
      assert.same(sorted(SH.person_keys(0, 1233)), keys_of(db, "acc-size-1234"))
      assert.equal("1|done|1234|5|25", sql(db, "SELECT id, status, next_offset, resumed, credits FROM runs"))
      assert.matches("resumed at offset 300 %(was failed: linkup: api error", sql(db, "SELECT note FROM runs"))
      store:close()
    end)

    it("stops at max_credits, incomplete, and the next sync goes on from there", function()
      local db = SH.tmpdb()
      local store = assert(S.open(db))
      local client = H.client(server, { account_id = "acc-size-1234" })
      local s = assert(store:sync(client, "connections", { max_credits = 10 }))
      assert.same({ false, "interrupted", 10, 500, 0 }, { s.complete, s.status, s.credits, s.next_offset, s.removed })
      assert.matches("max_credits", s.note)
      s = assert(store:sync(client, "connections"))
      assert.same({ 1, true, true, 734, 15, 25 }, { s.run, s.resumed, s.complete, s.seen, s.credits, s.run_credits })
      assert.equal(1234, num(db, "SELECT count(*) FROM connections"))
      -- restart abandons an unfinished run and starts a new one from 0
      s = assert(store:sync(client, "connections", { max_credits = 2 }))
      assert.equal(2, s.run)
      s = assert(store:sync(client, "connections", { restart = true }))
      assert.same({ 3, false, 1234 }, { s.run, s.resumed, s.seen })
      assert.equal("interrupted|abandoned: restarted", sql(db, "SELECT status, note FROM runs WHERE id = 2"))
      store:close()
    end)

    it("with a budget that the list's end comes before: complete, not 'stopped by max_credits'", function()
      -- the walk says where the list ended (meta.last); the store used to
      -- guess from the page and took these for a budget's stop
      local db = SH.tmpdb()
      local store = assert(S.open(db))
      local s = assert(store:sync(H.client(server, { account_id = "acc-size-40" }), "recommendations",
        { account = "r", max_credits = 100 }))
      assert.same({ true, "done", 40 }, { s.complete, s.status, s.seen })
      local v1 = H.client(server, { version = 1, login_token = H.TOKEN .. "-size-95" })
      s = assert(store:sync(v1, "connections", { account = "me-v1", max_credits = 100 }))
      assert.same({ true, "done", 95, 10 }, { s.complete, s.status, s.seen, s.credits })
      s = assert(store:sync(H.client(server, { account_id = "acc-size-250" }), "connections",
        { max_credits = 100, page_size = 100 }))
      assert.same({ true, "done", 250 }, { s.complete, s.status, s.seen })
      assert.equal(0, num(db, "SELECT count(*) FROM runs WHERE status <> 'done'"))
      store:close()
    end)

    it("v1: keys rows by the name the caller gives, and never stores the login_token or the key", function()
      local db = SH.tmpdb()
      local store = assert(S.open(db))
      local token = H.TOKEN .. "-size-95"
      local client = H.client(server, { version = 1, login_token = token })
      assert.has_error(function() store:sync(client, "connections") end)  -- v1 has no account id: name it
      local s = assert(store:sync(client, "connections", { account = "me-v1" }))
      assert.same({ 95, 95, 10, true }, { s.seen, s.added, s.credits, s.complete })
      assert.equal(95, num(db, "SELECT count(*) FROM connections WHERE account = 'me-v1'"))
      -- a resumed v1 run starts at the page that holds its offset
      server:fault{ path = "/v1/network/connections", kind = "v1_error", message = "Insufficient credits available",
                    skip = 4 }
      local c2 = H.client(server, { version = 1, login_token = token, max_retries = 0 })
      local r, err = store:sync(c2, "connections", { account = "me-v1-b" })
      assert.is_nil(r)
      H.keep(err)
      assert.equal(40, num(db, "SELECT next_offset FROM runs WHERE account = 'me-v1-b'"))
      r = assert(store:sync(c2, "connections", { account = "me-v1-b" }))
      assert.same({ 55, 95 }, { r.seen, r.run_seen })
      store:close()
      local dump = H.sh("sqlite3 " .. H.q(db) .. " .dump")
      assert.not_matches("S3CRET", dump)
      assert.matches("me%-v1", dump)
    end)

    it("recommendations: one-shot on v2, never removed", function()
      local db = SH.tmpdb()
      local store = assert(S.open(db))
      local s = assert(store:sync(H.client(server, { account_id = "acc-size-40" }), "recommendations", { account = "r" }))
      assert.same({ 40, 40, 0, true }, { s.seen, s.added, s.removed, s.complete })
      s = assert(store:sync(H.client(server, { account_id = "acc-size-30" }), "recommendations", { account = "r" }))
      assert.same({ 30, 0, 0 }, { s.seen, s.added, s.removed })
      assert.equal(40, num(db, "SELECT count(*) FROM recommendations WHERE invited_at IS NULL"))
      store:close()
    end)
  end)

  describe("new-only sync", function()
    -- Yesterday the account had persons 50..1283 (acc-size-1234 renumbered
    -- by 50); this morning acc-size-1284 has 50 new people at the head.
    it("reads only the head: 50 new, then stops on a run of known ones; credits against a full walk", function()
      local db = SH.tmpdb()
      local store = assert(S.open(db))
      local day1 = assert(store:sync(SH.shifted_client(server, "acc-size-1234", 50), "connections", { account = "acc-news" }))
      assert.same({ 1234, 1234 }, { day1.added, num(db, "SELECT count(*) FROM connections") })
      assert.same(sorted(SH.person_keys(50, 1283)), keys_of(db, "acc-news"))

      server:reset()
      local client = H.client(server, { account_id = "acc-size-1284" })
      local s = assert(store:sync(client, "connections", { account = "acc-news", new_only = true }))
      assert.same({ "new-only", "done", true, 50, 100, 0 }, { s.mode, s.status, s.complete, s.added, s.seen, s.removed })
      assert.equal(1, #server:log())          -- one page of 100
      assert.equal(2, s.credits)               -- 1 per 50
      -- a full walk: 12 pages of 100 (2 each) and one of 84 (2)
      assert.equal(26, s.full_walk_credits)
      assert.equal(H.linkup.estimate_credits{ version = 2, kind = "connections", walk = true, total = 1284,
        page_size = 100 }, s.full_walk_credits)
      local added = assert(store:changes("connections", s.run))
      local urls = {}
      for i, r in ipairs(added) do
        assert.equal("added", r.change)
        urls[i] = r.profile_url
      end
      assert.same(sorted(SH.person_keys(0, 49)), sorted(urls))
      assert.equal("new-only|done|100|2|50", sql(db, "SELECT mode, status, next_offset, credits, added FROM runs WHERE id = "
        .. s.run))

      -- smaller steps stop sooner: known_run 5 with pages of 10 reads 6 pages
      local db2 = SH.tmpdb()
      local store2 = assert(S.open(db2))
      assert(store2:sync(SH.shifted_client(server, "acc-size-1234", 50), "connections", { account = "x" }))
      server:reset()
      s = assert(store2:sync(client, "connections", { account = "x", new_only = true, known_run = 5, page_size = 10 }))
      assert.same({ 50, 60, 6, 6 }, { s.added, s.seen, s.pages, s.credits })
      assert.equal(6, #server:log())
      store2:close()

      -- new-only finds no removals: that takes a full sync, which now adds nothing
      local full = assert(store:sync(client, "connections", { account = "acc-news" }))
      assert.same({ 0, 0, 1284 }, { full.added, full.removed, num(db, "SELECT count(*) FROM connections") })
      store:close()
    end)

    it("on an empty store reads the whole list", function()
      local db = SH.tmpdb()
      local store = assert(S.open(db))
      local s = assert(store:sync(H.client(server, { account_id = "acc-size-250" }), "connections", { new_only = true }))
      assert.same({ 250, 250, true }, { s.seen, s.added, s.complete })
      store:close()
    end)
  end)

  -- The fake server and this branch's client have no invitations yet: a
  -- stand-in client gives the API's documented item shapes (NETWORK.md).
  describe("invitations (stand-in client)", function()
    local function v2_received(i)
      return { entity_urn = "urn:li:invitation:" .. (1000 + i), shared_secret = "secret-" .. i,
        sender = { first_name = "Alice", last_name = "Johnson " .. i, headline = "Data Scientist",
          linkedin_url = "https://www.linkedin.com/in/alice-" .. i, profile_picture_url = "https://media/p.jpg" },
        invitation_type = "CONNECTION", sent_time = "1d", sent_time_days = 1 }
    end
    local function v1_sent(i)
      return { name = "Michelle " .. i, profile_url = "https://www.linkedin.com/in/michelle-" .. i .. "/",
        subtitle = "Co-Founder", sent_time = "Sent yesterday", invitation_id = "7331558767219683" .. (100 + i),
        invitation_state = "PENDING", entity_urn = "urn:li:fsd_invitation:7331558767219683" .. (100 + i),
        invitation_type = "CONNECTION" }
    end

    it("records v2 received invitations (nested sender) and marks the ones gone", function()
      local db = SH.tmpdb()
      local store = assert(S.open(db))
      local list = {}
      for i = 1, 26 do list[i] = v2_received(i) end
      local client = SH.stand_in{ account_id = "acc-inv", lists = { invitations = list } }
      local s = assert(store:sync(client, "invitations"))
      assert.same({ 26, 26, 3, true }, { s.seen, s.added, s.credits, s.complete })
      assert.equal("https://www.linkedin.com/in/alice-7|Alice Johnson 7|Data Scientist|https://media/p.jpg|"
        .. "urn:li:invitation:1007|CONNECTION|1d",
        sql(db, "SELECT profile_url, name, headline, picture, entity_urn, invitation_type, sent_time FROM invitations "
          .. "WHERE profile_url LIKE '%alice-7'"))
      -- accepted ones leave the list
      table.remove(list, 3)
      table.remove(list, 1)
      s = assert(store:sync(client, "invitations"))
      assert.same({ 24, 0, 2 }, { s.seen, s.added, s.removed })
      local gone = assert(store:changes("invitations", s.run))
      assert.equal(2, #gone)
      assert.equal("removed", gone[1].change)
      assert.equal("secret-1", gone[1].item.shared_secret)
      store:close()
    end)

    it("marks no removals when the list moves under the walk; the next full sync does", function()
      local db = SH.tmpdb()
      local store = assert(S.open(db))
      local list = {}
      for i = 1, 30 do list[i] = v2_received(i) end
      local opts = { account_id = "acc-mv", lists = { invitations = list } }
      assert(store:sync(SH.stand_in(opts), "invitations"))
      -- five at the head are accepted while the walk reads page 2: the walk
      -- then skips five that are still there (old 11..15)
      opts.before_page = function(n, l)
        if n == 2 then for _ = 1, 5 do table.remove(l, 1) end end
      end
      local s = assert(store:sync(SH.stand_in(opts), "invitations"))
      assert.same({ 0, true }, { s.removed, s.complete })
      assert.matches("removals not marked: the list changed during this run", s.note)
      assert.equal(0, num(db, "SELECT count(*) FROM invitations WHERE removed_at IS NOT NULL"))
      opts.before_page = nil
      s = assert(store:sync(SH.stand_in(opts), "invitations"))
      assert.equal(5, s.removed)
      assert.equal("alice-1 alice-2 alice-3 alice-4 alice-5", (sql(db, "SELECT group_concat(substr(profile_url, 29), ' ') "
        .. "FROM (SELECT profile_url FROM invitations WHERE removed_at IS NOT NULL ORDER BY length(profile_url), profile_url)")))
      store:close()
    end)

    it("anything else raised in a walk (not an API error) marks the run interrupted and is raised again", function()
      local db = SH.tmpdb()
      local store = assert(S.open(db))
      local list = {}
      for i = 1, 25 do list[i] = v2_received(i) end
      local client = SH.stand_in{ account_id = "acc-x", lists = { invitations = list }, fail_at = 2, raise = "boom!" }
      assert.has_error(function() store:sync(client, "invitations") end, "boom!")
      assert.equal("interrupted|10|interrupted: boom!", sql(db, "SELECT status, next_offset, note FROM runs"))
      local s = assert(store:sync(client, "invitations"))
      assert.same({ 1, true, 15 }, { s.run, s.resumed, s.seen })
      store:close()
    end)

    it("records v1 sent invitations with exact ids, and resumes after a failure at the recorded offset", function()
      local db = SH.tmpdb()
      local store = assert(S.open(db))
      local list = {}
      for i = 1, 35 do list[i] = v1_sent(i) end
      local client = SH.stand_in{ version = 1, lists = { sent_invitations = list }, fail_at = 3 }
      local s, err = store:sync(client, "sent_invitations", { account = "me" })
      assert.is_nil(s)
      assert.equal(500, err.status)
      assert.equal(20, num(db, "SELECT count(*) FROM sent_invitations"))
      s = assert(store:sync(client, "sent_invitations", { account = "me" }))
      assert.equal(20, client.calls[2].opts.offset)
      assert.same({ 1, 15, 35 }, { s.run, s.seen, s.run_seen })
      assert.equal("7331558767219683107|Michelle 7|https://www.linkedin.com/in/michelle-7",
        sql(db, "SELECT invitation_id, name, profile_url FROM sent_invitations WHERE name = 'Michelle 7'"))
      store:close()
    end)
  end)
end)
