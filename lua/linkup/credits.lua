-- linkup.credits: what a request costs, by the documented rules, and what a
-- walk will cost before it starts.
--
-- Rules (FACTS.md, NETWORK.md): v1 lists cost 1 per page asked (pagination
-- mode) or 1 per 10 results asked, rounded up (total-results mode); v2
-- connections, invitations and sent invitations 1 per 50 results asked; v2
-- recommendations 1 per 10; every action 1; the accounts 0. v2 reports what
-- it charged (metadata.credits_consumed), which wins when it is sane.

local check = require "linkup.check"

local ceil, floor, min, huge, type = math.ceil, math.floor, math.min, math.huge, type

local M = {}

local RULES = {
  v1_list = function(q)
    if q.start_page then return (q.end_page or q.start_page) - q.start_page + 1 end
    return ceil((q.total_results or 10) / 10)
  end,
  per50 = function(q) return ceil((q.count or 10) / 50) end,
  per10 = function(q) return ceil((q.count or 10) / 10) end,
  one = function() return 1 end,
  free = function() return 0 end,
}

--- price(rule, q) -> credits of one request with checked parameters q.
function M.price(rule, q)
  return RULES[rule](q)
end

--- reported(v, fallback) -> the credits a response reports, if sane (a
-- finite number >= 0), else fallback (the documented price). A negative or
-- NaN figure from a server must never lower what a budget has counted.
function M.reported(v, fallback)
  if type(v) == "number" and v == v and v >= 0 and v < huge then return v end
  return fallback
end

--- walk(e, opts) -> credits | nil, why
-- The price of walking with the endpoint definition e (linkup.protocol):
-- opts.limit (most items) and/or opts.total (items there are), page_size,
-- offset.
function M.walk(e, opts, level, where)
  level = level + 1
  local limit = check.int(level, where, "limit", opts.limit, 1)
  local total = check.int(level, where, "total", opts.total, 0)
  local offset = check.int(level, where, "offset", opts.offset, 0) or 0
  local page_size = check.int(level, where, "page_size", opts.page_size, 1)
  if total then
    local left = total - offset
    if left < 0 then left = 0 end
    limit = limit and min(limit, left) or left
  end
  if not e.list then check.misuse(level, "%s: only a list can be walked (each_page's kinds)", where) end
  if e.price == "free" then return 0 end
  if not limit then return nil, "a walk without limit or total has no known price" end
  if limit == 0 then return 0 end
  if e.page then -- v1: whole pages of a fixed size
    local first_page = floor(offset / e.page) + 1
    local last_page = floor((offset + limit - 1) / e.page) + 1
    return last_page - first_page + 1
  end
  if e.oneshot then return M.price(e.price, { count = limit }) end
  local size = page_size or e.default_page
  local full = floor(limit / size)
  local credits = full * M.price(e.price, { count = size })
  if limit % size > 0 then credits = credits + M.price(e.price, { count = limit % size }) end
  return credits
end

return M
