-- linkup.walk: lazy iterators over every page, and credit estimates.
--
--   for i, person in client:each_connection{ limit = 500 } do ... end
--   for i, rec in client:each_recommendation{} do ... end
--   for data, meta in client:each_page("connections", { page_size = 200 }) do ... end
--
-- One walk is a small state machine (position, pages fetched, credits spent)
-- that fetches a page only when the loop has used up the one before. Only
-- the current page is held, so memory stays flat however long the loop.
-- Every step is plain Lua down to the transport, so a yielding transport can
-- drive a whole walk.

local floor, min = math.floor, math.min
local type, pairs, setmetatable, error = type, pairs, setmetatable, error

return function(M)

local Client, state, prepare, execute, price = M.Client, M._state, M._prepare, M._execute, M._price
local execute_many = M._execute_many
local misuse, check_int, V1_PAGE = M._misuse, M._check_int, M.V1_PAGE_SIZE

-- Default v2 page size: LinkedIn serves connections 100 at a time upstream
-- and the API charges per 50, so 100 wastes neither requests nor credits.
local V2_PAGE = 100
local V2_MAX_PAGE = 1000

local WALK_OPTS = {
  limit = true, page_size = true, offset = true, start_page = true, max_credits = true,
  account_id = true, login_token = true, country = true, concurrency = true,
}

-- Checks a walk's options and returns its state. Raises on misuse.
local function new_walk(self, kind, opts, where, level)
  level = level + 1
  local p = state(self, level)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then misuse(level, "%s: options must be a table, got %s", where, type(opts)) end
  for k in pairs(opts) do
    if not WALK_OPTS[k] then misuse(level, "%s: unknown option %q", where, tostring(k)) end
  end
  local w = {
    self = self, p = p, kind = kind, where = where, v2 = p.version == 2,
    limit = check_int(level, where, "limit", opts.limit, 1),
    max_credits = opts.max_credits,
    yielded = 0, spent = 0, pages = 0, done = false,
    call = {},
  }
  if w.max_credits ~= nil and (type(w.max_credits) ~= "number" or w.max_credits < 0) then
    misuse(level, "%s: max_credits must be a number >= 0", where)
  end
  w.concurrency = check_int(level, where, "concurrency", opts.concurrency, 1) or 1
  if w.concurrency > 64 then misuse(level, "%s: concurrency must be at most 64", where) end
  w.ahead = {}   -- pages fetched ahead (concurrency > 1), in order
  local offset = check_int(level, where, "offset", opts.offset, 0)
  local start_page = check_int(level, where, "start_page", opts.start_page, 1)
  if offset and start_page then misuse(level, "%s: give offset or start_page, not both", where) end
  if w.v2 then
    if start_page then misuse(level, "%s: v2 walks by offset: start_page is v1's", where) end
    if opts.login_token or opts.country then misuse(level, "%s: login_token and country are v1 parameters", where) end
    w.call.account_id = opts.account_id
    w.oneshot = kind == "recommendations"
    if w.oneshot and offset and offset > 0 then
      misuse(level, "%s: v2 recommendations are one-shot: no offset", where)
    end
    w.page_size = check_int(level, where, "page_size", opts.page_size, 1) or V2_PAGE
    if w.page_size > V2_MAX_PAGE then misuse(level, "%s: page_size must be at most %d", where, V2_MAX_PAGE) end
    w.offset = offset or 0
  else
    if opts.account_id then misuse(level, "%s: account_id is a v2 parameter", where) end
    if opts.page_size and opts.page_size ~= V1_PAGE[kind] then
      misuse(level, "%s: v1 pages have a fixed size (%d for %s)", where, V1_PAGE[kind], kind)
    end
    w.call.login_token, w.call.country = opts.login_token, opts.country
    w.size = V1_PAGE[kind]
    -- v1 addresses pages; an offset starts at the page that holds it and
    -- skips what comes before it on that page.
    if offset then
      w.page = floor(offset / w.size) + 1
      w.skip = offset % w.size
    else
      w.page = start_page or 1
      w.skip = 0
    end
  end
  -- Check the per-call parameters once now (a bad country must raise here,
  -- not at the first page), by preparing the first request.
  prepare(p, kind, w.call, where, level)
  return w
end

local function resume_point(w)
  if w.v2 then return { offset = w.offset } end
  return { start_page = w.page, offset = (w.page - 1) * w.size + w.skip }
end

-- Raises the structured error for a failure inside a walk: the items already
-- yielded stay valid, and err.resume says where to start again.
local function raise(w, err)
  w.done = true
  err.resume = resume_point(w)
  error(err, 0)
end

