-- linkup.protocol: what each call sends and what its answer must look like,
-- per API version.
--
-- ENDPOINTS[name][version] describes one call: its path (v1, accounts) or
-- action (v2 /v2/network), its parameters, its price rule, and for lists
-- the key of the list in `data`. prepare() checks a call's parameters and
-- builds the request plan; classify() turns a transport's answer into data,
-- meta or an error's fields. Neither sends anything or retries: that is
-- linkup.engine's job.

local core = require "linkup.core"
local check = require "linkup.check"
local credits = require "linkup.credits"

local type, pairs, ipairs, tostring, next = type, pairs, ipairs, tostring, next
local floor, format = math.floor, string.format

local M = {}

-- Parameter kinds: how a parameter is checked (see param()).
local V1_LIST = { total_results = "pos", start_page = "pos", end_page = "pos" }
local V2_LIST = { count = "count", offset = "offset" }

local function merge(a, b)
  local t = {}
  for k, v in pairs(a) do t[k] = v end
  for k, v in pairs(b or {}) do t[k] = v end
  return t
end

-- v2 list pages: LinkedIn serves 100 at a time upstream and the API charges
-- per 50, so 100 wastes neither requests nor credits.
local V2_PAGE = 100

M.ENDPOINTS = {
  connections = {
    [1] = { path = "/v1/network/connections", list = "connections", page = 10, price = "v1_list", params = V1_LIST },
    [2] = { action = "list_connections", list = "connections", price = "per50", params = V2_LIST,
            default_page = V2_PAGE },
  },
  recommendations = {
    [1] = { path = "/v1/network/recommendations", list = "recommendations", page = 25, price = "v1_list",
            params = V1_LIST },
    [2] = { action = "recommendations", list = "recommendations", price = "per10", oneshot = true,
            params = { count = "count" }, default_page = V2_PAGE },
  },
  invitations = {
    [1] = { path = "/v1/network/invitations", list = "invitations", page = 10, price = "v1_list",
            params = merge(V1_LIST, { invitation_type = "text" }) },
    [2] = { action = "list_invitations", list = "invitations", price = "per50",
            params = merge(V2_LIST, { invitation_type = "text" }), default_page = V2_PAGE },
  },
  sent_invitations = {
    [1] = { path = "/v1/network/sent-invitations", list = "invitations", page = 10, price = "v1_list",
            params = merge(V1_LIST, { invitation_type = "text" }) },
    [2] = { action = "list_sent", list = "invitations", price = "per50",
            params = merge(V2_LIST, { invitation_type = "text" }), default_page = V2_PAGE },
  },
  invite = {
    [2] = { action = "invite", write = true, price = "one",
            params = { profile_url = "text", identifier = "text", message = "note" } },
  },
  accept = {
    [1] = { path = "/v1/network/accept-invitation", write = true, price = "one",
            params = { entity_urn = "req", shared_secret = "req" } },
    [2] = { action = "accept", write = true, price = "one", params = { entity_urn = "req", shared_secret = "req" } },
  },
  decline = {
    [2] = { action = "decline", write = true, price = "one", params = { entity_urn = "req", shared_secret = "req" } },
  },
  withdraw = {
    [1] = { path = "/v1/network/withdraw-invitation", write = true, price = "one", params = { invitation_id = "id" } },
    [2] = { action = "withdraw", write = true, price = "one", params = { invitation_id = "id" } },
  },
  check_invitation = {
    -- v1 names the person linkedin_url; linkup takes profile_url on both
    [1] = { path = "/v1/network/invitation-status", price = "one", params = { profile_url = "req" },
            rename = { profile_url = "linkedin_url" } },
    [2] = { action = "check_invitation", price = "one", params = { profile_url = "req" } },
  },
  accounts = {
    [2] = { method = "GET", path = "/v2/accounts", list = "items", price = "free", accounts = true,
            params = { limit = "limit", offset = "offset" }, default_page = 100 },
  },
  account = {
    [2] = { method = "GET", path = "/v2/accounts/", price = "free", accounts = true, params = {} },
  },
}

