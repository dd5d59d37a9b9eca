-- linkup.invites: invite each person once, and no more than so many a day.
--
--   local guard = store:invite_guard("acc-1", { max_per_day = 20 })
--   local data, err = guard:invite(client, { profile_url = url, message = "Hello" })
--   -- or step by step:
--   local id, err = guard:begin(url, message)     -- recorded as pending BEFORE sending
--   local data, ierr = client:invite{ profile_url = url, message = message }
--   guard:finish(id, data and "ok" or (ierr.uncertain and "uncertain" or "failed"), ierr)
--
-- An attempt is pending (begun, committed, not yet answered), ok, failed
-- (the request certainly did not take effect: it may be tried again) or
-- uncertain (it may have: a timeout after sending, a 5xx). A pending row
-- that no live guard of this process owns was left by a crash: it reads
-- as uncertain. Pending, ok and uncertain all block a second invitation
-- and all count towards the daily cap.
--
-- The day is the UTC day: the stored times are UTC, the count is one index
-- range, and a cron host's time zone or a DST change never makes a day of
-- 23 or 25 hours. (In Tokyo the count starts again at 09:00.)

local type, tostring, pairs, setmetatable, pcall, error = type, tostring, pairs, setmetatable, pcall, error
local floor = math.floor
local format = string.format

local check = require "linkup.check"
local one_line = require("linkup.error").one_line
local items = require "linkup.items"
local E = require "linkup.store_error"
local misuse = E.misuse

local M = {}

local Guard = {}
Guard.__index = Guard

local COUNTED = "outcome IN ('ok', 'uncertain', 'pending')"
local OUTCOMES = { ok = true, failed = true, uncertain = true }

local function check_guard(self, level)
  if getmetatable(self) ~= Guard then misuse(level + 1, "invite guard: call guard:method, not guard.method") end
  E.check(self.store, level + 1)
end

local function url_key(url, where, level)
  local key = items.key(url)
  if not key then misuse(level + 1, "%s: profile_url must be a non-empty string", where) end
  return key
end

--- store:invite_guard(account, opts) -> guard
-- account: the key of the LinkedIn account that invites (as in sync);
-- opts.max_per_day: the most attempts per UTC day for that account,
-- across processes and runs (none when absent).
function M.invite_guard(self, account, opts)
  E.check(self, 2)
  if type(account) ~= "string" or account == "" then misuse(2, "invite_guard: account must be a non-empty string") end
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then misuse(2, "invite_guard: options must be a table") end
  for k in pairs(opts) do
    if k ~= "max_per_day" then misuse(2, "invite_guard: unknown option %q", tostring(k)) end
  end
  local max = opts.max_per_day
  if max ~= nil and (type(max) ~= "number" or max < 0 or max ~= floor(max)) then
    misuse(2, "invite_guard: max_per_day must be a whole number >= 0")
  end
  return setmetatable({ store = self, account = account, max_per_day = max, mine = {} }, Guard)
end

-- The attempt that blocks url, if any: row or false; nil, err.
local function blocking(self, key)
  local s = self.store
  return s:_row(s:_sql("SELECT id, outcome FROM invite_attempts WHERE account = %s AND profile_url = %s AND "
    .. COUNTED .. " ORDER BY id DESC LIMIT 1", self.account, key))
end

local function outcome_of(self, row)
  if row.outcome == "pending" and not self.mine[row.id] then return "uncertain" end
  return row.outcome
end

-- Today's attempts that count, for this account: n or nil, err.
local function today(self)
  local s = self.store
  local t = s.clock()
  local day, next_day = os.date("!%Y-%m-%d", t), os.date("!%Y-%m-%d", t + 86400)
  local row, err = s:_row(s:_sql("SELECT count(*) AS n FROM invite_attempts WHERE account = %s AND at >= %s "
    .. "AND at < %s AND " .. COUNTED, self.account, day, next_day))
  if not row then return nil, err end
  return floor(row.n), day
end