-- The parameters of the page at the walk's position (v2: offset, count cut
-- to the limit; v1: one page), or nil when the limit is reached.
local function page_params(w, offset, page, planned)
  local params = {}
  for k, v in pairs(w.call) do params[k] = v end
  local want = w.limit and (w.limit - w.yielded - planned) or nil
  if want and want <= 0 then return nil end
  if w.v2 then
    local count = w.page_size
    if want and want < count then count = want end  -- never ask for more than will be yielded
    if w.total and not w.oneshot and w.total - offset < count then count = w.total - offset end
    params.count = count
    if not w.oneshot then params.offset = offset end
    return params, count
  end
  params.start_page, params.end_page = page, page
  return params, w.size
end

-- Plans the pages after the current position that the walk may fetch at
-- once: only once the total is known (so no page past the end is paid for),
-- never past the limit or the credit budget.
local function plan_wave(w)
  local wave, offset, page, planned, spent = {}, w.offset, w.page, 0, w.spent
  for _ = 1, w.concurrency do
    if w.v2 and offset >= w.total then break end
    if not w.v2 and ((w.total and (page - 1) * w.size >= w.total)
                     or (w.total_pages and page > w.total_pages)) then break end
    local params, count = page_params(w, offset, page, planned)
    if not params then break end
    local plan = prepare(w.p, w.kind, params, w.where, 2)
    if w.max_credits and spent + plan.credits > w.max_credits then break end
    spent = spent + plan.credits
    wave[#wave + 1] = { plan = plan, offset = offset, page = page }
    planned = planned + count
    if w.v2 then offset = offset + count else page = page + 1 end
  end
  return wave
end

-- Takes the walk past a fetched page: positions, stop conditions, guards.
local function advance(w, plan, data, meta)
  local kind = w.kind
  w.pages = w.pages + 1
  w.spent = w.spent + (meta.credits or 0)
  local items = data[kind]
  local n = #items
  -- A server that ignores the offset or page and answers the same page again
  -- must not make the walk endless or yield duplicates.
  local head = n > 0 and items[1].profile_url or nil
  if head and head == w.last_head then
    raise(w, M._error{ kind = "decode", status = meta.status, retryable = false, attempts = meta.attempts,
      message = "the server answered the same page twice", endpoint = plan.path })
  end
  w.last_head = head
  if type(data.total_available_results) == "number" then w.total = data.total_available_results end
  if w.v2 then
    meta.first = w.offset + 1
    meta.offset = w.offset
    local pg = data.pagination
    w.offset = w.offset + n
    if w.oneshot or n == 0 or (pg and pg.has_more == false) or (w.total and w.offset >= w.total) then
      w.done = true
    end
  else
    meta.page = w.page
    meta.first = (w.page - 1) * w.size + 1
    local pg = data.pagination
    if pg and type(pg.total_pages) == "number" then w.total_pages = pg.total_pages end
    if w.skip > 0 then
      -- drop the items before the requested offset
      local kept = {}
      for i = w.skip + 1, n do kept[#kept + 1] = items[i] end
      data[kind] = kept
      meta.first = meta.first + w.skip
      w.skip = 0
      items = kept
    end
    w.page = w.page + 1
    if n < w.size or (w.total and (w.page - 1) * w.size >= w.total)
       or (w.total_pages and w.page > w.total_pages) then
      w.done = true
    end
  end
  -- A page walk hands out whole pages: trim the last one to the limit.
  local left = w.limit and (w.limit - w.yielded) or nil
  if left and #items > left then
    for i = #items, left + 1, -1 do items[i] = nil end
  end
  meta.credits_spent = w.spent
  return data, meta
end

-- Fetches the next page. Returns data, meta (meta.first: the absolute
-- 1-based position of data[kind][1]), or nil at the end of the walk.
local function next_page(w)
  if w.done then return nil end
  -- A page fetched ahead is used only if it starts where the walk now is
  -- (a short page before it would shift every later offset).
  local ahead = table.remove(w.ahead, 1)
  if ahead and (w.v2 and ahead.offset ~= w.offset or not w.v2 and ahead.page ~= w.page) then
    w.ahead, ahead = {}, nil
  end
  if not ahead and w.concurrency > 1 and not w.oneshot and (w.total or w.total_pages) then
    local wave = plan_wave(w)
    if #wave == 0 and w.limit and w.limit - w.yielded <= 0 then w.done = true return nil end
    if #wave > 1 then
      local plans = {}
      for i, e in ipairs(wave) do plans[i] = e.plan end
      local results = execute_many(w.self, plans, w.concurrency)
      for i, e in ipairs(wave) do e.data, e.meta = results[i][1], results[i][2] end
      w.ahead = wave
      ahead = table.remove(w.ahead, 1)
    end
  end
  if ahead then
    if not ahead.data then raise(w, ahead.meta) end
    return advance(w, ahead.plan, ahead.data, ahead.meta)
  end
  local params = page_params(w, w.offset, w.page, 0)
  if not params then w.done = true return nil end
  local plan = prepare(w.p, w.kind, params, w.where, 2)
  if w.max_credits and w.spent + plan.credits > w.max_credits then
    w.done = true
    return nil
  end
  local data, meta = execute(w.self, plan)
  if not data then raise(w, meta) end
  return advance(w, plan, data, meta)
end

-- The closing value (Lua 5.4 generic for): a `break` drops the page and
-- ends the walk. Ignored by 5.1/LuaJIT, where the walk is freed by GC.
local Closer = { __close = function(c) c.w.done, c.w.closed, c.w.ahead = true, true, {} end }

local function each_item(self, kind, opts, where)
  local w = new_walk(self, kind, opts, where, 3)
  local items, idx, n, first = nil, 0, 0, 0
  local function step()
    if w.closed then items = nil return nil end
    while true do
      if items and idx < n then
        if w.limit and w.yielded >= w.limit then
          w.done, items = true, nil
          return nil
        end
        idx = idx + 1
        w.yielded = w.yielded + 1
        return first + idx - 1, items[idx]
      end
      items = nil
      local data, meta = next_page(w)
      if not data then return nil end
      items, idx, n, first = data[kind], 0, #data[kind], meta.first
    end
  end
  return step, nil, nil, setmetatable({ w = w }, Closer)
end

--- client:each_connection(opts) -> iterator of i, person
function Client.each_connection(self, opts)
  return each_item(self, "connections", opts, "each_connection")
end

--- client:each_recommendation(opts) -> iterator of i, recommendation
function Client.each_recommendation(self, opts)
  return each_item(self, "recommendations", opts, "each_recommendation")
end

--- client:each_page(kind, opts) -> iterator of data, meta (one per request)
-- meta adds first (position of the page's first item), offset (v2) or page
-- (v1), and credits_spent (the walk's total so far).
function Client.each_page(self, kind, opts)
  if kind ~= "connections" and kind ~= "recommendations" then
    misuse(2, "each_page: kind must be \"connections\" or \"recommendations\"")
  end
  local w = new_walk(self, kind, opts, "each_page", 2)
  local function step()
    local data, meta = next_page(w)
    if data then w.yielded = w.yielded + #data[kind] end
    return data, meta
  end
  return step, nil, nil, setmetatable({ w = w }, Closer)
end

---------------------------------------------------------------------------
-- credit estimates
---------------------------------------------------------------------------

--- linkup.estimate_credits(spec) -> credits | nil, why
-- One call: { version, kind, total_results | start_page [, end_page] | count }.
-- A walk:   { version, kind, walk = true, limit = n [, page_size, offset] }
--           (or total = n, the number of items there are, instead of limit).
function M.estimate_credits(spec)
  if type(spec) ~= "table" then misuse(2, "estimate_credits: spec must be a table") end
  local version, kind = spec.version or 2, spec.kind or "connections"
  if version ~= 1 and version ~= 2 then misuse(2, "estimate_credits: version must be 1 or 2") end
  if kind ~= "connections" and kind ~= "recommendations" then
    misuse(2, "estimate_credits: kind must be \"connections\" or \"recommendations\"")
  end
  local W = "estimate_credits"
  if not spec.walk then
    return price(version, kind, {
      total_results = check_int(2, W, "total_results", spec.total_results, 1),
      start_page = check_int(2, W, "start_page", spec.start_page, 1),
      end_page = check_int(2, W, "end_page", spec.end_page, 1),
      count = check_int(2, W, "count", spec.count, 1),
    })
  end
  local limit = check_int(2, W, "limit", spec.limit, 1)
  local total = check_int(2, W, "total", spec.total, 0)
  local offset = check_int(2, W, "offset", spec.offset, 0) or 0
  if total then
    local left = total - offset
    if left < 0 then left = 0 end
    limit = limit and min(limit, left) or left
  end
  if not limit then return nil, "a walk without limit or total has no known price" end
  if limit == 0 then return 0 end
  if version == 1 then
    local size = V1_PAGE[kind]
    local first_page = floor(offset / size) + 1
    local last_page = floor((offset + limit - 1) / size) + 1
    return last_page - first_page + 1
  end
  if kind == "recommendations" then return price(2, kind, { count = limit }) end
  local size = check_int(2, W, "page_size", spec.page_size, 1) or V2_PAGE
  local full = floor(limit / size)
  local credits = full * price(2, kind, { count = size })
  if limit % size > 0 then credits = credits + price(2, kind, { count = limit % size }) end
  return credits
end

--- client:estimate_credits(kind, opts) -> credits | nil, why
-- The price of a walk with these options on this client's version.
function Client.estimate_credits(self, kind, opts)
  local p = state(self, 2)
  opts = opts or {}
  return M.estimate_credits{ version = p.version, kind = kind, walk = true, limit = opts.limit,
    total = opts.total, page_size = opts.page_size, offset = opts.offset }
end

end
