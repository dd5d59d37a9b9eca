-- linkup.client: a client: its construction (options, transport, limiter)
-- and its public methods, one per API call, plus the iterators and batch.
--
-- Each method checks its arguments (misuse raises at the user's line before
-- anything is sent: linkup.protocol), then hands the request to
-- linkup.engine. Every frame from a method to the transport is Lua, so a
-- transport may yield (cosockets, coroutines).

local core = require "linkup.core"
local check = require "linkup.check"
local protocol = require "linkup.protocol"
local engine = require "linkup.engine"
local walk = require "linkup.walk"
local private = require "linkup.private"
local ratelimit = require "linkup.ratelimit"
local curl = require "linkup.curl"
local Error = require "linkup.error"

local type, pairs, ipairs, tostring, setmetatable, pcall = type, pairs, ipairs, tostring, setmetatable, pcall
local getenv, format = os.getenv, string.format

local M = {}

-- The default pause: C's sleep returns early at any signal so that a
-- Ctrl-C is seen at once (the interpreter raises at the next Lua
-- instruction); any other signal (a terminal resize, a child ending) must
-- not cut a Retry-After short, so sleep again for what is left.
local function sleep(seconds)
  local untl = core.now() + seconds
  repeat
    core.sleep(untl - core.now())
  until core.now() >= untl
end
M.sleep = sleep

local DEFAULT_BASE_URL = "https://api.linkupapi.com"

local OPTIONS = {
  api_key = "string", base_url = "string", version = "number", account_id = "string",
  login_token = "string", country = "string", timeout = "number", connect_timeout = "number",
  max_retries = "number", user_agent = "string", transport = "function|string",
  sleep = "function", ca_file = "string", max_response_bytes = "number",
  on_event = "function", retry_base = "number", retry_cap = "number",
  max_retry_after = "number", rate_limit = "table|boolean", dry_run = "boolean",
}

local Client = {}
Client.__index = Client
M.Client = Client

-- Splits user:password@ out of a URL: the credentials are a secret, the
-- rest may be shown.
local function split_credentials(url)
  local scheme, creds, rest = url:match("^(https?://)([^/@]*)@(.*)$")
  if not scheme then return url, nil end
  return scheme .. "[REDACTED]@" .. rest, creds
end

local function in_openresty()
  local ngx = rawget(_G, "ngx")
  return type(ngx) == "table" and type(ngx.socket) == "table" and type(ngx.socket.tcp) == "function"
end

