-- linkup.cli.actions: a run of writes (invite, accept, decline, withdraw),
-- and the log it leaves.
--
-- A command collects its steps first (reading a list whole before acting
-- on it: acting while walking shifts the offsets), then the run does them
-- in order. Each step is one write, sent once (the library retries a write
-- only when it certainly did not take effect); each answer becomes ONE
-- JSONL record on standard output, written as soon as it is known:
--
--   {"action":"invite","credits":1,"outcome":"ok","profile_url":"..."}
--
-- outcome: ok, failed (certainly not done), uncertain (it may have taken
-- effect: a timeout or a 5xx after sending, Ctrl-C in flight), skipped
-- (not sent, `reason` says why), planned (a dry run: `credits` is its
-- price). Then one summary line on standard error, and the exit code: 0
-- when every step is ok, skipped or planned, 1 when one failed or is
-- uncertain, 130 on Ctrl-C (the step in flight is recorded uncertain,
-- nothing after it is sent).
--
-- Before anything is sent, every step goes through a dry-run client of the
-- same configuration (`plan`): the library checks each write's arguments
-- there, so a bad one is refused before the first request instead of half
-- way through the run.

local linkup = require "linkup"
local errors = require "linkup.cli.errors"
local log = require "linkup.cli.log"
local resume = require "linkup.cli.resume"

local format, type, tostring, pcall, error, setmetatable = string.format, type, tostring, pcall, error,
                                                           setmetatable

local M = {}

local Run = {}
Run.__index = Run

-- API errors that every later step would meet as well: the run stops at
-- the first one instead of collecting the same failure for each.
local STOPS = { INSUFFICIENT_CREDITS = true, INVALID_API_KEY = true, INVALID_ACCOUNT = true,
                ACCOUNT_INACTIVE = true, INVALID_LOGIN_TOKEN = true, RATE_LIMITED = true }

--- page_size(ctx) -> the page size to read a list whole with: v2 asks
-- 1 credit per 50 results asked, so pages of 50 never ask for more than
-- the list holds by more than 49 (pages of 100 could by 99); v1's is fixed.
function M.page_size(ctx)
  if ctx.version == 2 then return 50 end
end

