-- linkup.changes: what the store learned, read back.
--
--   for _, row in ipairs(store:changes("connections", run_id)) do print(row.change, row.name) end
--   for _, row in ipairs(store:changes("connections", "2026-11-20", { account = "acc-1" })) do ... end
--   local last = store:runs{ account = "acc-1", kind = "connections", limit = 1 }[1]
--
-- Since a run id: what that run and every later-numbered run added or
-- removed (the rows carry the run ids, so nothing depends on clocks). Since
-- a date or a datetime: what was added or removed at or after it (UTC when
-- no offset is given). Each query is one indexed range scan per change.

local type, tostring, tonumber, pairs, ipairs = type, tostring, tonumber, pairs, ipairs
local floor = math.floor
local format = string.format

local items = require "linkup.items"
local E = require "linkup.store_error"
local misuse = E.misuse

local M = {}

-- Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
-- days_from_civil), so parsing a date never depends on the local zone.
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = floor(y / 400)
  local yoe = y - era * 400
  local mp = m > 2 and m - 3 or m + 9
  local doy = floor((153 * mp + 2) / 5) + d - 1
  local doe = yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
end

--- changes.parse_time(s) -> "YYYY-MM-DDTHH:MM:SSZ" | nil
-- "2026-11-20", "2026-11-20T07:30", "2026-11-20 07:30:15", with an
-- optional fraction and "Z" or "+02:00"/"-0500"; no zone means UTC.
local function parse_time(s)
  if type(s) ~= "string" then return nil end
  local y, mo, d, rest = s:match("^%s*(%d%d%d%d)%-(%d%d)%-(%d%d)(.-)%s*$")
  if not y then return nil end
  local h, mi, sec, off = 0, 0, 0, 0
  if rest ~= "" then
    local hh, mm, tail = rest:match("^[Tt ](%d%d):(%d%d)(.*)$")
    if not hh then return nil end
    h, mi = tonumber(hh), tonumber(mm)
    local ss, tail2 = tail:match("^:(%d%d)(.*)$")
    if ss then sec, tail = tonumber(ss), tail2 end
    tail = tail:gsub("^%.%d+", "")
    if tail ~= "" and tail ~= "Z" and tail ~= "z" then
      local sign, oh, om = tail:match("^([+-])(%d%d):?(%d%d)$")
      if not sign then return nil end
      off = (tonumber(oh) * 60 + tonumber(om)) * 60 * (sign == "+" and 1 or -1)
    end
  end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or sec > 60 then return nil end
  local t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off
  return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end
M.parse_time = parse_time

local CHANGE_OPTS = { account = "string" }

--- store:changes(kind, since, opts) -> list of rows | nil, err
-- since: a run id (integer) or a date/datetime string. opts.account limits
-- the rows to one account. Each row has change = "added" | "removed", run
-- (the run that made the change), kind, the columns (account, profile_url,
-- name, headline, picture, first_seen, last_seen, added_at, removed_at or
-- invited_at, and for invitations entity_urn, invitation_id,
-- invitation_type, sent_time), json (the item as received) and item (it,
-- decoded). Added rows come first, each group in time order.
function M.changes(self, kind, since, opts)
  E.check(self, 2)
  local K = items.KINDS[kind]
  if not K then misuse(2, "changes: kind must be connections, invitations, sent_invitations or recommendations") end
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then misuse(2, "changes: options must be a table") end
  for k, v in pairs(opts) do
    if CHANGE_OPTS[k] ~= type(v) then misuse(2, "changes: unknown option or wrong type: %s", tostring(k)) end
  end
  local added_cond, removed_cond
  if type(since) == "number" then
    if since ~= floor(since) or since < 0 then misuse(2, "changes: a run id is a whole number >= 0") end
    added_cond = "added_run >= " .. self:_quote(since)
    removed_cond = "removed_run >= " .. self:_quote(since)
  else
    local t = parse_time(since)
    if not t then
      misuse(2, "changes: since must be a run id or a date (2026-11-20) or datetime (2026-11-20T07:00:00Z), got %s",
        tostring(since))
    end
    added_cond = "added_at >= " .. self:_quote(t)
    removed_cond = "removed_at >= " .. self:_quote(t)
  end
  -- unary + keeps the planner on the change index: one account has few
  -- changes, and its primary-key range would be all of its rows
  local acc = opts.account and (" AND +account = " .. self:_quote(opts.account)) or ""
  local sql = format("SELECT 'added' AS change, added_run AS run, added_at AS at, * FROM %s WHERE %s%s",
    K.table, added_cond, acc)
  if K.removable then
    sql = sql .. format(" UNION ALL SELECT 'removed' AS change, removed_run AS run, removed_at AS at, * "
      .. "FROM %s WHERE %s%s", K.table, removed_cond, acc)
  end
  local rows, err = self:_rows(sql .. " ORDER BY change, at, account, profile_url")
  if not rows then return nil, err end
  for _, r in ipairs(rows) do
    r.kind = kind
    r.at = nil
    r.item = items.decode(r.json)
  end
  return rows
end

local RUN_OPTS = { account = "string", kind = "string", limit = "number" }

--- store:runs(opts) -> list of runs, newest first | nil, err
-- opts: account, kind, limit (default 20). A run is the row of the runs
-- table: id, account, kind, mode, started_at, finished_at, status,
-- next_offset, credits, seen, added, removed, total, resumed, updated_at,
-- note (the owner token is left out).
function M.runs(self, opts)
  E.check(self, 2)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then misuse(2, "runs: options must be a table") end
  for k, v in pairs(opts) do
    if RUN_OPTS[k] ~= type(v) then misuse(2, "runs: unknown option or wrong type: %s", tostring(k)) end
  end
  local limit = opts.limit or 20
  if limit < 1 or limit ~= floor(limit) then misuse(2, "runs: limit must be a whole number >= 1") end
  local where = {}
  if opts.account then where[#where + 1] = "account = " .. self:_quote(opts.account) end
  if opts.kind then where[#where + 1] = "kind = " .. self:_quote(opts.kind) end
  local cond = #where > 0 and (" WHERE " .. table.concat(where, " AND ")) or ""
  local rows, err = self:_rows("SELECT * FROM runs" .. cond .. " ORDER BY id DESC LIMIT " .. self:_quote(limit))
  if not rows then return nil, err end
  for _, r in ipairs(rows) do r.owner = nil end
  return rows
end

return M