--- new(opts) -> client. Raises on any misuse.
function M.new(opts)
  local W = "new"
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then check.misuse(2, "new: options must be a table, got %s", type(opts)) end
  for k, v in pairs(opts) do
    local want = OPTIONS[k]
    if not want then check.misuse(2, "new: unknown option %q", tostring(k)) end
    if not want:find(type(v), 1, true) then
      check.misuse(2, "new: option %s must be a %s, got %s", k, (want:gsub("|", " or ")), type(v))
    end
  end
  local api_key = opts.api_key
  if api_key == nil then
    api_key = getenv("LINKUP_API_KEY")
    if api_key == "" then api_key = nil end
  end
  if api_key == nil then check.misuse(2, "new: api_key is required (or set LINKUP_API_KEY)") end
  check.text(2, W, "api_key", api_key)

  local base_url = opts.base_url or getenv("LINKUP_BASE_URL")
  if base_url == nil or base_url == "" then base_url = DEFAULT_BASE_URL end
  check.text(2, W, "base_url", base_url)
  if not base_url:match("^https?://[^/]") then check.misuse(2, "new: base_url must start with http:// or https://") end
  base_url = base_url:gsub("/+$", "")
  local display_url, url_creds = split_credentials(base_url)

  local account_id = check.text(2, W, "account_id", opts.account_id)
  local login_token = check.text(2, W, "login_token", opts.login_token)
  local version = opts.version
  if version == nil then
    if account_id and login_token then
      check.misuse(2, "new: both account_id (v2) and login_token (v1) given: set version = 1 or 2")
    end
    version = (login_token and not account_id) and 1 or 2
  elseif version ~= 1 and version ~= 2 then
    check.misuse(2, "new: version must be 1 or 2")
  end

  local p = {
    version = version,
    base_url = base_url,
    display_url = display_url,
    api_key = api_key,
    account_id = account_id,
    login_token = login_token,
    country = check.country(2, W, opts.country),
    timeout = check.number(2, W, "timeout", opts.timeout, 0.001, 86400) or 30,
    connect_timeout = check.number(2, W, "connect_timeout", opts.connect_timeout, 0.001, 86400) or 10,
    max_retries = check.int(2, W, "max_retries", opts.max_retries, 0, 100) or 2,
    max_response_bytes = check.int(2, W, "max_response_bytes", opts.max_response_bytes, 1024, 2 ^ 40)
                         or 16 * 1024 * 1024,
    retry_base = check.number(2, W, "retry_base", opts.retry_base, 0, 3600) or 0.5,
    retry_cap = check.number(2, W, "retry_cap", opts.retry_cap, 0, 3600) or 8,
    max_retry_after = check.number(2, W, "max_retry_after", opts.max_retry_after, 0, 86400) or 60,
    user_agent = check.text(2, W, "user_agent", opts.user_agent)
                 or ("linkup/" .. core._VERSION:match("[%d.]+$") .. " (Lua; libcurl/" .. core.curl_version .. ")"),
    on_event = opts.on_event,
    sleep = opts.sleep or sleep,
    dry_run = opts.dry_run or false,
    spent = 0,
    pause = { serial = 0, untl = 0 },  -- the client-wide pause after a 429
  }
  p.secrets = { api_key, login_token, url_creds }
  p.headers = {
    ["x-api-key"] = api_key,
    ["content-type"] = "application/json",
    ["accept"] = "application/json",
    ["user-agent"] = p.user_agent,
  }

  local transport = opts.transport
  if transport == nil or transport == "curl" then
    p.backend = "curl"
    p.transport = curl.new{ user_agent = p.user_agent, ca_file = check.text(2, W, "ca_file", opts.ca_file) }
  elseif transport == "ngx" then
    if not in_openresty() then
      check.misuse(2, "new: transport \"ngx\" needs OpenResty (ngx.socket.tcp); use the default transport elsewhere")
    end
    local ok, ngxt = pcall(require, "linkup.ngx")
    if not ok then check.misuse(2, "new: transport \"ngx\": %s", tostring(ngxt)) end
    p.backend = "ngx"
    p.transport = ngxt.transport()
    if opts.sleep == nil then p.sleep = ngxt.sleep end
  elseif type(transport) == "string" then
    check.misuse(2, "new: unknown transport %q (a function, \"curl\" or \"ngx\")", transport)
  else
    p.backend = "plain"
    p.transport = transport
  end
  if type(opts.rate_limit) == "table" and opts.rate_limit.shared_dict ~= nil and p.backend ~= "ngx" then
    check.misuse(2, "new: rate_limit.shared_dict needs transport = \"ngx\"")
  end
  p.limiter = ratelimit.new(opts.rate_limit, api_key, 2)

  local self = setmetatable({}, Client)
  private.set(self, p)
  return self
end

--- client:close(): frees the connections. Idempotent; also run by __gc and
-- (Lua 5.4) __close.
function Client.close(self)
  local p = private.peek(self)
  if p and not p.closed then
    p.closed = true
    if p.backend == "curl" then p.transport:close() end
    p.transport = nil
  end
end
Client.__close = Client.close
Client.__gc = Client.close     -- tables honour __gc on 5.2+; the C handles have their own everywhere

Client.__tostring = function(self)
  local p = private.peek(self)
  if not p then return "linkup client" end
  return format("linkup client (v%d, %s%s%s)", p.version, p.display_url, p.dry_run and ", dry run" or "",
    p.closed and ", closed" or "")
end

--- client:info() -> table of the non-secret settings.
function Client.info(self)
  local p = private.get(self, 2)
  return {
    version = p.version, base_url = p.display_url, account_id = p.account_id,
    country = p.country, timeout = p.timeout, connect_timeout = p.connect_timeout,
    max_retries = p.max_retries, user_agent = p.user_agent, dry_run = p.dry_run,
    has_login_token = p.login_token ~= nil, credits_spent = p.spent,
    rate_limited = p.limiter ~= nil,
  }
end

