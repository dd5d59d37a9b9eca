-- linkup.store: linkup's local memory, one SQLite database.
--
--   local store = assert(require("linkup.store").open("linkup.db"))
--   local summary, err = store:sync(client, "connections")        -- linkup.sync
--   for _, row in ipairs(store:changes("connections", summary.run)) do ... end  -- linkup.changes
--   local guard = store:invite_guard("acc-1", { max_per_day = 20 }) -- linkup.invites
--
-- This file is the database: opening it (WAL, busy timeout), the schema
-- version and its migrations (steps in linkup.schema), SQL built through
-- one quoting helper, transactions, and what SQLite's errors mean. The
-- other concepts live in their own modules and reach the database only
-- through the methods below whose names start with an underscore.
--
-- Why LuaSQL (Debian's lua-sql-sqlite3, LuaSQL 2.6) and not lsqlite3:
-- LuaSQL is packaged by Debian for Lua 5.1 to 5.4, and its 5.1 build loads
-- under LuaJIT/OpenResty, so `make deps` installs it like every other
-- dependency; lsqlite3 is not packaged for Debian 12 and would have to be
-- compiled through LuaRocks from the network. The price: LuaSQL 2.6 binds
-- no parameters, so every value goes through quote() below (conn:escape
-- for text, %d for integers), never straight into SQL text.
--
-- Errors (linkup.store_error): misuse raises at once; what the database
-- says at run time comes back as nil, err, err.kind == "store" and err.code
-- one of BUSY, READONLY, FULL, CORRUPT, OPEN, IO, NEWER, SQL (here), TAKEN
-- (sync), SEEN, CAP, NOT_PENDING (invites).

local type, tostring, pairs, ipairs, select, setmetatable, pcall, error =
      type, tostring, pairs, ipairs, select, setmetatable, pcall, error
local floor, huge = math.floor, math.huge
local format = string.format

local has_driver, driver = pcall(require, "luasql.sqlite3")
if not has_driver then
  error("linkup.store needs LuaSQL's SQLite driver (Debian: lua-sql-sqlite3; LuaRocks: luasql-sqlite3): "
        .. tostring(driver), 0)
end
local schema = require "linkup.schema"

local M = {}

local E = require "linkup.store_error"
local store_error, misuse = E.new, E.misuse

-- SQLite's message (LuaSQL prefixes "LuaSQL: ") turned into a store error
-- that says what to do about it.
local function classify(self, raw)
  local msg = tostring(raw or "unknown error"):gsub("^LuaSQL: ", "")
  local low, path = msg:lower(), self.path
  if low:find("locked", 1, true) or low:find("busy", 1, true) then
    return store_error("BUSY", format("the database is busy: another linkup may be running (waited %d ms): %s",
      self.busy_timeout, path), { retryable = true })
  elseif low:find("readonly", 1, true) or low:find("read-only", 1, true) then
    return store_error("READONLY", "cannot write the database (read-only file, directory or file system): "
      .. path)
  elseif low:find("full", 1, true) then
    return store_error("FULL", "the disk is full (or the database hit its size limit); the step that failed "
      .. "was not written: " .. path)
  elseif low:find("malformed", 1, true) or low:find("not a database", 1, true) then
    return store_error("CORRUPT", "not a usable linkup database (" .. msg .. "): " .. path)
  elseif low:find("unable to open", 1, true) then
    -- SQLite says this too for a read-only file system or a WAL database
    -- whose -shm it cannot create: ask the OS what the file is
    local f, why = io.open(path, "r+b")
    if f then
      f:close()
    elseif why and (why:find("Read%-only") or why:find("Permission denied")) then
      return store_error("READONLY", "cannot write the database (" .. why:gsub("^.*: ", "") .. "): " .. path)
    end
    return store_error("OPEN", "cannot open the database (check the path, and that its directory is writable: "
      .. "SQLite keeps -wal and -shm files beside it): " .. path)
  elseif low:find("i/o error", 1, true) then
    return store_error("IO", "disk I/O error on the database: " .. path)
  end
  return store_error("SQL", msg)
end

---------------------------------------------------------------------------
-- time: ISO-8601 UTC text, one second resolution
---------------------------------------------------------------------------

-- Text and not epoch integers: the sqlite3 command and a user's own SQL
-- read it as is, it sorts as it compares (fixed width, one zone), and a
-- date the user gives ("2026-11-20") compares against it directly. Order
-- within one second is never needed: "since a run" uses run ids.
local function iso(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end
M.iso = iso

---------------------------------------------------------------------------
-- SQL text: the only way a value enters a statement
---------------------------------------------------------------------------

-- LuaSQL's escape is sqlite3_mprintf("%q"): it stops at a NUL byte, so NULs
-- are dropped first (JSON text never has one: the encoder writes \u0000).
local NUL = _VERSION == "Lua 5.1" and "%z" or "\0"

local function quote(conn, v)
  local t = type(v)
  if v == nil then return "NULL" end
  if t == "string" then
    local s = conn:escape((v:gsub(NUL, "")))
    if not s then error("linkup.store: out of memory quoting a value", 2) end
    return "'" .. s .. "'"
  end
  if t == "number" then
    if v ~= v or v == huge or v == -huge or v ~= floor(v) then
      error("linkup.store: only whole numbers go into SQL, got " .. tostring(v), 2)
    end
    return format("%d", v)
  end
  if t == "boolean" then return v and "1" or "0" end
  error("linkup.store: cannot put a " .. t .. " into SQL", 2)
end

---------------------------------------------------------------------------
-- the store
---------------------------------------------------------------------------

local Store = {}
Store.__index = Store
E.register(Store)
M.Store = Store

local env -- one LuaSQL environment per Lua state, made on first use

-- Formats SQL: each %s in fmt takes the next argument, quoted.
function Store:_sql(fmt, ...)
  local n, args = select("#", ...), { ... }
  local conn = self.conn
  for i = 1, n do args[i] = quote(conn, args[i]) end
  return format(fmt, (table.unpack or unpack)(args, 1, n))
end

function Store:_quote(v) return quote(self.conn, v) end

-- Runs one statement. Returns the number of rows it changed, or nil, err.
function Store:_exec(sql)
  local r, e = self.conn:execute(sql)
  if r == nil then return nil, classify(self, e) end
  if type(r) ~= "number" then r:close() return 0 end -- a PRAGMA that answers a row
  return floor(r)
end

-- Runs a query. Returns every row (tables keyed by column name), or nil, err.
function Store:_rows(sql)
  local cur, e = self.conn:execute(sql)
  if cur == nil then return nil, classify(self, e) end
  if type(cur) == "number" then return {} end
  local out = {}
  while true do
    -- fetch finalizes the statement at the end: nil alone, or nil, message
    local row, ferr = cur:fetch({}, "a")
    if not row then
      if ferr then return nil, classify(self, ferr) end
      return out
    end
    out[#out + 1] = row
  end
end

-- The first row of a query, or false when there is none; nil, err on failure.
function Store:_row(sql)
  local rows, err = self:_rows(sql)
  if not rows then return nil, err end
  return rows[1] or false
end

function Store:_last_id()
  return floor(self.conn:getlastautoid())
end

-- Runs fn(...) inside BEGIN IMMEDIATE ... COMMIT. fn returns a value (not
-- nil) on success or nil, err; either way nothing half-done stays: a
-- failure, a failed COMMIT (disk full) or a raised error rolls back, and
-- a raised error is raised again. IMMEDIATE takes the write lock at once,
-- so the busy timeout applies here and never mid-transaction.
function Store:_tx(fn, ...)
  local ok, err = self:_exec("BEGIN IMMEDIATE")
  if not ok then return nil, err end
  local pok, r, ferr = pcall(fn, ...)
  if pok and r ~= nil then
    local cok, cerr = self:_exec("COMMIT")
    if cok then return r end
    ferr = cerr
  end
  -- after a failed COMMIT SQLite may have rolled back already: ignore this one's error
  local cur = self.conn:execute("ROLLBACK")
  if type(cur) == "userdata" then cur:close() end
  if not pok then error(r, 0) end
  return nil, ferr
end

function Store:now()
  return iso(self.clock())
end

-- The version the database is at.
function Store:_user_version()
  local row, err = self:_row("PRAGMA user_version")
  if not row then return nil, err end
  return floor(row.user_version)
end

-- Brings the database to schema.CURRENT, one step per transaction, and
-- refuses one written by a newer linkup (its layout is unknown here).
local function migrate(self)
  local v, err = self:_user_version()
  if not v then return nil, err end
  if v > schema.CURRENT then
    return nil, store_error("NEWER", format("the database is at schema version %d, newer than this linkup "
      .. "knows (%d): upgrade linkup to use it: %s", v, schema.CURRENT, self.path), { version = v })
  end
  while v < schema.CURRENT do
    local done, merr = self:_tx(function()
      -- another process may have migrated while this one waited for the lock
      local now_v, e = self:_user_version()
      if not now_v then return nil, e end
      if now_v ~= v then return now_v end
      for _, stmt in ipairs(schema.steps[v + 1]) do
        local ok, serr = self:_exec(stmt)
        if not ok then return nil, serr end
      end
      local ok, uerr = self:_exec(format("PRAGMA user_version = %d", v + 1))
      if not ok then return nil, uerr end
      return v + 1
    end)
    if not done then return nil, merr end
    v = done
  end
  return v
end

local OPEN_OPTS = { busy_timeout = "number", clock = "function" }

--- store.open(path, opts) -> store | nil, err
-- opts.busy_timeout: ms to wait for another process's write lock (5000);
-- opts.clock: function() -> epoch seconds (os.time), for tests and replays.
function M.open(path, opts)
  if type(path) ~= "string" or path == "" then misuse(2, "open: path must be a non-empty string") end
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then misuse(2, "open: options must be a table") end
  for k, v in pairs(opts) do
    if not OPEN_OPTS[k] then misuse(2, "open: unknown option %q", tostring(k)) end
    if type(v) ~= OPEN_OPTS[k] then misuse(2, "open: option %s must be a %s", k, OPEN_OPTS[k]) end
  end
  local timeout = opts.busy_timeout or 5000
  if timeout < 0 or timeout ~= floor(timeout) then misuse(2, "open: busy_timeout must be a whole number >= 0 (ms)") end

  env = env or driver.sqlite3()
  local self = setmetatable({ path = path, busy_timeout = timeout, clock = opts.clock or os.time }, Store)
  local conn, err = env:connect(path)
  if not conn then return nil, classify(self, err) end
  self.conn = conn
  local function fail(e) conn:close() self.conn = nil return nil, e end

  local ok, e = self:_exec(format("PRAGMA busy_timeout = %d", timeout))
  if not ok then return fail(e) end
  -- WAL: readers never wait for the writer, and a crash (kill -9) mid
  -- transaction leaves the last commit intact. It needs a write, so a
  -- read-only database stays in its own mode (and is read-only here).
  -- store.journal_mode says what SQLite granted: a file system without
  -- shared memory keeps "delete", still safe with the busy timeout.
  local mode, merr = self:_row("PRAGMA journal_mode = WAL")
  if not mode then
    if merr.code ~= "READONLY" then return fail(merr) end
  else
    self.journal_mode = mode.journal_mode
  end
  -- NORMAL is WAL's documented pairing: safe against a crashed process; a
  -- power cut may lose the last commits, never consistency.
  ok, e = self:_exec("PRAGMA synchronous = NORMAL")
  if not ok then return fail(e) end
  local v, verr = migrate(self)
  if not v then return fail(verr) end
  self.version = v
  return self
end

--- store:close(): idempotent; also on garbage collection (LuaSQL's own).
function Store:close()
  if self.conn then
    self.conn:close()
    self.conn = nil
  end
end
Store.__close = Store.close

function Store:__tostring()
  return "linkup store (" .. self.path .. (self.conn and "" or ", closed") .. ")"
end

-- The concepts on top of the database, each in its own module: they take
-- the store as their first argument and use only the methods above.
for _, name in ipairs{ "linkup.sync", "linkup.changes", "linkup.invites" } do
  for k, f in pairs(require(name)) do Store[k] = f end
end

return M
