-- linkup.walk: lazy iterators over every item of a list, page after page.
--
--   for i, person in client:each_connection{ limit = 500 } do ... end
--   for data, meta in client:each_page("invitations", { page_size = 50 }) do ... end
--
-- A walk is a position (the next item it needs), the pages it has asked
-- for (a run of linkup.engine: up to `concurrency` in flight, a finished
-- one's place taken at once), and what it has spent. Only pages not yet
-- used are held, so memory stays flat however long the loop.
--
-- The server is not trusted to be consistent:
--   - v2 (offset lists): the next position is pagination.next_offset when
--     it is sane, else offset + items. A page fetched ahead that does not
--     start there is used for what it covers; a gap before it is fetched
--     with a small request. Once pages come back short, later pages are
--     planned to overlap by the shortfall instead of leaving gaps.
--   - total_available_results is a hint for planning (no page is asked for
--     past it, a page beyond it goes alone); has_more = false or an empty
--     page ends a v2 walk. (Accounts have no has_more: their total ends it.)
--   - v1 (page lists): a page longer than the documented size sets the size
--     the positions are counted in.
--   - every item has a fingerprint of its whole content: an item already
--     yielded in the recent window is never yielded again, and a page with
--     nothing new ends the walk with a decode error instead of looping.
--   - credits: each request's price is reserved before it is sent and what
--     it really cost is counted when it ends, pages dropped included, so a
--     walk never spends past max_credits and credits_spent is what was spent.

local core = require "linkup.core"
local check = require "linkup.check"
local protocol = require "linkup.protocol"
local engine = require "linkup.engine"
local private = require "linkup.private"
local Error = require "linkup.error"

local type, pairs, setmetatable, error = type, pairs, setmetatable, error
local floor, max, min, huge = math.floor, math.max, math.min, math.huge
local remove, insert = table.remove, table.insert

local M = {}

-- How many recent items' fingerprints a walk remembers: enough to catch a
-- server that repeats a page or overlaps pages, bounded so that memory
-- stays flat on a walk of millions.
local WINDOW = 4096

local WALK_OPTS = {
  limit = true, page_size = true, offset = true, start_page = true, max_credits = true, concurrency = true,
}

-- The kinds a walk takes, and the endpoint each walks.
M.KINDS = { connections = true, recommendations = true, invitations = true, sent_invitations = true,
            accounts = true }

local function is_paged(e) return e.page ~= nil end

-- Checks a walk's options and returns its state. Raises on misuse.
local function new_walk(client, kind, opts, where, level)
  level = level + 1
  local p = private.get(client, level)
  local e = protocol.endpoint(kind, p.version, level, where)
  local allowed = {}
  for k in pairs(WALK_OPTS) do allowed[k] = true end
  if not e.accounts then
    for k, kind_ in pairs(e.params) do
      if kind_ == "text" then allowed[k] = true end -- invitation_type
    end
    if p.version == 1 then allowed.login_token, allowed.country = true, true else allowed.account_id = true end
  end
  opts = check.table_of(level, where, "options", opts, allowed)
  local w = {
    p = p, kind = kind, e = e, where = where, list = e.list,
    limit = check.int(level, where, "limit", opts.limit, 1),
    max_credits = check.number(level, where, "max_credits", opts.max_credits, 0, huge),
    concurrency = check.int(level, where, "concurrency", opts.concurrency, 1, 64) or 1,
    yielded = 0, spent = 0, reserved = 0, done = false,
    jobs = {},                       -- pages asked for and not yet used, in position order
    call = {},                       -- the per-call parameters kept on every page
    seen = core.seen(WINDOW),        -- fingerprints of recent items (keep_new)
    shortfall = 0,                   -- v2: the most a page came back short
  }
  for k in pairs(opts) do
    if not WALK_OPTS[k] then w.call[k] = opts[k] end
  end
  local offset = check.int(level, where, "offset", opts.offset, 0)
  local start_page = check.int(level, where, "start_page", opts.start_page, 1)
  if offset and start_page then check.misuse(level, "%s: give offset or start_page, not both", where) end
  if is_paged(e) then
    if opts.page_size and opts.page_size ~= e.page then
      check.misuse(level, "%s: v1 pages have a fixed size (%d for %s)", where, e.page, kind)
    end
    w.size = e.page
    -- v1 addresses pages; an offset starts at the page that holds it and
    -- skips what comes before it on that page
    if offset then
      w.page, w.skip = floor(offset / w.size) + 1, offset % w.size
    else
      w.page, w.skip = start_page or 1, 0
    end
    w.plan_page = w.page
  else
    if start_page then check.misuse(level, "%s: v2 walks by offset: start_page is v1's", where) end
    w.oneshot = e.oneshot
    if w.oneshot and offset and offset > 0 then
      check.misuse(level, "%s: v2 %s are one-shot: no offset", where, kind)
    end
    local most = e.accounts and 500 or protocol.V2_MAX_COUNT
    w.page_size = check.int(level, where, "page_size", opts.page_size, 1, most) or e.default_page
    if w.oneshot and w.limit then w.page_size = min(w.limit, most) end
    w.cursor = offset or 0
    w.plan_at = w.cursor
  end
  -- Check the per-call parameters once now (a bad country must raise here,
  -- not at the first page), by preparing the first request.
  protocol.prepare(p, kind, M.params(w, is_paged(e) and 1 or 0, 1), where, level)
  return w
end

--- params(w, offset_or_page, count) -> the call parameters of one request.
function M.params(w, at, count)
  local t = {}
  for k, v in pairs(w.call) do t[k] = v end
  if is_paged(w.e) then
    t.start_page, t.end_page = at, at
  elseif w.e.accounts then
    t.limit, t.offset = count, at
  else
    t.count = count
    if not w.oneshot then t.offset = at end
  end
  return t
end

local function resume_point(w)
  if is_paged(w.e) then return { start_page = w.page, offset = (w.page - 1) * w.size + w.skip } end
  return { offset = w.cursor }
end

-- Ends the walk with a structured error: the items already yielded stay
-- valid, and err.resume says where to start again.
local function raise(w, err)
  w.done = true
  if w.run then w.run:close() end
  err.resume = resume_point(w)
  error(err, 0)
end

local function lie(w, job, message)
  raise(w, Error.new({ kind = "decode", status = job.meta and job.meta.status, retryable = false,
    attempts = job.meta and job.meta.attempts, message = message, endpoint = job.plan.path }))
end

---------------------------------------------------------------------------
-- planning: what to ask for next (the run's feed)
---------------------------------------------------------------------------

-- A job of a walk has ended: its reservation gives way to what it cost.
-- (One function for every job, not a closure per page: LuaJIT cannot
-- compile the creation of a closure, and a walk makes a job per page.)
local function settle(job)
  local w = job.walk
  w.reserved = w.reserved - job.plan.credits
  if job.data then w.spent = w.spent + (job.meta.credits or 0) end
end

-- Turns a plan into a job whose credits are reserved now and counted when
-- it ends; nil when the budget cannot take it.
local function budgeted_job(w, plan)
  if w.max_credits and w.spent + w.reserved + plan.credits > w.max_credits then
    return nil
  end
  w.reserved = w.reserved + plan.credits
  local job = engine.job(w.p, plan)
  job.walk, job.on_done = w, settle
  return job
end

-- v2: how many more positions the loop may still need.
local function need(w)
  if not w.limit then return huge end
  return w.limit - w.yielded
end

-- v2: a request at offset `at` for up to `count` items; nil if the budget
-- or the limit says no.
local function offset_job(w, at, count)
  count = min(count, w.page_size)
  if count < 1 then return nil end
  local plan = protocol.prepare(w.p, w.kind, M.params(w, at, count), w.where, 3)
  local job = budgeted_job(w, plan)
  if job then job.offset, job.count = at, count end
  return job
end

-- The feed of a v2 walk: the next page ahead, within the limit, the budget
-- and the total (a hint), or nil.
local function feed_offset(w)
  if w.done or w.oneshot and #w.jobs > 0 then return nil end
  local at = w.plan_at
  -- the first page goes alone: it tells the total, and how short pages come
  if #w.jobs > 0 and not w.total then return nil end
  if w.total and at >= w.total and #w.jobs > 0 then return nil end -- past the hint: one at a time
  local room = need(w) - (at - w.cursor) + w.shortfall
  if room < 1 then return nil end
  local count = min(w.page_size, room)
  if w.total and at < w.total then count = min(count, w.total - at + w.shortfall) end
  local job = offset_job(w, at, count)
  if not job then return nil end
  w.plan_at = at + max(1, count - w.shortfall)
  w.jobs[#w.jobs + 1] = job
  return job
end

-- The feed of a v1 walk: the next page within the known total and budget.
local function feed_paged(w)
  if w.done then return nil end
  local page = w.plan_page
  if #w.jobs > 0 and not (w.total or w.total_pages) then return nil end
  if w.total and (page - 1) * w.size >= w.total then return nil end
  if w.total_pages and page > w.total_pages then return nil end
  if w.limit and (page - 1) * w.size >= (w.page - 1) * w.size + w.skip + need(w) then return nil end
  local plan = protocol.prepare(w.p, w.kind, M.params(w, page, 1), w.where, 3)
  local job = budgeted_job(w, plan)
  if not job then return nil end
  job.page = page
  w.plan_page = page + 1
  w.jobs[#w.jobs + 1] = job
  return job
end

---------------------------------------------------------------------------
-- using a page
---------------------------------------------------------------------------

-- Keeps the items of a page that are new: positions not yet passed, content
-- not seen among the walk's recent items (a "linkup.seen" window in C,
-- csrc/lkhash.c). Returns the kept items (the page's own array when all are
-- kept: the common case copies nothing), their positions when some were
-- dropped, and how many were repeats.
local function keep_new(w, items, first_pos, from)
  return w.seen:keep(items, first_pos, from)
end

-- The page the walk needs next (v2): a job that starts at or before the
-- cursor; a gap before the next one is filled with a request of its own.
local function head_offset(w)
  local jobs = w.jobs
  -- drop jobs that end before the cursor (their credits still count)
  while jobs[1] and jobs[1].offset + jobs[1].count <= w.cursor and jobs[1].offset < w.cursor do
    remove(jobs, 1)
  end
  local head = jobs[1]
  if head and head.offset <= w.cursor then return head end
  -- a gap (or nothing planned): ask for the cursor's items now
  local count = head and (head.offset - w.cursor + w.shortfall) or w.page_size
  if w.oneshot then count = w.page_size end
  if w.total and w.cursor < w.total then count = min(count, max(1, w.total - w.cursor + w.shortfall)) end
  count = min(count, need(w) + w.shortfall)
  local job = offset_job(w, w.cursor, count)
  if not job then return nil end
  insert(jobs, 1, job)
  if not head then w.plan_at = w.cursor + max(1, job.count - w.shortfall) end
  w.run:start(job)
  return job
end

-- meta.first and meta.positions of a page's kept items: positions only
-- when they are not consecutive.
local function positions(pos, kept, first)
  if not pos or #kept == 0 then return (pos and pos[1]) or first, nil end
  if pos[#kept] - pos[1] + 1 ~= #kept then return pos[1], pos end
  return pos[1], nil
end

local function next_offset_page(w)
  local job = head_offset(w)
  if not job then w.done = true return nil end
  w.run:wait(job)
  remove(w.jobs, 1)
  if not job.data then raise(w, job.meta) end
  local data, meta = job.data, job.meta
  local items = data[w.list]
  local n = #items
  local pg = type(data.pagination) == "table" and data.pagination or {}
  local total = data.total_available_results or data.total
  if total then w.total = total end
  -- where the next page starts: the server's next_offset when sane
  local after = job.offset + n
  local nx = pg.next_offset
  if check.isint(nx) and nx > job.offset and nx <= job.offset + job.count then after = max(after, nx) end
  if n < job.count and after == job.offset + n and pg.has_more ~= false then
    -- a short page whose missing items come later: plan overlapping pages
    if job.count - n > w.shortfall then w.shortfall = min(job.count - n, floor(w.page_size / 2)) end
  end
  local kept, pos, repeats = keep_new(w, items, job.offset + 1, w.cursor + 1)
  if n > 0 and #kept == 0 and repeats > 0 then
    lie(w, job, "the server answered the same page again (items it had already sent)")
  end
  local old = w.cursor
  if after > w.cursor then w.cursor = after end
  if w.oneshot or n == 0 or pg.has_more == false then w.done = true end
  if w.e.accounts and pg.has_more == nil and total and w.cursor >= total then w.done = true end
  if not w.done and w.cursor == old then
    lie(w, job, "the server's page did not move the walk forward")
  end
  data[w.list] = kept
  meta.offset = job.offset
  meta.first, meta.positions = positions(pos, kept, job.offset + 1)
  return data, meta
end

local function next_paged(w)
  local jobs = w.jobs
  while jobs[1] and jobs[1].page < w.page do remove(jobs, 1) end
  local job = jobs[1]
  if not job or job.page ~= w.page then
    w.plan_page = w.page
    local plan = protocol.prepare(w.p, w.kind, M.params(w, w.page, 1), w.where, 3)
    job = budgeted_job(w, plan)
    if not job then w.done = true return nil end
    job.page = w.page
    insert(jobs, 1, job)
    w.plan_page = w.page + 1
    w.run:start(job)
  end
  w.run:wait(job)
  remove(jobs, 1)
  if not job.data then raise(w, job.meta) end
  local data, meta = job.data, job.meta
  local items = data[w.list]
  local n = #items
  if n > w.size then w.size = n end -- a server with longer pages: count positions in them
  local total = data.total_available_results
  if total then w.total = total end
  local pg = type(data.pagination) == "table" and data.pagination or {}
  if check.isint(pg.total_pages) then w.total_pages = pg.total_pages end
  local first = (w.page - 1) * w.size + 1
  local kept, pos, repeats = keep_new(w, items, first, first + w.skip)
  if n > 0 and #kept == 0 and repeats > 0 then
    lie(w, job, "the server answered the same page again (items it had already sent)")
  end
  meta.page = w.page
  meta.first, meta.positions = positions(pos, kept, first)
  w.page, w.skip = w.page + 1, 0
  if n < w.size or (w.total and (w.page - 1) * w.size >= w.total)
     or (w.total_pages and w.page > w.total_pages) then
    w.done = true
  end
  data[w.list] = kept
  return data, meta
end

-- The walk is over: pages still in flight (fetched ahead, past an end the
-- total did not foretell) finish, so that their credits are counted.
local function finish(w)
  w.done = true
  if w.run then
    w.run:drain()
    w.run:close()
  end
end

-- Fetches the next page. Returns data, meta (meta.first: the absolute
-- 1-based position of data[list][1]; meta.positions when they are not
-- consecutive; meta.last: the list ended with this page, as opposed to a
-- walk cut short by its budget or limit), or nil at the end of the walk.
local function next_page(w)
  if w.done then return nil end
  if need(w) <= 0 then finish(w) return nil end
  if not w.run then
    w.run = engine.run(w.p, w.concurrency, function()
      if is_paged(w.e) then return feed_paged(w) end
      return feed_offset(w)
    end)
  end
  local data, meta
  if is_paged(w.e) then data, meta = next_paged(w) else data, meta = next_offset_page(w) end
  if not data then
    finish(w)
    return nil
  end
  -- a page walk hands out whole pages: trim the last one to the limit
  local items, left = data[w.list], need(w)
  if #items > left then
    for i = #items, left + 1, -1 do items[i] = nil end
    if meta.positions then for i = #meta.positions, left + 1, -1 do meta.positions[i] = nil end end
  end
  -- w.done here: the list's own end (a budget ends a walk before a page)
  meta.last = w.done == true
  if w.done then finish(w) end
  meta.credits_spent = w.spent
  return data, meta
end

-- The closing value (Lua 5.4 generic for): a `break` ends the walk at once
-- and cancels what is in flight. Ignored by 5.1/LuaJIT, where what is in
-- flight is reclaimed when the walk is collected.
local Closer = { __close = function(c)
  local w = c.w
  w.done, w.closed = true, true
  if w.run then w.run:close() end
end }

--- walk.items(client, kind, opts, where) -> iterator of i, item
function M.items(client, kind, opts, where)
  local w = new_walk(client, kind, opts, where, 3)
  local items, pos, idx, n, first = nil, nil, 0, 0, 0
  -- The page is used up: fetch pages until one has items (the loop lives
  -- here, off the hot path: LuaJIT cannot trace a user's loop through an
  -- iterator that loops itself, and would interpret the whole loop).
  local function refill()
    while true do
      items = nil
      local data, meta = next_page(w)
      if not data then return nil end
      items, pos, idx, n, first = data[w.list], meta.positions, 1, #data[w.list], meta.first
      if n > 0 then
        w.yielded = w.yielded + 1
        return pos and pos[1] or first, items[1]
      end
    end
  end
  local function step()
    if idx < n and not w.closed then
      idx = idx + 1
      w.yielded = w.yielded + 1
      return pos and pos[idx] or (first + idx - 1), items[idx]
    end
    if w.closed then return nil end
    return refill()
  end
  return step, nil, nil, setmetatable({ w = w }, Closer)
end

--- walk.pages(client, kind, opts) -> iterator of data, meta (one per request)
function M.pages(client, kind, opts)
  if not M.KINDS[kind] then
    check.misuse(3, "each_page: kind must be one of connections, recommendations, invitations, "
      .. "sent_invitations, accounts")
  end
  local w = new_walk(client, kind, opts, "each_page", 3)
  local function step()
    if w.closed then return nil end
    local data, meta = next_page(w)
    if data then w.yielded = w.yielded + #data[w.list] end
    return data, meta
  end
  return step, nil, nil, setmetatable({ w = w }, Closer)
end

--- walk.estimate(client, kind, opts) -> credits | nil, why
function M.estimate(client, kind, opts, level)
  local p = private.get(client, level + 1)
  local e = protocol.endpoint(kind, p.version, level + 1, "estimate_credits")
  local n, why = require("linkup.credits").walk(e, opts or {}, level + 1, "estimate_credits")
  return n, why -- not a tail call: misuse counts levels
end

return M
