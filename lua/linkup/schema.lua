-- linkup.schema: the store's layout, as the list of steps that build it.
--
-- steps[v] takes a database from version v - 1 to v (PRAGMA user_version);
-- linkup.store applies the missing ones in order, one transaction each, and
-- refuses a database whose version is above CURRENT. A step is never
-- edited once released: a change is a new step at the end.
--
-- Conventions: times are ISO-8601 UTC text ("2026-11-20T07:00:00Z");
-- `account` is the v2 account_id or, for v1, a stable name the caller
-- chooses (never a login_token or an API key); `profile_url` is the
-- normalized key of linkup.items; `json` is the whole item as received.

local M = {}

local ITEM_COLUMNS = [[
  account     TEXT NOT NULL,
  profile_url TEXT NOT NULL,
  name        TEXT,
  headline    TEXT,
  picture     TEXT,
  json        TEXT NOT NULL,
  first_seen  TEXT NOT NULL,
  last_seen   TEXT NOT NULL,
]]

local INVITATION_COLUMNS = [[
  entity_urn      TEXT,
  invitation_id   TEXT,
  invitation_type TEXT,
  sent_time       TEXT,
]]

-- The run-id columns of step 2, for a table; removable ones have removals.
local function run_columns(t, removable)
  local s = {
    "ALTER TABLE " .. t .. " ADD COLUMN added_at TEXT",
    "ALTER TABLE " .. t .. " ADD COLUMN added_run INTEGER",
    "ALTER TABLE " .. t .. " ADD COLUMN seen_run INTEGER NOT NULL DEFAULT 0",
    -- rows from before run tracking: added when first seen, by "run 0"
    "UPDATE " .. t .. " SET added_at = first_seen, added_run = 0",
    "CREATE INDEX " .. t .. "_added_at ON " .. t .. " (added_at)",
    "CREATE INDEX " .. t .. "_added_run ON " .. t .. " (added_run)",
  }
  if removable then
    local more = {
      "ALTER TABLE " .. t .. " ADD COLUMN removed_run INTEGER",
      "UPDATE " .. t .. " SET removed_run = 0 WHERE removed_at IS NOT NULL",
      -- partial: most rows are never removed
      "CREATE INDEX " .. t .. "_removed_at ON " .. t .. " (removed_at) WHERE removed_at IS NOT NULL",
      "CREATE INDEX " .. t .. "_removed_run ON " .. t .. " (removed_run) WHERE removed_run IS NOT NULL",
    }
    for _, x in ipairs(more) do s[#s + 1] = x end
  end
  return s
end

M.steps = {
  -- 1: the first layout: what was seen, per kind, and the runs.
  {
    [[CREATE TABLE runs (
      id          INTEGER PRIMARY KEY AUTOINCREMENT,
      account     TEXT NOT NULL,
      kind        TEXT NOT NULL,
      mode        TEXT NOT NULL CHECK (mode IN ('full', 'new-only')),
      started_at  TEXT NOT NULL,
      finished_at TEXT,
      status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
      next_offset INTEGER NOT NULL DEFAULT 0,
      credits     INTEGER NOT NULL DEFAULT 0,
      seen        INTEGER NOT NULL DEFAULT 0,
      added       INTEGER NOT NULL DEFAULT 0,
      removed     INTEGER NOT NULL DEFAULT 0)]],
    "CREATE INDEX runs_by_account ON runs (account, kind, id)",
    "CREATE TABLE connections (" .. ITEM_COLUMNS .. [[
      removed_at TEXT,
      PRIMARY KEY (account, profile_url))]],
    "CREATE TABLE invitations (" .. ITEM_COLUMNS .. INVITATION_COLUMNS .. [[
      removed_at TEXT,
      PRIMARY KEY (account, profile_url))]],
    "CREATE TABLE sent_invitations (" .. ITEM_COLUMNS .. INVITATION_COLUMNS .. [[
      removed_at TEXT,
      PRIMARY KEY (account, profile_url))]],
    "CREATE TABLE recommendations (" .. ITEM_COLUMNS .. [[
      invited_at TEXT,
      PRIMARY KEY (account, profile_url))]],
  },
  -- 2: run ids on rows (exact "changes since run N", removals by "not seen
  -- in this run", resumable runs with an owner) and the invite attempts.
  (function()
    local s = {}
    for _, t in ipairs{ "connections", "invitations", "sent_invitations" } do
      for _, x in ipairs(run_columns(t, true)) do s[#s + 1] = x end
    end
    for _, x in ipairs(run_columns("recommendations", false)) do s[#s + 1] = x end
    local more = {
      "ALTER TABLE runs ADD COLUMN total INTEGER",                     -- total_available_results, last page
      "ALTER TABLE runs ADD COLUMN resumed INTEGER NOT NULL DEFAULT 0", -- times it was taken up again
      "ALTER TABLE runs ADD COLUMN owner TEXT",                        -- the process that runs it now
      "ALTER TABLE runs ADD COLUMN updated_at TEXT",
      "ALTER TABLE runs ADD COLUMN note TEXT",                         -- last error, or why no removals
      "ALTER TABLE runs ADD COLUMN list_moved INTEGER NOT NULL DEFAULT 0", -- total changed during the run
      [[CREATE TABLE invite_attempts (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        account       TEXT NOT NULL,
        profile_url   TEXT NOT NULL,
        message       TEXT,
        outcome       TEXT NOT NULL CHECK (outcome IN ('pending', 'ok', 'failed', 'uncertain')),
        at            TEXT NOT NULL,
        finished_at   TEXT,
        error_kind    TEXT,
        error_code    TEXT,
        error_status  INTEGER,
        error_message TEXT)]],
      "CREATE INDEX invite_attempts_by_url ON invite_attempts (account, profile_url)",
      "CREATE INDEX invite_attempts_by_day ON invite_attempts (account, at)",
    }
    for _, x in ipairs(more) do s[#s + 1] = x end
    return s
  end)(),
}

M.CURRENT = #M.steps

return M
