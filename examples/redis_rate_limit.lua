-- A rate limit that several hosts share: a `rate_limit` object for
-- linkup.new whose take(key) books sends in Redis.
--
--   local shared = dofile("examples/redis_rate_limit.lua").new{ host = "10.0.0.5", port = 6379 }
--   local client = linkup.new{ api_key = key, account_id = id, rate_limit = shared }
--
-- Every client, on every host, that uses the same Redis and the same API
-- key keeps under one limit (300 sends per 60 s by default): the log of send
-- times is a sorted set in Redis, and a script that runs inside Redis checks
-- and books a send in one step, on Redis' own clock (so hosts whose clocks
-- disagree still agree). take() returns 0 when a send is booked, else the
-- seconds to wait: the protocol linkup asks of such an object.
--
-- Needs luasocket (Debian: lua-socket). Speaks Redis' protocol itself, in a
-- few lines, so it runs on every Lua linkup runs on.
local socket = require "socket"

local M = {}

-- The sliding log, in Redis: drop sends older than the window; book one if
-- fewer than `limit` remain, else say when the oldest leaves the window.
-- Each booking's member is unique: this limiter's id, which Redis hands
-- out (INCR), and a count. A member made of the time would repeat within
-- 10 ms (Redis' Lua prints numbers with 14 digits), and ids made up by each
-- process can coincide (two interpreters started together can seed and
-- allocate alike): either way a booking would overwrite another.
local SCRIPT = [[
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local window, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])  -- a member unique to this booking
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000))
  return '0'
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]
return tostring(tonumber(oldest) + window - now)
]]

local Limiter = {}
Limiter.__index = Limiter

-- One command in Redis' protocol (RESP); returns the reply or nil, error.
local function command(conn, ...)
  local args, out = { ... }, { "*" .. select("#", ...) }
  for i = 1, #args do
    local a = tostring(args[i])
    out[#out + 1] = "$" .. #a
    out[#out + 1] = a
  end
  local ok, err = conn:send(table.concat(out, "\r\n") .. "\r\n")
  if not ok then return nil, err end
  local line
  line, err = conn:receive("*l")
  if not line then return nil, err end
  local kind, rest = line:sub(1, 1), line:sub(2)
  if kind == "$" then
    local n = tonumber(rest)
    if n < 0 then return nil, "nil reply" end
    local data = conn:receive(n + 2)
    if not data then return nil, "short reply" end
    return data:sub(1, n)
  elseif kind == "+" or kind == ":" then
    return rest
  end
  return nil, "redis: " .. rest
end

--- new{ host, port, requests = 300, per = 60, margin = per / 100, prefix } -> limiter
function M.new(opts)
  opts = opts or {}
  local self = setmetatable({
    host = opts.host or "127.0.0.1", port = opts.port or 6379,
    limit = opts.requests or 300, per = opts.per or 60,
    prefix = opts.prefix or "linkup:rate:",
  }, Limiter)
  self.window = self.per + (opts.margin or self.per / 100)
  return self
end

--- limiter:take(key) -> 0 (a send is booked) or the seconds to wait.
-- key names the API key without revealing it (linkup passes a hash).
-- Redis out of reach: wait a second and ask again (never send unbooked).
function Limiter:take(key)
  if not self.conn then
    local conn = socket.tcp()
    conn:settimeout(2)
    if not conn:connect(self.host, self.port) then return 1 end
    self.id = self.id or command(conn, "INCR", self.prefix .. "ids")
    if not self.id then conn:close() return 1 end
    self.conn = conn
  end
  self.count = (self.count or 0) + 1
  local reply = command(self.conn, "EVAL", SCRIPT, 1, self.prefix .. key, self.window, self.limit,
                        self.id .. ":" .. self.count)
  local wait = tonumber(reply)
  if not wait then
    self.conn:close()
    self.conn = nil
    return 1
  end
  return wait > 0 and wait or 0
end

return M
