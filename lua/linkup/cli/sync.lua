-- linkup.cli.sync: `linkup sync [KIND|all] --db FILE`: bring the local
-- database up to date with the account's lists (linkup.store's sync).
--
-- Standard output gets one JSONL summary per kind (run, added, removed,
-- seen, credits, complete; for --new-only what a full walk would have
-- cost and what this one saved); standard error a line per kind for
-- people, and the progress on a terminal. A sync that does not finish (a
-- failed request, Ctrl-C, the budget) exits 1 (130 for Ctrl-C) and says
-- so: the store keeps the run, and the same command takes it up again
-- where it stopped. With `all` the kinds go in turn and the first that
-- does not finish ends the command; --max-credits is one budget for all.

local linkup = require "linkup"
local db = require "linkup.cli.db"
local errors = require "linkup.cli.errors"
local log = require "linkup.cli.log"
local progress = require "linkup.cli.progress"

local format, max, type, tostring, pcall = string.format, math.max, type, tostring, pcall

local M = {}

M.KINDS = { connections = "connections", invitations = "invitations", sent = "sent_invitations",
            recommendations = "recommendations" }
M.ALL = { "connections", "invitations", "sent_invitations", "recommendations" }
M.CHOICES = { "connections", "invitations", "sent", "recommendations", "all" }

--- progress(args) -> the line's state, and the client's on_event that draws
-- it: requests so far, per kind (the store's sync reports nothing between
-- pages, the client reports every attempt).
function M.progress(args)
  local show = progress.shown(args.progress)
  local p = { kind = nil, requests = 0, shown = false }
  if not show then return p, nil end
  return p, function(ev)
    if ev.attempt == 1 then p.requests = p.requests + 1 end
    io.stderr:write(format("\rsyncing %s: %d requests", p.kind or "?", p.requests))
    p.shown = true
  end
end

local function end_line(p)
  if p.shown then io.stderr:write("\n") end
  p.shown, p.requests = false, 0
end

-- The stderr line of a sync that ended.
local function tell(s)
  local what = format("linkup: %s: run %d (%s%s): %d seen, %d added, %d removed, %g credits", s.kind, s.run, s.mode,
    s.resumed and ", resumed" or "", s.seen, s.added, s.removed, s.credits)
  if s.full_walk_credits then
    what = what .. format(" (a full walk: %g, saved %g)", s.full_walk_credits, max(s.full_walk_credits - s.credits, 0))
  end
  if s.note and s.complete then what = what .. "; " .. s.note end
  io.stderr:write(what, "\n")
end

-- How to finish what did not finish.
local function again(kind, run)
  io.stderr:write(format("linkup: the sync of %s did not finish; run the same command again to resume it%s\n", kind,
    run and format(" (run %d)", run) or ""))
end

-- The run a sync stopped by Ctrl-C left (the newest unfinished one of
-- this account and kind), or nil.
local function unfinished(store, account, kind)
  local ok, runs = pcall(store.runs, store, { account = account, kind = kind, limit = 1 })
  local r = ok and type(runs) == "table" and runs[1]
  if r and r.status ~= "done" then return math.floor(r.id) end
end

--- run(cmd, args, ctx) -> exit code
function M.run(_, args, ctx)
  if not args.db then errors.usage("sync needs --db FILE") end
  if args.known_run and not args.new_only then errors.usage("--known-run goes with --new-only") end
  local account = args.account_key
  if ctx.version == 1 and not account then
    errors.usage("API v1 needs --account-key NAME: the name this account's rows go under in the database "
      .. "(a login token is never stored)")
  end
  local kinds = args.kind == "all" and M.ALL or { M.KINDS[args.kind] }
  local store = db.open(args.db)
  local p = ctx.progress or {}
  local budget, spent = args.max_credits, 0
  for _, kind in ipairs(kinds) do
    p.kind = kind
    local opts = { account = account, new_only = args.new_only or nil, known_run = args.known_run,
                   page_size = args.page_size, concurrency = args.concurrency,
                   max_credits = budget and max(budget - spent, 0) or nil }
    local ok, s, err = pcall(store.sync, store, ctx.client, kind, opts)
    end_line(p)
    if not ok then
      if not linkup.is_interrupt(s) then error(s, 0) end -- a misuse (exit 2) or a bug
      local code = errors.report(s)
      local run = unfinished(store, account or ctx.account, kind)
      pcall(log.line, { kind = kind, run = run, complete = false, status = "interrupted", error = "interrupted" })
      again(kind, run)
      return code
    end
    if not s then
      local code = errors.report(err)
      local run = type(err) == "table" and err.run or nil
      log.line({ kind = kind, run = run, complete = false, status = "failed", error = tostring(err) })
      if not (type(err) == "table" and err.kind == "store") then again(kind, run) end
      return code
    end
    spent = spent + s.credits
    local record = { kind = s.kind, account = s.account, run = s.run, mode = s.mode, status = s.status,
                     complete = s.complete, resumed = s.resumed, seen = s.seen, added = s.added, removed = s.removed,
                     credits = s.credits, next_offset = s.next_offset, total = s.total, note = s.note,
                     full_walk_credits = s.full_walk_credits,
                     saved_credits = s.full_walk_credits and max(s.full_walk_credits - s.credits, 0) or nil }
    log.line(record)
    tell(s)
    if not s.complete then
      io.stderr:write(format("linkup: stopped by --max-credits at offset %d%s\n", s.next_offset,
        s.total and format(" of %d", s.total) or ""))
      again(kind, s.run)
      return errors.FAILED
    end
  end
  store:close()
  ctx.client:close()
  return errors.OK
end

return M
