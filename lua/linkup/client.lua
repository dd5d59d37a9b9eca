-- linkup.client: the Lua driver over the C core.
--
-- luaopen_linkup (csrc/linkup.c) calls the function this file returns with
-- the core table (HTTP on libcurl, JSON via lua-cjson, both in C) and returns
-- its result as the `linkup` module. Policy lives here: options, argument
-- checks, request bodies, response classification, retries, iterators.
--
-- Every function on the path from a user's call to the transport is a Lua
-- function, so a transport may yield (OpenResty cosockets, coroutines) on
-- Lua 5.4 and LuaJIT alike. C is entered only for leaf work that never calls
-- back into Lua: perform an HTTP request, decode or encode JSON.

local Error = require "linkup.error"

local type, pairs, ipairs, tostring, tonumber, setmetatable, error, pcall =
      type, pairs, ipairs, tostring, tonumber, setmetatable, error, pcall
local floor, ceil, huge, random, min = math.floor, math.ceil, math.huge, math.random, math.min
local getenv = os.getenv

return function(core)

local M = {
  _VERSION = core._VERSION,
  null = core.null,            -- JSON null inside arrays (object fields read as nil)
  is_error = Error.is,
  _core = core,                -- for specs and tools; not part of the interface
}

local COUNTRIES = { US = true, UK = true, FR = true, DE = true, NL = true, IT = true,
                    IL = true, CA = true, BR = true, ES = true, IN = true }
local V1_PAGE = { connections = 10, recommendations = 25 }
local RETRY_STATUS = { [429] = true, [500] = true, [502] = true, [503] = true, [504] = true }
local DEFAULT_BASE_URL = "https://api.linkupapi.com"

M.COUNTRIES = COUNTRIES
M.V1_PAGE_SIZE = V1_PAGE