-- Runs one prepared call: a write on a dry-run client answers its plan.
local function perform(p, plan)
  if plan.write and p.dry_run then
    local params = {}
    for k, v in pairs(plan.sent) do params[k] = v end
    return { dry_run = true, action = plan.name, params = params }, { credits = plan.credits, dry_run = true }
  end
  return engine.call(p, plan)
end

-- One method per call that takes a table of parameters.
M.CALLS = { "connections", "recommendations", "invitations", "sent_invitations", "invite", "accept",
            "decline", "withdraw", "check_invitation", "accounts" }
for _, name in ipairs(M.CALLS) do
  Client[name] = function(self, params)
    local p = private.get(self, 2)
    return perform(p, protocol.prepare(p, name, params, name, 2))
  end
end

--- client:account(account_id) -> data, meta | nil, err (GET /v2/accounts/{id})
function Client.account(self, id)
  local p = private.get(self, 2)
  local plan = protocol.prepare(p, "account", {}, "account", 2)
  protocol.account_path(plan, check.text(2, "account", "account_id", id) or
    check.misuse(2, "account: account_id is required"))
  return perform(p, plan)
end

-- Iterators: each_<item> over the lists; each_page over any list.
for method, kind in pairs{ each_connection = "connections", each_recommendation = "recommendations",
                           each_invitation = "invitations", each_sent_invitation = "sent_invitations",
                           each_account = "accounts" } do
  Client[method] = function(self, opts)
    local f, s, c, closer = walk.items(self, kind, opts, method) -- not a tail call: misuse counts levels
    return f, s, c, closer
  end
end

function Client.each_page(self, kind, opts)
  local f, s, c, closer = walk.pages(self, kind, opts)
  return f, s, c, closer
end

--- client:estimate_credits(kind, opts) -> credits | nil, why
-- The price of a walk with these options on this client's version.
function Client.estimate_credits(self, kind, opts)
  local n, why = walk.estimate(self, kind, opts, 2)
  return n, why
end

local BATCH_CALLS = {}
for _, name in ipairs(M.CALLS) do BATCH_CALLS[name] = true end

--- client:batch(calls, { concurrency = k }) -> results
-- calls[i] = { name, params } (or { name = , params = }). Every call is
-- checked before any is sent; up to k run at once (default 4, at most 64),
-- a sliding window, each with its own retries; results[i] = { data, meta }
-- or { nil, err }, in input order, with .data, .meta and .err set too.
function Client.batch(self, calls, opts)
  local p = private.get(self, 2)
  if type(calls) ~= "table" then check.misuse(2, "batch: calls must be a table, got %s", type(calls)) end
  opts = check.table_of(2, "batch", "options", opts, { concurrency = true })
  local k = check.int(2, "batch", "concurrency", opts.concurrency, 1, 64) or 4
  local plans = {}
  for i = 1, #calls do
    local c = calls[i]
    if type(c) ~= "table" then check.misuse(2, "batch: call %d must be a table", i) end
    local name, params = c[1] or c.name or c.kind, c[2] or c.params
    if not BATCH_CALLS[name] then
      check.misuse(2, "batch: call %d: unknown call %s", i, check.describe(name))
    end
    plans[i] = protocol.prepare(p, name, params, "batch", 2)
  end
  local results, next_i = {}, 1
  for i, plan in ipairs(plans) do
    if plan.write and p.dry_run then results[i] = { perform(p, plan) } end
  end
  local run = engine.run(p, k, function()
    while next_i <= #plans and results[next_i] do next_i = next_i + 1 end
    if next_i > #plans then return nil end
    local i = next_i
    next_i = next_i + 1
    local job = engine.job(p, plans[i])
    job.on_done = function(j) results[i] = j.data and { j.data, j.meta } or { nil, j.meta } end
    return job
  end)
  run:drain()
  for i = 1, #plans do
    -- a call never sent: the client was closed under the batch
    results[i] = results[i] or { nil, Error.new{ kind = "network", retryable = false, attempts = 0,
      endpoint = plans[i].path, message = "the client was closed before this call was sent" } }
    local r = results[i]
    if r[1] then r.data, r.meta = r[1], r[2] else r.err = r[2] end
  end
  return results
end

return M
