-- linkup.sync: store:sync(client, kind, opts), a walk recorded page by page.
--
--   local s, err = store:sync(client, "connections")                    -- full
--   local s, err = store:sync(client, "connections", { new_only = true }) -- the head only
--
-- Each page is one transaction: its items upserted and the run's resume
-- offset advanced together. So whatever stops a sync (Ctrl-C, kill -9, a
-- failed request, a full disk) leaves the database as it was after the
-- last whole page, and the next full sync of that account and kind takes
-- the same run up again from its recorded offset, without duplicate rows.
--
-- A full sync that reaches the end of the list marks the rows it did not
-- see as removed (connections and invitations) and un-removes a row that
-- comes back. A new-only sync reads from the head (the lists come newest
-- first) and stops after opts.known_run (25) known items in a row: cheap,
-- but it finds no removals; only a full sync does.

local type, tostring, tonumber, pairs, ipairs, pcall, error = type, tostring, tonumber, pairs, ipairs, pcall, error
local floor = math.floor
local format, concat = string.format, table.concat

local items = require "linkup.items"
local E = require "linkup.store_error"
local misuse = E.misuse

local M = {}

local SYNC_OPTS = {
  account = "string", account_id = "string", login_token = "string", country = "string",
  page_size = "number", concurrency = "number", max_credits = "number",
  new_only = "boolean", known_run = "number", restart = "boolean",
}

-- A token naming this process's claim on a run: a second process that
-- takes the same run up makes the first one's next page fail (TAKEN)
-- instead of both writing the run's counters.
local function owner_token()
  local f = io.open("/dev/urandom", "rb")
  if f then
    local b = f:read(8)
    f:close()
    if b and #b == 8 then return (b:gsub(".", function(c) return format("%02x", c:byte()) end)) end
  end
  return format("%x-%x-%s", os.time(), floor(os.clock() * 1e6), tostring({}):match("0x%x+") or "")
end

local one_line = require("linkup.error").one_line