--- new(ctx, spec) -> a run. ctx: the command's (client, version, account,
-- prog). spec: action (the record's "action"), noun (plural, for the
-- summary: "invites"), dry_run, max (the most steps to send or plan),
-- plan (a dry-run client for the checks), db (the --db path, for the
-- hint), max_per_day (the guard's cap, which a dry run applies itself).
function M.new(ctx, spec)
  return setmetatable({
    ctx = ctx, action = spec.action, noun = spec.noun, dry_run = spec.dry_run and true or false,
    max = spec.max, plan = spec.plan, db = spec.db, max_per_day = spec.max_per_day,
    steps = {}, counts = { ok = 0, failed = 0, uncertain = 0, skipped = 0, planned = 0 },
    planned_credits = 0, sent = 0, done = 0, first_uncertain = nil,
  }, Run)
end

--- run:add(record, call, params[, origin]): a step: client:<call>(params),
-- its record's fields so far (profile_url, ...). origin: where the user
-- gave it ("FILE:3"), which makes a refused argument a usage error.
function Run:add(record, call, params, origin)
  self.steps[#self.steps + 1] = { record = record, call = call, params = params, origin = origin }
end

--- run:add_guarded(record, guard, params, origin): an invite through the
-- store's invite guard (never twice, the daily cap).
function Run:add_guarded(record, guard, params, origin)
  self.steps[#self.steps + 1] = { record = record, call = "invite", params = params, origin = origin, guard = guard }
end

--- run:add_skip(record, reason): a step that is not sent, and why.
function Run:add_skip(record, reason)
  self.steps[#self.steps + 1] = { record = record, skip = reason }
end

--- run:add_failed(record, why): a step that cannot be sent (failed).
function Run:add_failed(record, why)
  self.steps[#self.steps + 1] = { record = record, refused = why }
end

-- Writes one record to the run's log (linkup.cli.log), and counts it.
function Run:emit(record)
  record.action = self.action
  log.line(record)
  self.counts[record.outcome] = self.counts[record.outcome] + 1
  if record.outcome == "uncertain" and not self.first_uncertain then self.first_uncertain = record end
end

-- A step's record from its answer (data, meta | nil, err).
local function settle(self, step, data, meta)
  local rec = step.record
  if data ~= nil then
    if type(data) == "table" and data.dry_run then
      rec.outcome, rec.credits = "planned", meta and meta.credits
      self.planned_credits = self.planned_credits + (rec.credits or 0)
    else
      rec.outcome, rec.credits = "ok", type(meta) == "table" and meta.credits or nil
    end
    return
  end
  local err = meta
  if type(err) == "table" and err.kind == "store" then
    if err.code == "SEEN" or err.code == "CAP" then
      rec.outcome, rec.reason = "skipped", err.message
      -- the day's cap holds for every later step as well
      if err.code == "CAP" then self.stop = "the daily cap (--max-per-day) is reached" end
      return
    end
    rec.outcome, rec.error = "failed", tostring(err)
    self.stop = "the database failed"
    return
  end
  rec.outcome = type(err) == "table" and err.uncertain and "uncertain" or "failed"
  rec.error = tostring(err)
  if type(err) == "table" and STOPS[err.code] then self.stop = err.code .. " would fail every other step too" end
end

-- Every step through the dry-run client: a refused argument is a usage
-- error when the user gave it (origin), a failed step when it came from
-- the API (a list item the library will not send back as it is).
function Run:check()
  local plan = self.plan
  if not plan then return end
  for _, step in ipairs(self.steps) do
    if step.call then
      local ok, why = pcall(plan[step.call], plan, step.params)
      if not ok then
        if not linkup.is_misuse(why) then error(why, 0) end
        why = errors.misuse_text(why)
        if step.origin then errors.usage("%s: %s", step.origin, why) end
        step.refused = "not sent: " .. why
      end
    end
  end
  plan:close()
end

-- A dry run's guarded invite: what the guard would say, without writing
-- the database (a plan leaves no attempt behind, even when interrupted).
function Run:plan_guarded(step)
  local guard, url = step.guard, step.params.profile_url
  local seen, outcome, id = guard:seen(url)
  if seen == nil then return nil, outcome end
  if seen then
    return nil, { kind = "store", code = "SEEN", message = format("%s was already invited by %s (attempt %d: %s)",
      url, self.ctx.account, id, outcome) }
  end
  if self.max_per_day then
    local n, err = guard:count_today()
    if not n then return nil, err end
    if n + self.counts.planned >= self.max_per_day then
      return nil, { kind = "store", code = "CAP", message = format("the cap of %d invitations a day (UTC) would be "
        .. "reached", self.max_per_day) }
    end
  end
  local client = self.ctx.client
  return client:invite(step.params)
end

-- One step: its record, from the answer or the refusal. Returns false
-- when it was not taken (--max reached).
function Run:step(step)
  local rec = step.record
  if step.skip then
    rec.outcome, rec.reason = "skipped", step.skip
    self:emit(rec)
    return true
  end
  if step.refused then
    rec.outcome, rec.error = "failed", step.refused
    self:emit(rec)
    return true
  end
  if self.max and self.sent >= self.max then
    self.stop = format("--max %d reached", self.max)
    return false
  end
  local client = self.ctx.client
  self.current = step
  local data, meta
  if step.guard and self.dry_run then
    data, meta = self:plan_guarded(step)
  elseif step.guard then
    data, meta = step.guard:invite(client, step.params)
  else
    data, meta = client[step.call](client, step.params)
  end
  settle(self, step, data, meta)
  if rec.outcome ~= "skipped" then self.sent = self.sent + 1 end
  self:emit(rec)
  step.emitted = true
  self.current = nil
  return true
end

-- The command that tells what an uncertain step did.
local function check_hint(self, rec)
  local ctx = self.ctx
  if not rec.profile_url then
    return "its list (" .. ctx.prog .. " sent / " .. ctx.prog .. " invitations) shows whether it took effect"
  end
  local words = { resume.quote(ctx.prog), "check", resume.quote(rec.profile_url) }
  if ctx.version == 1 then
    words[#words + 1] = "--api-version 1"
  elseif ctx.account then
    words[#words + 1] = "--account " .. resume.quote(ctx.account)
  end
  if self.db and self.action == "invite" then words[#words + 1] = "--db " .. resume.quote(self.db) end
  return "see what it did with: " .. table.concat(words, " ")
end

local function credits(n) return format(n == 1 and "%g credit" or "%g credits", n) end

-- The summary line on standard error.
function Run:summary(interrupted)
  local c, out = self.counts, io.stderr
  local left = #self.steps - self.done
  if self.stop and left > 0 then
    out:write(format("linkup: stopped: %s; %d not attempted\n", self.stop, left))
  elseif interrupted and left > 0 then
    out:write(format("linkup: %d not attempted\n", left))
  end
  local spent = self.ctx.client:info().credits_spent
  local skipped = c.skipped > 0 and format(", %d skipped", c.skipped) or ""
  if self.dry_run then
    local n = c.planned
    local noun = n == 1 and self.noun:gsub("s$", "") or self.noun
    out:write(format("linkup: %d %s planned, %s%s%s%s\n", n, noun, credits(self.planned_credits), skipped,
      c.failed > 0 and format(", %d failed", c.failed) or "",
      spent > 0 and format(" (reading cost %s)", credits(spent)) or ""))
  else
    out:write(format("linkup: %d ok, %d failed, %d uncertain%s; %s\n", c.ok, c.failed, c.uncertain, skipped,
      credits(spent)))
  end
  if self.first_uncertain then
    out:write(format("linkup: %s may have taken effect; %s\n", c.uncertain == 1 and "the uncertain one"
      or "an uncertain one", check_hint(self, self.first_uncertain)))
  end
end

--- run:go() -> exit code: checks every step, then does them in order.
function Run:go()
  self:check()
  local ok, err = pcall(function()
    for _, step in ipairs(self.steps) do
      if not self:step(step) then break end
      self.done = self.done + 1
      if self.stop then break end
    end
  end)
  if ok then
    self:summary(false)
    pcall(self.ctx.client.close, self.ctx.client)
    return (self.counts.failed > 0 or self.counts.uncertain > 0) and errors.FAILED or errors.OK
  end
  local interrupted = linkup.is_interrupt(err)
  local step = self.current
  if step and interrupted and not step.emitted then
    -- in flight when Ctrl-C came: it may have been sent (never in a dry
    -- run); one whose answer was in is recorded as answered
    local rec = step.record
    if not rec.outcome and not self.dry_run then
      rec.outcome, rec.error = "uncertain", "interrupted while it was being sent"
    end
    if rec.outcome then pcall(self.emit, self, rec) end
    self.done = self.done + 1
  end
  local code = errors.report(err)
  if not errors.is_bug(err) then self:summary(interrupted) end
  pcall(self.ctx.client.close, self.ctx.client)
  return code
end

return M