-- Private state per client, out of reach of anything that prints or dumps
-- the client table (inspect, a debugger's locals view): the API key and
-- tokens live only here.
local priv = setmetatable({}, { __mode = "k" })

---------------------------------------------------------------------------
-- argument checks: misuse raises at once, before any request
---------------------------------------------------------------------------

local function isint(x)
  return type(x) == "number" and x == floor(x) and x > -huge and x < huge
end
M._isint = isint

-- Raises a misuse error pointing at the user's line. `level` counts from the
-- function that called check-style helpers; messages never include values
-- of secret options.
local function misuse(level, fmt, ...)
  error("linkup." .. string.format(fmt, ...), level + 1)
end
M._misuse = misuse

local function check_int(level, where, name, v, lo)
  if v == nil then return nil end
  if not isint(v) then misuse(level + 1, "%s: %s must be an integer, got %s", where, name, type(v)) end
  if v < lo then misuse(level + 1, "%s: %s must be at least %d", where, name, lo) end
  return floor(v)
end
M._check_int = check_int

local function check_string(level, where, name, v)
  if v == nil then return nil end
  if type(v) ~= "string" then misuse(level + 1, "%s: %s must be a string, got %s", where, name, type(v)) end
  if v == "" then misuse(level + 1, "%s: %s must not be empty", where, name) end
  -- A newline in a value that travels in a header could split the request.
  if v:find("[\r\n%z]") then misuse(level + 1, "%s: %s must not contain control characters", where, name) end
  return v
end

local function check_country(level, where, v)
  v = check_string(level + 1, where, "country", v)
  if v ~= nil and not COUNTRIES[v] then
    misuse(level + 1, "%s: unknown country %q (one of US, UK, FR, DE, NL, IT, IL, CA, BR, ES, IN)", where, v)
  end
  return v
end

local function check_number(level, where, name, v, lo)
  if v == nil then return nil end
  if type(v) ~= "number" or v ~= v then misuse(level + 1, "%s: %s must be a number, got %s", where, name, type(v)) end
  if v < lo then misuse(level + 1, "%s: %s must be at least %s", where, name, tostring(lo)) end
  return v
end

local CLIENT_OPTIONS = {
  api_key = "string", base_url = "string", version = "number", account_id = "string",
  login_token = "string", country = "string", timeout = "number", connect_timeout = "number",
  max_retries = "number", user_agent = "string", transport = "function|string",
  sleep = "function", ca_file = "string", max_response_bytes = "number",
  on_event = "function", retry_base = "number", retry_cap = "number",
  max_retry_after = "number",
}

---------------------------------------------------------------------------
-- the client
---------------------------------------------------------------------------

local Client = {}
Client.__index = Client
M.Client = Client

local function state(self, level)
  local p = priv[self]
  if not p then misuse(level + 1, "client: not a linkup client (call client:method, not client.method)") end
  if p.closed then misuse(level + 1, "client: the client is closed") end
  return p
end
M._state = state

--- linkup.new(opts) -> client. Raises on any misuse.
function M.new(opts)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then misuse(2, "new: options must be a table, got %s", type(opts)) end
  for k, v in pairs(opts) do
    local want = CLIENT_OPTIONS[k]
    if not want then misuse(2, "new: unknown option %q", tostring(k)) end
    if not want:find(type(v), 1, true) then
      misuse(2, "new: option %s must be a %s, got %s", k, (want:gsub("|", " or ")), type(v))
    end
  end
  local W = "new"
  local api_key = opts.api_key
  if api_key == nil then
    api_key = getenv("LINKUP_API_KEY")
    if api_key == "" then api_key = nil end
  end
  if api_key == nil then misuse(2, "new: api_key is required (or set LINKUP_API_KEY)") end
  check_string(2, W, "api_key", api_key)

  local base_url = opts.base_url or getenv("LINKUP_BASE_URL")
  if base_url == nil or base_url == "" then base_url = DEFAULT_BASE_URL end
  check_string(2, W, "base_url", base_url)
  if not base_url:match("^https?://[^/]") then misuse(2, "new: base_url must start with http:// or https://") end
  base_url = base_url:gsub("/+$", "")

  local account_id = check_string(2, W, "account_id", opts.account_id)
  local login_token = check_string(2, W, "login_token", opts.login_token)
  local version = opts.version
  if version == nil then
    if account_id and login_token then
      misuse(2, "new: both account_id (v2) and login_token (v1) given: set version = 1 or 2")
    end
    version = (login_token and not account_id) and 1 or 2
  elseif version ~= 1 and version ~= 2 then
    misuse(2, "new: version must be 1 or 2")
  end

  local p = {
    version = version,
    base_url = base_url,
    api_key = api_key,
    account_id = account_id,
    login_token = login_token,
    country = check_country(2, W, opts.country),
    timeout = check_number(2, W, "timeout", opts.timeout, 0.001) or 30,
    connect_timeout = check_number(2, W, "connect_timeout", opts.connect_timeout, 0.001) or 10,
    max_retries = check_int(2, W, "max_retries", opts.max_retries, 0) or 2,
    max_response_bytes = check_int(2, W, "max_response_bytes", opts.max_response_bytes, 1024) or 16 * 1024 * 1024,
    retry_base = check_number(2, W, "retry_base", opts.retry_base, 0) or 0.5,
    retry_cap = check_number(2, W, "retry_cap", opts.retry_cap, 0) or 8,
    max_retry_after = check_number(2, W, "max_retry_after", opts.max_retry_after, 0) or 60,
    user_agent = check_string(2, W, "user_agent", opts.user_agent)
                 or ("linkup/" .. core._VERSION:match("[%d.]+$") .. " (Lua; libcurl/" .. core.curl_version .. ")"),
    on_event = opts.on_event,
    sleep = opts.sleep or core.sleep,
    spent = 0,
  }
  p.secrets = { api_key, login_token }

  local transport = opts.transport
  if transport == nil or transport == "curl" then
    -- One multi handle (one connection cache) and a pool of easy handles,
    -- grown to the largest concurrency asked for; a single request uses the
    -- first. Every request goes through the multi so all share connections.
    local http_opts = { user_agent = p.user_agent, ca_file = check_string(2, W, "ca_file", opts.ca_file) }
    local multi, pool = core.multi_new(), { core.http_new(http_opts) }
    p.multi, p.pool = multi, pool
    local function job(h, req)
      return { h, req.method, req.url, req.headers, req.body, req.timeout, req.connect_timeout, req.max_bytes }
    end
    p.transport = function(req)
      local r = multi:perform{ job(pool[1], req) }[1]
      return r[1], r[2], r[3], r[4]
    end
    p.send_many = function(reqs)
      local jobs = {}
      for i = 1, #reqs do
        if not pool[i] then pool[i] = core.http_new(http_opts) end
        jobs[i] = job(pool[i], reqs[i])
      end
      return multi:perform(jobs)
    end
  elseif transport == "ngx" then
    local ok, ngxt = pcall(require, "linkup.ngx")
    if not ok then misuse(2, "new: transport \"ngx\" needs OpenResty: %s", tostring(ngxt)) end
    p.transport = ngxt.transport()
    p.send_many = ngxt.many(p.transport)
    if opts.sleep == nil then p.sleep = ngxt.sleep end
  elseif type(transport) == "string" then
    misuse(2, "new: unknown transport %q (a function, \"curl\" or \"ngx\")", transport)
  else
    p.transport = transport
  end

  local self = setmetatable({}, Client)
  priv[self] = p
  return self
end

--- client:close(): frees the connection. Idempotent; also run by __gc and
-- (Lua 5.4) __close.
function Client.close(self)
  local p = priv[self]
  if p and not p.closed then
    p.closed = true
    if p.pool then
      for _, h in ipairs(p.pool) do h:close() end
      p.multi:close()
    end
    p.pool, p.multi, p.transport, p.send_many = nil, nil, nil, nil
  end
end
Client.__close = Client.close
Client.__gc = Client.close     -- tables honour __gc on 5.2+; the C handle has its own everywhere

Client.__tostring = function(self)
  local p = priv[self]
  if not p then return "linkup client" end
  return string.format("linkup client (v%d, %s%s)", p.version, p.base_url, p.closed and ", closed" or "")
end

--- client:info() -> table of the non-secret settings.
function Client.info(self)
  local p = state(self, 2)
  return {
    version = p.version, base_url = p.base_url, account_id = p.account_id,
    country = p.country, timeout = p.timeout, connect_timeout = p.connect_timeout,
    max_retries = p.max_retries, user_agent = p.user_agent,
    has_login_token = p.login_token ~= nil, credits_spent = p.spent,
  }
end

---------------------------------------------------------------------------
-- credits: the documented prices
---------------------------------------------------------------------------

-- Credits one request costs, by the pricing rules of the API's pages.
-- v1: pagination mode 1 per page; total-results mode 1 per 10 results asked
-- (rounded up). v2: connections 1 per 50 results, recommendations 1 per 10.
local function price(version, kind, q)
  if version == 1 then
    if q.start_page then return (q.end_page or q.start_page) - q.start_page + 1 end
    return ceil((q.total_results or 10) / 10)
  end
  local count = q.count or 10
  if kind == "connections" then return ceil(count / 50) end
  return ceil(count / 10)
end
M._price = price

---------------------------------------------------------------------------
-- requests
---------------------------------------------------------------------------

local CALL_PARAMS = {
  [1] = { total_results = true, start_page = true, end_page = true, login_token = true, country = true },
  [2] = { count = true, offset = true, account_id = true },
}

-- Checks a call's parameters and builds its request plan. Raises on misuse
-- (level: the user's frame, counted from the caller of prepare).
local function prepare(p, kind, params, where, level)
  level = level + 1
  if params == nil then params = {} end
  if type(params) ~= "table" then misuse(level, "%s: parameters must be a table, got %s", where, type(params)) end
  local allowed = CALL_PARAMS[p.version]
  for k in pairs(params) do
    if not allowed[k] then misuse(level, "%s: unknown parameter %q for v%d", where, tostring(k), p.version) end
  end
  if p.version == 2 and kind == "recommendations" and params.offset ~= nil then
    misuse(level, "%s: v2 recommendations are one-shot: no offset", where)
  end
  local q, body, path = {}
  if p.version == 1 then
    q.total_results = check_int(level, where, "total_results", params.total_results, 1)
    q.start_page = check_int(level, where, "start_page", params.start_page, 1)
    q.end_page = check_int(level, where, "end_page", params.end_page, 1)
    if q.end_page and not q.start_page then misuse(level, "%s: end_page needs start_page", where) end
    if q.end_page and q.end_page < q.start_page then misuse(level, "%s: end_page must be >= start_page", where) end
    if q.total_results and q.start_page then
      misuse(level, "%s: total_results and start_page are two modes: give one", where)
    end
    local token = check_string(level, where, "login_token", params.login_token) or p.login_token
    if not token then misuse(level, "%s: v1 needs a login_token (in linkup.new or the call)", where) end
    local country = check_country(level, where, params.country) or p.country
    body = { login_token = token, country = country, total_results = q.total_results,
             start_page = q.start_page, end_page = q.end_page }
    path = "/v1/network/" .. kind
    q.token = token
  else
    q.count = check_int(level, where, "count", params.count, 1)
    q.offset = check_int(level, where, "offset", params.offset, 0)
    local account = check_string(level, where, "account_id", params.account_id) or p.account_id
    if not account then misuse(level, "%s: v2 needs an account_id (in linkup.new or the call)", where) end
    body = { account_id = account,
             action = kind == "connections" and "list_connections" or "recommendations",
             params = { count = q.count, offset = q.offset } }
    path = "/v2/network"
  end
  return {
    kind = kind, version = p.version, path = path, body = core.encode(body),
    credits = price(p.version, kind, q), q = q,
  }
end
M._prepare = prepare

local function fail(p, plan, fields)
  local secrets = p.secrets
  if plan.q.token and plan.q.token ~= p.login_token then
    secrets = { p.api_key, p.login_token, plan.q.token }
  end
  fields.endpoint = plan.path
  return Error.new(fields, secrets)
end

-- Retry-After: delta seconds or an HTTP date. nil when absent or unreadable.
local function retry_after(headers)
  local v = headers and headers["retry-after"]
  if not v then return nil end
  local n = tonumber(v)
  if n then return n > 0 and n or 0 end
  local t = core.getdate(v)
  if t then
    local d = t - core.time()
    return d > 0 and d or 0
  end
  return nil
end
M._retry_after = retry_after

local V1_CODES = {
  { "rate limit", "RATE_LIMITED", true },
  { "insufficient credits", "INSUFFICIENT_CREDITS", false },
  { "cookie", "INVALID_LOGIN_TOKEN", false },
  { "missing required parameter", "INVALID_PARAMS", false },
  { "invalid api key", "INVALID_API_KEY", false },
}

-- v1 gives only a message: map the documented ones to v2-style codes.
local function v1_code(message)
  local m = type(message) == "string" and message:lower() or ""
  for _, row in ipairs(V1_CODES) do
    if m:find(row[1], 1, true) then return row[2], row[3] end
  end
  return nil, false
end

local function is_num(v) return v == nil or type(v) == "number" end

-- Checks the documented shape of a success `data`. Returns an error
-- message, or nil when the shape is right.
local function bad_shape(data, kind)
  if type(data) ~= "table" then return "no data object in the response" end
  local items = data[kind]
  if type(items) ~= "table" then return "data." .. kind .. " is not an array" end
  local n = #items
  if next(items) ~= nil and n == 0 then return "data." .. kind .. " is not an array" end
  for i = 1, n do
    if type(items[i]) ~= "table" then return "data." .. kind .. "[" .. i .. "] is not an object" end
  end
  if not is_num(data.total_results) then return "data.total_results is not a number" end
  if not is_num(data.total_available_results) then return "data.total_available_results is not a number" end
  local pg = data.pagination
  if pg ~= nil then
    if type(pg) ~= "table" then return "data.pagination is not an object" end
    for _, f in ipairs{ "offset", "count", "next_offset", "results_per_page", "pages_fetched",
                        "start_page", "end_page", "current_page", "total_pages" } do
      if not is_num(pg[f]) then return "data.pagination." .. f .. " is not a number" end
    end
    if pg.has_more ~= nil and type(pg.has_more) ~= "boolean" then
      return "data.pagination.has_more is not a boolean"
    end
  end
  return nil
end
M._bad_shape = bad_shape

-- Turns one transport outcome into data, meta or nil, err (never raises).
-- A transport answers status, body, headers, or nil, message[, kind[, status]]
-- (kind and status: the curl transport's extras).
local function classify(p, plan, status, body, headers, partial_status)
  if status == nil then
    local msg = type(body) == "string" and body or "transport failed"
    local kind = headers
    if kind == "too_large" then
      return nil, fail(p, plan, { kind = "decode", status = partial_status, retryable = false,
        message = "response body exceeds max_response_bytes (" .. p.max_response_bytes .. ")" })
    end
    if kind ~= "timeout" and kind ~= "network" then
      kind = msg:lower():find("timed? ?out") and "timeout" or "network"
    end
    return nil, fail(p, plan, { kind = kind, retryable = true, message = msg })
  end
  if type(status) ~= "number" or type(body) ~= "string" then
    return nil, fail(p, plan, { kind = "network", retryable = false,
      message = "transport returned " .. type(status) .. ", " .. type(body) .. " (want status, body, headers)" })
  end
  local doc, derr = core.decode(body)
  if status >= 400 then
    local code, message
    if type(doc) == "table" then
      if type(doc.error) == "table" then
        code, message = doc.error.code, doc.error.message
      elseif type(doc.message) == "string" then
        message = doc.message
        if p.version == 1 then code = v1_code(message) end
      end
    end
    if type(code) ~= "string" then code = nil end
    if type(message) ~= "string" then
      message = doc == nil and ("HTTP " .. status .. " with a non-JSON body") or ("HTTP " .. status)
    end
    return nil, fail(p, plan, { kind = "api", status = status, code = code, message = message,
      retryable = RETRY_STATUS[status] or false, retry_after = retry_after(headers) })
  end
  if status < 200 or status > 299 then
    return nil, fail(p, plan, { kind = "api", status = status, retryable = false,
      message = "unexpected HTTP status " .. status })
  end
  if doc == nil then
    return nil, fail(p, plan, { kind = "decode", status = status, retryable = false,
      message = "response is not JSON: " .. tostring(derr) })
  end
  if type(doc) ~= "table" then
    return nil, fail(p, plan, { kind = "decode", status = status, retryable = false,
      message = "response is not a JSON object" })
  end
  if p.version == 1 then
    if doc.status == "error" then
      local code, retryable = v1_code(doc.message)
      return nil, fail(p, plan, { kind = "api", status = status, code = code, retryable = retryable,
        message = type(doc.message) == "string" and doc.message or "the API answered status \"error\"" })
    end
    if doc.status ~= "success" then
      return nil, fail(p, plan, { kind = "decode", status = status, retryable = false,
        message = "response has no status \"success\"" })
    end
  else
    if doc.success == false then
      local e = type(doc.error) == "table" and doc.error or {}
      return nil, fail(p, plan, { kind = "api", status = status, retryable = false,
        code = type(e.code) == "string" and e.code or nil,
        message = type(e.message) == "string" and e.message or "the API answered success = false" })
    end
    if doc.success ~= true then
      return nil, fail(p, plan, { kind = "decode", status = status, retryable = false,
        message = "response has no success = true" })
    end
  end
  local shape = bad_shape(doc.data, plan.kind)
  if shape then
    return nil, fail(p, plan, { kind = "decode", status = status, retryable = false, message = shape })
  end
  local credits = plan.credits
  if p.version == 2 then
    local md = doc.metadata
    if type(md) == "table" and type(md.credits_consumed) == "number" then credits = md.credits_consumed end
  end
  return doc.data, { status = status, credits = credits, headers = headers }
end

-- The pause before attempt n+1: exponential backoff with jitter (half fixed,
-- half random), or the server's Retry-After.
local function backoff(p, attempt, err)
  if err.retry_after then return err.retry_after end
  local d = p.retry_base * 2 ^ (attempt - 1)
  if d > p.retry_cap then d = p.retry_cap end
  return d / 2 + random() * d / 2
end
M._backoff = backoff

local function new_request(p, plan)
  return {
    method = "POST",
    url = p.base_url .. plan.path,
    headers = {
      ["x-api-key"] = p.api_key,
      ["content-type"] = "application/json",
      ["accept"] = "application/json",
      ["user-agent"] = p.user_agent,
    },
    body = plan.body,
    timeout = p.timeout,
    connect_timeout = p.connect_timeout,
    max_bytes = p.max_response_bytes,
  }
end

-- Judges one attempt: ok, status, body, headers, extra are pcall(transport)'s
-- results. Returns data, meta on success, or nil, err, pause (pause: the wait
-- before another attempt, nil when the error is final). Reports on_event.
local function judge(p, plan, req, attempts, duration, ok, status, body, headers, extra)
  if not ok then
    status, body, headers, extra = nil, "transport raised: " .. tostring(status), "network", nil
  end
  local data, meta = classify(p, plan, status, body, headers, extra)
  meta.attempts = attempts
  local pause
  if not data and meta.retryable and attempts <= p.max_retries then
    pause = backoff(p, attempts, meta)
    if pause > p.max_retry_after then pause = nil end
  end
  if p.on_event then
    p.on_event{
      method = req.method, url = req.url, endpoint = plan.path, status = meta.status,
      duration = duration, attempt = attempts, pause = pause,
      error = (not data) and meta.kind or nil, message = (not data) and meta.message or nil,
    }
  end
  if data then p.spent = p.spent + (meta.credits or 0) end
  return data, meta, pause
end

-- Runs a prepared request with retries. Returns data, meta or nil, err.
local function execute(self, plan)
  local p = state(self, 3)
  local req, attempts, started = new_request(p, plan), 0, core.now()
  while true do
    attempts = attempts + 1
    local t0 = core.now()
    local ok, status, body, headers, extra = pcall(p.transport, req)
    local data, meta, pause = judge(p, plan, req, attempts, core.now() - t0, ok, status, body, headers, extra)
    if data then
      meta.elapsed = core.now() - started
      return data, meta
    end
    if not pause then return nil, meta end
    p.sleep(pause)
    if p.closed then return nil, meta end
  end
end
M._execute = execute
M._error = function(fields) return Error.new(fields) end

-- Sends several requests at once: libcurl's multi interface, the ngx
-- transport's light threads, or one after the other for a plain transport
-- function. Returns { ok, status, body, headers, extra } per request.
local function send_many(p, reqs)
  local out = {}
  if p.send_many and #reqs > 1 then
    local ok, rs = pcall(p.send_many, reqs)
    for i = 1, #reqs do
      local r = ok and rs[i] or {}
      out[i] = ok and { true, r[1], r[2], r[3], r[4] } or { false, rs }
    end
  else
    for i = 1, #reqs do
      local ok, status, body, headers, extra = pcall(p.transport, reqs[i])
      out[i] = { ok, status, body, headers, extra }
    end
  end
  return out
end

-- Runs several prepared requests, up to k at a time, each with its own
-- retries (failed ones go again together after the longest pause asked).
-- Returns results in input order: { data, meta } or { nil, err }.
local function execute_many(self, plans, k)
  local p = state(self, 3)
  local started, results, reqs, attempts, pending = core.now(), {}, {}, {}, {}
  for i, plan in ipairs(plans) do
    reqs[i], attempts[i], pending[i] = new_request(p, plan), 0, i
  end
  while #pending > 0 do
    local again, wait = {}, 0
    for first = 1, #pending, k do
      local wave, wreqs = {}, {}
      for j = first, min(first + k - 1, #pending) do
        wave[#wave + 1] = pending[j]
        wreqs[#wreqs + 1] = reqs[pending[j]]
      end
      local t0 = core.now()
      local outs = send_many(p, wreqs)
      local duration = core.now() - t0
      for w, i in ipairs(wave) do
        attempts[i] = attempts[i] + 1
        local o = outs[w]
        local data, meta, pause = judge(p, plans[i], reqs[i], attempts[i], duration, o[1], o[2], o[3], o[4], o[5])
        if data then meta.elapsed = core.now() - started end
        results[i] = { data, meta }
        if pause then
          again[#again + 1] = i
          if pause > wait then wait = pause end
        end
      end
    end
    pending = again
    if #pending > 0 then
      p.sleep(wait)
      if p.closed then break end
    end
  end
  return results
end
M._execute_many = execute_many

--- client:connections(params) -> data, meta | nil, err
function Client.connections(self, params)
  local p = state(self, 2)
  return execute(self, prepare(p, "connections", params, "connections", 2))
end

--- client:recommendations(params) -> data, meta | nil, err
function Client.recommendations(self, params)
  local p = state(self, 2)
  return execute(self, prepare(p, "recommendations", params, "recommendations", 2))
end

--- client:batch(calls, { concurrency = k }) -> results
-- calls[i] = { "connections" | "recommendations", params } (or { kind =,
-- params = }). Every call is checked before any is sent. Runs up to k at
-- once (default 4, at most 64); results[i] = { data, meta } or { nil, err },
-- in input order, with .data, .meta and .err set for readability.
function Client.batch(self, calls, opts)
  local p = state(self, 2)
  if type(calls) ~= "table" then misuse(2, "batch: calls must be a table, got %s", type(calls)) end
  opts = opts or {}
  if type(opts) ~= "table" then misuse(2, "batch: options must be a table") end
  for key in pairs(opts) do
    if key ~= "concurrency" then misuse(2, "batch: unknown option %q", tostring(key)) end
  end
  local k = check_int(2, "batch", "concurrency", opts.concurrency, 1) or 4
  if k > 64 then misuse(2, "batch: concurrency must be at most 64") end
  local plans = {}
  for i = 1, #calls do
    local c = calls[i]
    if type(c) ~= "table" then misuse(2, "batch: call %d must be a table", i) end
    local kind, params = c[1] or c.kind, c[2] or c.params
    if kind ~= "connections" and kind ~= "recommendations" then
      misuse(2, "batch: call %d: kind must be \"connections\" or \"recommendations\"", i)
    end
    plans[i] = prepare(p, kind, params, "batch", 2)
  end
  local results = execute_many(self, plans, k)
  for _, r in ipairs(results) do
    if r[1] then r.data, r.meta = r[1], r[2] else r.err = r[2] end
  end
  return results
end

-- Iterators and credit estimates live beside this file.
require("linkup.walk")(M)

return M
end