-- A linkup error: a table with a kind. Anything else
-- raised inside a walk (Ctrl-C's "interrupted!", a bug) is not ours.
local function api_error(e)
  return type(e) == "table" and type(e.kind) == "string" and e.kind ~= "store"
end

-- The key the rows of this sync go under: opts.account, else the v2
-- account_id. Never a login_token: v1 callers name the account themselves.
local function account_of(opts, info)
  if opts.account ~= nil then
    if opts.account == "" then misuse(3, "sync: account must not be empty") end
    return opts.account
  end
  if opts.account_id then return opts.account_id end
  if info.version ~= 1 and type(info.account_id) == "string" then return info.account_id end
  misuse(3, "sync: give opts.account, a stable name for this LinkedIn account "
    .. "(v2: its account_id; v1: a name or hash of your choosing, never the login_token)")
end

-- What a full walk would cost (linkup.estimate_credits), or nil.
local function full_walk_price(version, kind, total, page_size)
  if not total then return nil end
  return (require("linkup").estimate_credits{ version = version, kind = kind, walk = true, total = total,
                                              page_size = version == 2 and page_size or nil })
end

local ITEM_COLS = "account, profile_url, name, headline, picture, json, first_seen, last_seen, "
               .. "added_at, added_run, seen_run"
local INV_COLS = ", entity_urn, invitation_id, invitation_type, sent_time"

-- The upsert's update part: fresh fields and last_seen; a row that had
-- been removed comes back (and counts as added again, by this run).
local function on_conflict(K)
  local set = { "name = excluded.name", "headline = excluded.headline", "picture = excluded.picture",
    "json = excluded.json", "last_seen = excluded.last_seen", "seen_run = excluded.seen_run" }
  if K.invitation then
    for _, c in ipairs{ "entity_urn", "invitation_id", "invitation_type", "sent_time" } do
      set[#set + 1] = c .. " = excluded." .. c
    end
  end
  if K.removable then
    set[#set + 1] = "added_at = CASE WHEN removed_at IS NULL THEN added_at ELSE excluded.added_at END"
    set[#set + 1] = "added_run = CASE WHEN removed_at IS NULL THEN added_run ELSE excluded.added_run END"
    set[#set + 1] = "removed_at = NULL"
    set[#set + 1] = "removed_run = NULL"
  end
  return " ON CONFLICT (account, profile_url) DO UPDATE SET " .. concat(set, ", ")
end

-- Ends a walk early (its closing value: what it has in flight is dropped).
local function close_walk(closing)
  local mt = closing and getmetatable(closing)
  if mt and mt.__close then mt.__close(closing) end
end

-- Records one page in one transaction. Returns true, or nil, err.
local function record_page(self, w, data, meta)
  local K, kind = w.K, w.kind
  local list = items.list(kind, data)
  local first = tonumber(meta.first) or (w.pos + 1)
  -- the position after this page: its last item's (meta.positions when a
  -- page's positions skip, e.g. repeats a lying server sent were dropped)
  local pos = (type(meta.positions) == "table" and meta.positions[#meta.positions]) or (first - 1 + #list)
  local total = tonumber(data.total_available_results)
  local credits
  if type(meta.credits_spent) == "number" then
    credits = meta.credits_spent - w.walk_spent
    w.walk_spent = meta.credits_spent
  else
    credits = tonumber(meta.credits) or 0
  end
  credits = floor(credits + 0.5)

  -- one row per key, in page order
  local rows, order, keys, skipped = {}, {}, {}, 0
  for i = 1, #list do
    local r = items.row(kind, list[i])
    if r then
      local json = items.encode(list[i])
      r.json = json or "null"
      if not rows[r.profile_url] then order[#order + 1] = r.profile_url end
      rows[r.profile_url] = r
      keys[i] = r.profile_url
    else
      skipped = skipped + 1
    end
  end
  local now = self:now()

  local added, stop, streak = 0, false, w.streak
  local ok, err = self:_tx(function()
    local existing = {}
    if #order > 0 then
      local q = {}
      for i, k in ipairs(order) do q[i] = self:_quote(k) end
      local found, ferr = self:_rows(format("SELECT profile_url, %s AS gone FROM %s WHERE account = %s "
        .. "AND profile_url IN (%s)", K.removable and "removed_at IS NOT NULL" or "0", K.table,
        self:_quote(w.account), concat(q, ", ")))
      if not found then return nil, ferr end
      for _, f in ipairs(found) do existing[f.profile_url] = (f.gone == 1) and "gone" or "known" end
    end
    for _, k in ipairs(order) do
      if existing[k] ~= "known" then added = added + 1 end
    end
    if w.new_only then
      for i = 1, #list do
        if keys[i] and existing[keys[i]] == "known" then streak = streak + 1 else streak = 0 end
        if streak >= w.known_run then stop = true break end
      end
    end
    if #order > 0 then
      local values = {}
      for i, k in ipairs(order) do
        local r = rows[k]
        local v = { w.account, k, r.name, r.headline, r.picture, r.json, now, now, now, w.run, w.run }
        if K.invitation then
          v[#v + 1], v[#v + 2], v[#v + 3], v[#v + 4] = r.entity_urn, r.invitation_id, r.invitation_type, r.sent_time
        end
        -- v has holes where a field is nil (quoted as NULL): go by count
        local parts = {}
        for j = 1, K.invitation and 15 or 11 do parts[j] = self:_quote(v[j]) end
        values[i] = "(" .. concat(parts, ", ") .. ")"
      end
      local n, ierr = self:_exec("INSERT INTO " .. K.table .. " (" .. ITEM_COLS .. (K.invitation and INV_COLS or "")
        .. ") VALUES " .. concat(values, ", ") .. on_conflict(K))
      if not n then return nil, ierr end
    end
    -- (SET reads the old row: list_moved compares the last page's total)
    local n, uerr = self:_exec(self:_sql("UPDATE runs SET next_offset = %s, credits = credits + %s, seen = seen + %s, "
      .. "added = added + %s, list_moved = CASE WHEN total <> %s THEN 1 ELSE list_moved END, "
      .. "total = coalesce(%s, total), updated_at = %s WHERE id = %s AND owner = %s",
      pos, credits, #list, added, total, total, now, w.run, w.owner))
    if not n then return nil, uerr end
    if n == 0 then
      return nil, E.new("TAKEN", format("another linkup took run %d (%s %s) over; this one stopped", w.run,
        w.account, kind), { run = w.run })
    end
    return true
  end)
  if not ok then return nil, err end
  w.pos, w.streak, w.pages = pos, streak, w.pages + 1
  w.seen, w.added, w.credits, w.skipped = w.seen + #list, w.added + added, w.credits + credits, w.skipped + skipped
  if total then w.total = total end
  w.at_end = meta.last == true -- the walk's judgement: has_more, v1's short page, a one-shot call
  w.stop = stop
  return true
end

-- Sets a run's status (and closes it for good when close is true); the
-- caller's own error matters more than this one's, so it returns nothing.
local function mark(self, w, status, note, close)
  local now = self:now()
  self:_tx(function()
    return self:_exec(self:_sql("UPDATE runs SET status = %s, note = %s, updated_at = %s, finished_at = %s "
      .. "WHERE id = %s AND owner = %s", status, one_line(note), now, close and now or nil, w.run, w.owner))
  end)
end

-- Ends a walk that stopped without error: removals (a complete full sync
-- of a removable kind), status and counters. Returns removed, note or nil, err.
local function finish(self, w, complete)
  local K, now = w.K, self:now()
  return self:_tx(function()
    local removed, note = 0, nil
    if complete and not w.new_only and K.removable then
      -- A list that moved under the walk (people removed or added while a
      -- long or resumed run read it) shifts items past the walk's offsets:
      -- unseen is then not gone. Mark only when the total stayed the same
      -- on every page and this run saw at least that many rows. (A later
      -- run, a new-only one, may have seen some since: they count.)
      local seen, err = self:_row(self:_sql("SELECT count(*) AS n, (SELECT list_moved FROM runs WHERE id = %s) AS "
        .. "moved FROM " .. K.table .. " WHERE account = %s AND seen_run >= %s", w.run, w.account, w.run))
      if not seen then return nil, err end
      if seen.moved == 1 or (w.total and seen.n < w.total) then
        note = format("removals not marked: the list changed during this run (it saw %d, the list holds %s); "
          .. "the next full sync will mark them", seen.n, tostring(w.total or "?"))
      else
        local n, uerr = self:_exec(self:_sql("UPDATE " .. K.table .. " SET removed_at = %s, removed_run = %s "
          .. "WHERE account = %s AND removed_at IS NULL AND seen_run < %s", now, w.run, w.account, w.run))
        if not n then return nil, uerr end
        removed = n
      end
    elseif not complete then
      note = "stopped by max_credits at offset " .. w.pos
    end
    local status = complete and "done" or "interrupted"
    local close = complete or w.new_only   -- a new-only run is never taken up again
    local n, err = self:_exec(self:_sql("UPDATE runs SET status = %s, removed = removed + %s, "
      .. "note = coalesce(%s, note), updated_at = %s, finished_at = %s WHERE id = %s AND owner = %s",
      status, removed, note, now, close and now or nil, w.run, w.owner))
    if not n then return nil, err end
    if n == 0 then return nil, E.new("TAKEN", format("another linkup took run %d over", w.run), { run = w.run }) end
    return { removed = removed, note = note, status = status }
  end)
end

--- store:sync(client, kind, opts) -> summary | nil, err
-- kind: "connections" | "invitations" | "sent_invitations" | "recommendations".
-- opts: account (the key rows go under; default the v2 account_id),
-- new_only, known_run (25), max_credits (this call's budget), restart
-- (abandon an unfinished full run and start over), and for the walk:
-- page_size, concurrency, account_id, login_token, country (never stored).
-- Raises on misuse (before anything is sent or written). A failed request
-- returns nil, err (the client's error; the run is kept, resumable, and
-- err.run names it); a store failure returns nil, err (kind "store"). Any
-- other error raised inside the walk (Ctrl-C) marks the run interrupted
-- and is raised again.
function M.sync(self, client, kind, opts)
  E.check(self, 2)
  if type(client) ~= "table" or type(client.each_page) ~= "function" then
    misuse(2, "sync: client must be a linkup client")
  end
  local K = items.KINDS[kind]
  if not K then misuse(2, "sync: kind must be connections, invitations, sent_invitations or recommendations") end
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then misuse(2, "sync: options must be a table") end
  for k, v in pairs(opts) do
    if not SYNC_OPTS[k] then misuse(2, "sync: unknown option %q", tostring(k)) end
    if type(v) ~= SYNC_OPTS[k] then misuse(2, "sync: option %s must be a %s", k, SYNC_OPTS[k]) end
  end
  local known_run = opts.known_run or 25
  if known_run < 1 or known_run ~= floor(known_run) then misuse(2, "sync: known_run must be a whole number >= 1") end
  if opts.max_credits and opts.max_credits < 0 then misuse(2, "sync: max_credits must be >= 0") end
  local info = type(client.info) == "function" and client:info() or {}
  local version = info.version or 2
  local account = account_of(opts, info)
  local new_only = opts.new_only and true or false

  -- The run to take up again: the last unfinished full run of this account
  -- and kind. New-only runs start from the head every time.
  local run = false
  if not new_only and not opts.restart then
    local err
    run, err = self:_row(self:_sql("SELECT * FROM runs WHERE account = %s AND kind = %s AND mode = 'full' "
      .. "AND status <> 'done' AND finished_at IS NULL ORDER BY id DESC LIMIT 1", account, kind))
    if run == nil then return nil, err end
  end
  local offset = run and run.next_offset or 0
  -- v2 recommendations are one request: a run taken up again asks again
  if kind == "recommendations" and version == 2 then offset = 0 end
  local walk_needed = not (run and run.total and offset >= run.total)

  local it = {}
  if walk_needed then
    local wopts = { page_size = opts.page_size, concurrency = opts.concurrency, max_credits = opts.max_credits,
      account_id = opts.account_id, login_token = opts.login_token, country = opts.country }
    if offset > 0 then wopts.offset = offset end
    -- a misuse raises here, before the run is written
    it = { client:each_page(kind, wopts) }
  end

  local w = {
    kind = kind, K = K, account = account, new_only = new_only, known_run = known_run,
    owner = owner_token(), pos = offset, total = run and run.total or nil, walk_spent = 0,
    seen = 0, added = 0, credits = 0, skipped = 0, pages = 0, streak = 0, stop = false, at_end = false,
  }
  local now = self:now()
  local run_id, cerr = self:_tx(function()
    if run then
      local note = format("resumed at offset %d (was %s%s)", offset, run.status,
        run.status == "running" and ": stopped uncleanly" or (run.note and (": " .. run.note) or ""))
      local n, e = self:_exec(self:_sql("UPDATE runs SET status = 'running', owner = %s, resumed = resumed + 1, "
        .. "note = %s, updated_at = %s WHERE id = %s AND next_offset = %s AND finished_at IS NULL",
        w.owner, one_line(note), now, run.id, run.next_offset))
      if not n then return nil, e end
      if n == 0 then
        return nil, E.new("TAKEN", format("another linkup is syncing %s %s (run %d)", account, kind, run.id),
          { run = run.id })
      end
      return run.id
    end
    -- a full run another process began since the look above: not twice
    if not new_only and not opts.restart then
      local other, oerr = self:_row(self:_sql("SELECT id FROM runs WHERE account = %s AND kind = %s AND "
        .. "mode = 'full' AND status <> 'done' AND finished_at IS NULL", account, kind))
      if other == nil then return nil, oerr end
      if other then
        return nil, E.new("TAKEN", format("another linkup is syncing %s %s (run %d)", account, kind, other.id),
          { run = other.id })
      end
    end
    -- what this run replaces is closed for good
    local n, e = self:_exec(self:_sql("UPDATE runs SET status = 'interrupted', finished_at = %s, note = %s "
      .. "WHERE account = %s AND kind = %s AND mode = %s AND finished_at IS NULL AND status <> 'done'",
      now, new_only and "abandoned: a new-only run starts from the head" or "abandoned: restarted",
      account, kind, new_only and "new-only" or "full"))
    if not n then return nil, e end
    n, e = self:_exec(self:_sql("INSERT INTO runs (account, kind, mode, started_at, status, owner, updated_at) "
      .. "VALUES (%s, %s, %s, %s, 'running', %s, %s)", account, kind, new_only and "new-only" or "full",
      now, w.owner, now))
    if not n then return nil, e end
    return self:_last_id()
  end)
  if not run_id then return nil, cerr end
  w.run = run_id

  local function walk()
    if not walk_needed then w.at_end = true return true end
    -- Three expressions, not four: PUC Lua 5.1 and 5.2 miscompile a generic
    -- for with four (it clobbered this loop's locals: a page that failed to
    -- record was skipped). The walk's closing value is called by hand.
    local iter, state, ctl, closing = it[1], it[2], it[3], it[4]
    for data, meta in iter, state, ctl do
      local ok, err = record_page(self, w, data, meta)
      if not ok then close_walk(closing) return nil, err end
      if w.stop then break end
    end
    close_walk(closing)
    return true
  end
  local pok, ok, err = pcall(walk)
  if not pok then
    if api_error(ok) then
      -- the store resumes the run by itself: the walk's own place to
      -- resume (err.resume, and in tostring) would only mislead
      ok.resume = nil
      mark(self, w, "failed", tostring(ok), new_only)
      ok.run = run_id
      return nil, ok
    end
    local why = require("linkup.check").is_interrupt(ok) and "interrupted (Ctrl-C)"
                or ("interrupted: " .. tostring(ok))
    mark(self, w, "interrupted", why, new_only)
    error(ok, 0)
  end
  if not ok then
    mark(self, w, "failed", tostring(err), new_only)
    return nil, err
  end

  -- Without a budget a walk ends only at the end of the list.
  local complete = w.stop or w.at_end or opts.max_credits == nil
  local fin, ferr = finish(self, w, complete)
  if not fin then return nil, ferr end
  local totals, terr = self:_row(self:_sql("SELECT * FROM runs WHERE id = %s", run_id))
  if not totals then return nil, terr end

  return {
    run = run_id, account = account, kind = kind, mode = new_only and "new-only" or "full",
    status = fin.status, complete = complete, resumed = run and true or false,
    seen = w.seen, added = w.added, removed = fin.removed, credits = w.credits,
    next_offset = w.pos, total = w.total, pages = w.pages, skipped = w.skipped, note = fin.note,
    -- the whole run, across every sync that took it up
    run_seen = totals.seen, run_added = totals.added, run_removed = totals.removed, run_credits = totals.credits,
    full_walk_credits = new_only and full_walk_price(version, kind, w.total, opts.page_size) or nil,
  }
end

return M