-- The per-call context parameters every call of a version takes.
local CONTEXT = { [1] = { login_token = true, country = true }, [2] = { account_id = true } }

-- The most results one v2 list request may ask for. The API states no
-- maximum; past this, a page would take the server many upstream calls.
M.V2_MAX_COUNT = 1000

local function digits_id(level, where, v)
  if type(v) == "string" then
    if not v:find("^%d+$") or #v > 40 then
      check.misuse(level + 1, "%s: invitation_id must be a string of digits", where)
    end
    return v
  end
  if check.isint(v) and v >= 0 and v < 2 ^ 53 then return format("%.0f", v) end
  check.misuse(level + 1, "%s: invitation_id must be a string of digits or a whole number below 2^53 "
    .. "(a larger number has already lost its last digits)", where)
end

-- Checks one parameter by its kind; returns the value to send. (No tail
-- calls: each check counts stack levels to point at the user's line.)
local function param(level, where, kind, name, v)
  level = level + 1
  local r
  if kind == "pos" then r = check.int(level, where, name, v, 1)
  elseif kind == "count" then r = check.int(level, where, name, v, 1, M.V2_MAX_COUNT)
  elseif kind == "offset" then r = check.int(level, where, name, v, 0)
  elseif kind == "limit" then r = check.int(level, where, name, v, 1, 500)
  elseif kind == "text" or kind == "req" then r = check.text(level, where, name, v)
  elseif kind == "note" then r = check.message(level, where, name, v, 300)
  elseif kind == "id" then r = v ~= nil and digits_id(level, where, v) or nil
  else error("linkup: unknown parameter kind " .. tostring(kind)) end
  return r
end

--- endpoint(name, version, level, where) -> the definition, or raises when
-- the version has no such call.
function M.endpoint(name, version, level, where)
  local e = M.ENDPOINTS[name]
  e = e and e[version]
  if not e then
    check.misuse(level + 1, "%s: there is no %s on API v%d%s", where, name, version,
      version == 1 and " (it is a v2 call)" or "")
  end
  return e
end

--- prepare(p, name, params, where, level) -> plan. Checks the call's
-- parameters (raising at the user's line on misuse) and builds its request.
-- p is the client's private state (defaults for account_id, login_token,
-- country). The plan's fields: name, version, e (the definition), method,
-- path, body, credits, write, list, token (a per-call login_token, for
-- scrubbing), q (the checked parameters), sent (what goes out, less the
-- API key and the login_token: a dry run shows it).
function M.prepare(p, name, params, where, level)
  level = level + 1
  local version = p.version
  local e = M.endpoint(name, version, level, where)
  if e.oneshot and type(params) == "table" and params.offset ~= nil then
    check.misuse(level, "%s: v2 %s are one-shot: no offset", where, name)
  end
  local allowed = merge(e.params, e.accounts and {} or CONTEXT[version])
  params = check.table_of(level, where, "parameters", params, allowed, " for v" .. version)
  local q = {}
  for k, kind in pairs(e.params) do q[k] = param(level, where, kind, k, params[k]) end
  for k, kind in pairs(e.params) do
    if kind == "req" and q[k] == nil then check.misuse(level, "%s: %s is required", where, k) end
  end
  if e.params.invitation_id and q.invitation_id == nil then
    check.misuse(level, "%s: invitation_id is required", where)
  end
  if name == "invite" then
    if (q.profile_url == nil) == (q.identifier == nil) then
      check.misuse(level, "%s: give exactly one of profile_url and identifier", where)
    end
  end
  if version == 1 and e.list then
    if q.end_page and not q.start_page then check.misuse(level, "%s: end_page needs start_page", where) end
    if q.end_page and q.end_page < q.start_page then
      check.misuse(level, "%s: end_page must be >= start_page", where)
    end
    if q.total_results and q.start_page then
      check.misuse(level, "%s: total_results and start_page are two modes: give one", where)
    end
  end

  local plan = { name = name, version = version, e = e, method = e.method or "POST", write = e.write or false,
                 list = e.list, q = q, credits = credits.price(e.price, q) }
  local sent = {}
  for k, v in pairs(q) do sent[(e.rename and e.rename[k]) or k] = v end
  if e.accounts then
    plan.path = e.path
    if name == "accounts" then
      local qs = {}
      if q.limit then qs[#qs + 1] = "limit=" .. q.limit end
      if q.offset then qs[#qs + 1] = "offset=" .. q.offset end
      if #qs > 0 then plan.path = plan.path .. "?" .. table.concat(qs, "&") end
    end
  elseif version == 1 then
    local token = check.text(level, where, "login_token", params.login_token) or p.login_token
    if not token then check.misuse(level, "%s: v1 needs a login_token (in linkup.new or the call)", where) end
    sent.country = check.country(level, where, params.country) or p.country
    local body = {}
    for k, v in pairs(sent) do body[k] = v end
    body.login_token = token
    plan.path, plan.body, plan.token = e.path, core.encode(body), token
  else
    local account = check.text(level, where, "account_id", params.account_id) or p.account_id
    if not account then check.misuse(level, "%s: v2 needs an account_id (in linkup.new or the call)", where) end
    plan.path = "/v2/network"
    plan.body = core.encode{ account_id = account, action = e.action, params = sent }
    sent.account_id = account
  end
  plan.sent = sent
  return plan
end

--- account_path(plan, id): GET /v2/accounts/{id}, the id escaped.
function M.account_path(plan, id)
  plan.path = M.ENDPOINTS.account[2].path .. id:gsub("[^%w%-%._~]", function(c)
    return format("%%%02X", c:byte())
  end)
  return plan
end

---------------------------------------------------------------------------
-- answers
---------------------------------------------------------------------------

local V1_CODES = {
  { "rate limit", "RATE_LIMITED", true },
  { "insufficient credits", "INSUFFICIENT_CREDITS", false },
  { "cookie", "INVALID_LOGIN_TOKEN", false },
  { "missing required parameter", "INVALID_PARAMS", false },
  { "invalid api key", "INVALID_API_KEY", false },
}

-- v1 gives only a message: map the documented ones to v2-style codes.
-- Returns code, retryable.
local function v1_code(message)
  local m = type(message) == "string" and message:lower() or ""
  for _, row in ipairs(V1_CODES) do
    if m:find(row[1], 1, true) then return row[2], row[3] end
  end
  return nil, false
end

local function count_ok(v)
  return v == nil or (type(v) == "number" and v >= 0 and v == floor(v) and v < math.huge)
end

local function num_ok(v) return v == nil or type(v) == "number" end

-- Checks the documented shape of a success `data`. Returns an error
-- message, or nil when the shape is right.
local function bad_shape(data, plan)
  if type(data) ~= "table" then return "no data object in the response" end
  local list = plan.list
  if not list then return nil end
  local items = data[list]
  if type(items) ~= "table" then return "data." .. list .. " is not an array" end
  local n = #items
  if next(items) ~= nil and n == 0 then return "data." .. list .. " is not an array" end
  for i = 1, n do
    if type(items[i]) ~= "table" then return "data." .. list .. "[" .. i .. "] is not an object" end
  end
  for _, f in ipairs{ "total_results", "total_available_results", "total" } do
    if not count_ok(data[f]) then return "data." .. f .. " is not a whole number >= 0" end
  end
  local pg = data.pagination
  if pg ~= nil then
    if type(pg) ~= "table" then return "data.pagination is not an object" end
    for _, f in ipairs{ "offset", "count", "next_offset", "results_per_page", "pages_fetched",
                        "start_page", "end_page", "current_page", "total_pages" } do
      if not num_ok(pg[f]) then return "data.pagination." .. f .. " is not a number" end
    end
    if not count_ok(pg.total_pages) then return "data.pagination.total_pages is not a whole number >= 0" end
    if pg.has_more ~= nil and type(pg.has_more) ~= "boolean" then
      return "data.pagination.has_more is not a boolean"
    end
  end
  return nil
end
M.bad_shape = bad_shape

-- Retry-After: delta seconds or an HTTP date. nil when absent or unreadable.
function M.retry_after(headers)
  local v = type(headers) == "table" and headers["retry-after"]
  if type(v) ~= "string" then return nil end
  local n = tonumber(v)
  if n then
    if n ~= n then return nil end
    return n > 0 and n or 0
  end
  local t = core.getdate(v)
  if t then
    local d = t - core.time()
    return d > 0 and d or 0
  end
  return nil
end

local RETRY_STATUS = { [429] = true, [500] = true, [502] = true, [503] = true, [504] = true }

--- classify(plan, status, body, headers) -> data, meta | nil, fields
-- An HTTP answer (status a number, body a string) into data and meta, or
-- the fields of an error (kind, status, code, message, retryable,
-- retry_after, rate_limited). Never raises.
function M.classify(plan, status, body, headers)
  local version = plan.version
  local doc, derr = core.decode(body)
  if status >= 400 then
    local code, message
    if type(doc) == "table" then
      if type(doc.error) == "table" then
        code, message = doc.error.code, doc.error.message
      elseif type(doc.message) == "string" then
        message = doc.message
        if version == 1 then code = v1_code(message) end
      end
    end
    if type(code) ~= "string" then code = nil end
    if status == 429 and not code then code = "RATE_LIMITED" end
    if type(message) ~= "string" then
      message = doc == nil and ("HTTP " .. status .. " with a non-JSON body") or ("HTTP " .. status)
    end
    return nil, { kind = "api", status = status, code = code, message = message,
      retryable = RETRY_STATUS[status] or false, retry_after = M.retry_after(headers),
      rate_limited = status == 429 }
  end
  if status < 200 or status > 299 then
    return nil, { kind = "api", status = status, retryable = false, message = "unexpected HTTP status " .. status }
  end
  if doc == nil then
    return nil, { kind = "decode", status = status, retryable = false,
      message = "response is not JSON: " .. tostring(derr) }
  end
  if type(doc) ~= "table" then
    return nil, { kind = "decode", status = status, retryable = false, message = "response is not a JSON object" }
  end
  local data
  if version == 1 and not plan.e.accounts then
    if doc.status == "error" then
      local code, retryable = v1_code(doc.message)
      return nil, { kind = "api", status = status, code = code, retryable = retryable,
        rate_limited = code == "RATE_LIMITED", retry_after = M.retry_after(headers),
        message = type(doc.message) == "string" and doc.message or "the API answered status \"error\"" }
    end
    if doc.status ~= "success" then
      return nil, { kind = "decode", status = status, retryable = false,
        message = "response has no status \"success\"" }
    end
    data = doc.data
    -- a v1 action answers only a message
    if data == nil and not plan.list and type(doc.message) == "string" then data = { message = doc.message } end
  else
    if doc.success == false then
      local e = type(doc.error) == "table" and doc.error or {}
      return nil, { kind = "api", status = status, retryable = false,
        code = type(e.code) == "string" and e.code or nil,
        message = type(e.message) == "string" and e.message or "the API answered success = false" }
    end
    if doc.success ~= true then
      return nil, { kind = "decode", status = status, retryable = false, message = "response has no success = true" }
    end
    data = doc.data
  end
  local shape = bad_shape(data, plan)
  if shape then return nil, { kind = "decode", status = status, retryable = false, message = shape } end
  local cost = plan.credits
  if version == 2 and type(doc.metadata) == "table" then
    cost = credits.reported(doc.metadata.credits_consumed, cost)
  end
  return data, { status = status, credits = cost, headers = headers }
end

return M
