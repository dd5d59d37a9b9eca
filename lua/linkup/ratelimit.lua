-- linkup.ratelimit: keeping under the API's limit (300 requests per 60 s
-- per API key) by waiting instead of collecting 429s.
--
-- A limiter has take(): it books a send now and returns 0, or books nothing
-- and returns the seconds to wait. The engine asks before every attempt.
--
-- The algorithm is a sliding log of send times: a send is booked when fewer
-- than `requests` sends were booked in the last `per + margin` seconds. It
-- was chosen from measurements against a server that counts a strict
-- sliding window: a token bucket with a burst let two bursts land in one
-- server window (429s); the log never exceeds the server's count as long as
-- the margin covers how much the time from send to arrival varies between
-- two requests (a new connection's handshake, mostly). The margin defaults
-- to 1% of `per` (0.6 s at 60 s).
--
-- Clients with the same API key in one Lua state share one log (a module
-- table keyed by the key's hash), each applying its own figures. Under
-- nginx, `shared_dict` shares one log between the workers; any object with
-- take(key) plugs in another store (several hosts, Redis, ...).

local check = require "linkup.check"
local core = require "linkup.core"

local type, tostring, error, setmetatable = type, tostring, error, setmetatable

local M = {}

M.DEFAULT = { requests = 300, per = 60 }

---------------------------------------------------------------------------
-- a log of send times in this Lua state
---------------------------------------------------------------------------

-- key hash -> { t = ring of send times, cap, last, n }
local logs = {}

local function log_for(key, cap)
  local log = logs[key]
  if not log then
    log = { t = {}, cap = cap, last = 0, n = 0 }
    logs[key] = log
  elseif log.cap < cap then
    -- a client with a larger limit joined: grow the ring, oldest first
    local t = {}
    for i = log.n, 1, -1 do t[#t + 1] = log.t[(log.last - i) % log.cap + 1] end
    log.t, log.cap, log.last = t, cap, log.n % cap
  end
  return log
end

-- The time of the k-th most recent send (k <= log.n).
local function nth_recent(log, k)
  return log.t[(log.last - k) % log.cap + 1]
end

local function book(log, now)
  log.last = log.last % log.cap + 1
  log.t[log.last] = now
  if log.n < log.cap then log.n = log.n + 1 end
end

local Local = {}
Local.__index = Local

function Local:take()
  local log, now = self.log, core.now()
  if log.n < self.requests then
    book(log, now)
    return 0
  end
  local free_at = nth_recent(log, self.requests) + self.window
  if now >= free_at then
    book(log, now)
    return 0
  end
  return free_at - now
end

---------------------------------------------------------------------------
-- a log in an nginx shared dict, for all the workers of one nginx
---------------------------------------------------------------------------

-- A ring of `requests` slots holding send times (ngx.now(), shared by the
-- workers), read and written under a lock made of dict:add (which is
-- atomic across workers); the lock expires by itself should a worker die
-- holding it.
local Shared = {}
Shared.__index = Shared

function Shared:take()
  local ngx = ngx -- luacheck: ignore 113 (OpenResty's global)
  local dict, k = self.dict, self.prefix
  local locked = false
  for _ = 1, 200 do
    if dict:add(k .. "lock", true, 0.5) then locked = true break end
    ngx.sleep(0.001)
  end
  if not locked then return 0.01 end
  ngx.update_time()
  local now = ngx.now()
  local head = dict:get(k .. "head") or 0
  local slot = k .. (head % self.requests)
  local oldest = dict:get(slot)
  local wait = 0
  -- decide and compute from one number: `now - oldest < window` could hold
  -- by a hair while `oldest + window - now` came out 0, and a wait of 0
  -- means "booked" to the engine (every waiter then went at once)
  local free_at = oldest and oldest + self.window
  if free_at and free_at > now then
    wait = free_at - now
  else
    dict:set(slot, now, self.window + 1)
    dict:set(k .. "head", head + 1)
  end
  dict:delete(k .. "lock")
  return wait
end

---------------------------------------------------------------------------
-- a user's object
---------------------------------------------------------------------------

local Plugin = {}
Plugin.__index = Plugin

function Plugin:take()
  local w = self.obj:take(self.key)
  if type(w) ~= "number" or w ~= w or w < 0 then
    error("linkup: rate_limit:take(key) must return 0 (booked) or the seconds to wait, got " .. tostring(w), 0)
  end
  return w
end

--- key_name(api_key) -> a name for the key that does not reveal it.
function M.key_name(api_key)
  return "sha256:" .. core.sha256hex(api_key):sub(1, 16)
end

--- new(spec, api_key, level) -> limiter or nil (no limit)
-- spec: nil (the default), false, { requests, per, margin, shared_dict },
-- or an object with take(key); anything else is a misuse (raises).
function M.new(spec, api_key, level)
  level = level + 1
  if spec == false then return nil end
  local key = M.key_name(api_key)
  if spec == nil then spec = M.DEFAULT end
  if type(spec) ~= "table" then check.misuse(level, "new: rate_limit must be a table, false or an object with take") end
  if type(spec.take) == "function" then
    return setmetatable({ obj = spec, key = key }, Plugin)
  end
  local W = "new"
  for name in pairs(spec) do
    if name ~= "requests" and name ~= "per" and name ~= "margin" and name ~= "shared_dict" then
      check.misuse(level, "new: unknown rate_limit field %q", tostring(name))
    end
  end
  local requests = check.int(level, W, "rate_limit.requests", spec.requests, 1, 1e6) or M.DEFAULT.requests
  local per = check.number(level, W, "rate_limit.per", spec.per, 0.001, 86400) or M.DEFAULT.per
  local margin = check.number(level, W, "rate_limit.margin", spec.margin, 0, 3600) or per / 100
  if spec.shared_dict ~= nil then
    local name = check.text(level, W, "rate_limit.shared_dict", spec.shared_dict)
    local dict = rawget(_G, "ngx") and ngx.shared and ngx.shared[name] -- luacheck: ignore 113
    if not dict then
      check.misuse(level, "new: rate_limit.shared_dict %q is not a lua_shared_dict of this nginx", name)
    end
    return setmetatable({ dict = dict, requests = requests, window = per + margin,
      prefix = "linkup:" .. key .. ":" .. requests .. ":" .. per .. ":" }, Shared)
  end
  return setmetatable({ log = log_for(key, requests), requests = requests, window = per + margin }, Local)
end

return M