--- guard:seen(profile_url) -> seen, outcome, attempt_id | nil, err
-- seen: whether this profile was invited (ok, uncertain or pending) by
-- this account; outcome as read (a crash's pending reads "uncertain").
function Guard:seen(url)
  check_guard(self, 2)
  local row, err = blocking(self, url_key(url, "seen", 2))
  if row == nil then return nil, err end
  if not row then return false end
  return true, outcome_of(self, row), row.id
end

--- guard:count_today() -> n | nil, err: this UTC day's attempts that count.
function Guard:count_today()
  check_guard(self, 2)
  return today(self)
end

--- guard:begin(profile_url, message) -> attempt id | nil, err
-- Commits a pending attempt before anything is sent. err.code "SEEN"
-- (already invited: err.outcome, err.attempt) or "CAP" (the day's cap:
-- err.count, err.max) when the invitation must not go; both are checked
-- in the same transaction as the insert, so two processes cannot both pass.
function Guard:begin(url, message)
  check_guard(self, 2)
  local key = url_key(url, "begin", 2)
  if message ~= nil and type(message) ~= "string" then misuse(2, "begin: message must be a string") end
  local s = self.store
  local id, err = s:_tx(function()
    local row, berr = blocking(self, key)
    if row == nil then return nil, berr end
    if row then
      local outcome = outcome_of(self, row)
      return nil, E.new("SEEN", format("%s was already invited by %s (attempt %d: %s)", key, self.account,
        row.id, outcome), { outcome = outcome, attempt = row.id })
    end
    if self.max_per_day then
      local n, day = today(self)
      if not n then return nil, day end
      if n >= self.max_per_day then
        return nil, E.new("CAP", format("%s reached its cap of %d invitations for %s (UTC)", self.account,
          self.max_per_day, day), { count = n, max = self.max_per_day })
      end
    end
    local ok, ierr = s:_exec(s:_sql("INSERT INTO invite_attempts (account, profile_url, message, outcome, at) "
      .. "VALUES (%s, %s, %s, 'pending', %s)", self.account, key, message, s:now()))
    if not ok then return nil, ierr end
    return s:_last_id()
  end)
  if not id then return nil, err end
  self.mine[id] = true
  return id
end

-- The fields of an error worth keeping: never the object itself (only
-- kind, code, status and a one-line message; linkup's are scrubbed of
-- secrets already).
local function error_fields(e)
  if e == nil then return {} end
  if type(e) ~= "table" then e = { message = e } end
  local msg = e.message ~= nil and one_line(e.message) or nil
  return {
    kind = type(e.kind) == "string" and e.kind or nil,
    code = type(e.code) == "string" and e.code or nil,
    status = type(e.status) == "number" and floor(e.status) or nil,
    message = msg,
  }
end

--- guard:finish(id, outcome, err) -> true | nil, err
-- outcome: "ok" | "failed" | "uncertain"; err: the call's error (its kind,
-- code, status and message are kept). A pending or uncertain attempt may
-- be finished (an uncertain one settled later, after check_invitation);
-- an ok or failed one gives err.code "NOT_PENDING". An ok invitation also
-- sets invited_at on that person's recommendation row.
function Guard:finish(id, outcome, cause)
  check_guard(self, 2)
  if type(id) ~= "number" or id ~= floor(id) then misuse(2, "finish: id must be an attempt id from begin") end
  if not OUTCOMES[outcome] then misuse(2, "finish: outcome must be \"ok\", \"failed\" or \"uncertain\"") end
  local s, f = self.store, error_fields(cause)
  local ok, err = s:_tx(function()
    local row, rerr = s:_row(s:_sql("SELECT profile_url, outcome FROM invite_attempts WHERE id = %s AND account = %s",
      id, self.account))
    if row == nil then return nil, rerr end
    if not row or (row.outcome ~= "pending" and row.outcome ~= "uncertain") then
      return nil, E.new("NOT_PENDING", format("attempt %d of %s is %s", id, self.account,
        row and ("already " .. row.outcome) or "unknown"), { attempt = id })
    end
    local now = s:now()
    local n, uerr = s:_exec(s:_sql("UPDATE invite_attempts SET outcome = %s, finished_at = %s, error_kind = %s, "
      .. "error_code = %s, error_status = %s, error_message = %s WHERE id = %s",
      outcome, now, f.kind, f.code, f.status, f.message, id))
    if not n then return nil, uerr end
    if outcome == "ok" then
      n, uerr = s:_exec(s:_sql("UPDATE recommendations SET invited_at = %s WHERE account = %s AND profile_url = %s "
        .. "AND invited_at IS NULL", now, self.account, row.profile_url))
      if not n then return nil, uerr end
    end
    return true
  end)
  if not ok then return nil, err end
  self.mine[id] = nil
  return true
end

-- A begun attempt that was never sent (a dry run, a misuse): gone. Best
-- effort: if the delete fails the row stays pending, which reads as
-- uncertain and blocks that person: the safe side.
local function drop(self, id)
  local s = self.store
  s:_tx(function()
    return s:_exec(s:_sql("DELETE FROM invite_attempts WHERE id = %s AND outcome = 'pending'", id))
  end)
  self.mine[id] = nil
end

--- guard:invite(client, params) -> data, meta | nil, err
-- begin, client:invite(params), finish: the whole guarded call. params as
-- for client:invite, with profile_url (the guard keys on it). err is the
-- store's (SEEN, CAP, ...) or the client's; a client error with
-- err.uncertain is recorded as uncertain, any other as failed. A dry-run
-- client's answer records nothing. If client:invite raises, a misuse
-- ("linkup.invite: ...") drops the attempt; anything else (Ctrl-C) leaves
-- it uncertain; the error is raised again.
function Guard:invite(client, params)
  check_guard(self, 2)
  if type(client) ~= "table" or type(client.invite) ~= "function" then
    misuse(2, "invite: client must be a linkup client with invite")
  end
  if type(params) ~= "table" then misuse(2, "invite: params must be a table") end
  url_key(params.profile_url, "invite", 2)
  local id, err = self:begin(params.profile_url, params.message)
  if not id then return nil, err end
  local ok, data, meta = pcall(client.invite, client, params)
  if not ok then
    if check.is_misuse(data) then
      drop(self, id)
    else
      local interrupted = check.is_interrupt(data)
      self:finish(id, "uncertain", { kind = interrupted and "interrupted" or "raised",
                                     message = interrupted and "interrupted (Ctrl-C) while the invite was in flight"
                                                            or tostring(data) })
    end
    error(data, 0)
  end
  if data then
    if (type(meta) == "table" and meta.dry_run) or (type(data) == "table" and data.dry_run) then
      drop(self, id)
      return data, meta
    end
    -- if this fails the attempt stays pending, which reads as uncertain:
    -- never invited twice
    self:finish(id, "ok")
    return data, meta
  end
  local e = meta
  self:finish(id, (type(e) == "table" and e.uncertain) and "uncertain" or "failed", e)
  return nil, e
end

return M
