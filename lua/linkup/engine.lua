-- linkup.engine: every request of every call, walk and batch goes through
-- here: the client-wide pause after a 429, the rate limiter, the attempt,
-- judging the answer, retries.
--
-- A job is one request with its retries: { plan = (linkup.protocol), req,
-- attempts, done, data, meta }. Its attempt loop is written once, as plain
-- sequential Lua (attempt()), and run by one of three schedulers:
--
--   curl   libcurl's multi interface, driven from Lua: each job is a
--          coroutine that yields "send this" or "wake me in s seconds"; the
--          scheduler starts transfers, waits on the multi for whichever
--          ends, resumes its job. No C frame ever calls back into Lua, and a
--          Ctrl-C reaches Lua within one wait.
--   ngx    OpenResty: each job is a light thread; the transport's cosockets
--          and ngx.sleep yield to nginx.
--   plain  a transport function of the user's: one job at a time, inline,
--          so that a transport may yield to the user's own scheduler.
--
-- A run (M.run) keeps up to k jobs alive (a sliding window: the place of a
-- finished job is taken at once by the next one its feed gives); a job that
-- retries waits for its own pause in its own place.
--
-- Where control can jump out: an interrupt ("interrupted!" from the
-- standalone interpreter), an error raised by the user's on_event, sleep,
-- rate_limit or transport code (a transport's error is a network error,
-- except an interrupt), and a malformed request (a bug) propagate out of
-- the run. The curl scheduler cancels its transfers first; a run abandoned
-- by an error is otherwise just garbage.

local check = require "linkup.check"
local core = require "linkup.core"
local protocol = require "linkup.protocol"
local Error = require "linkup.error"

local type, tostring, pcall, error, setmetatable = type, tostring, pcall, error, setmetatable
local select, unpack = select, table.unpack or unpack -- luacheck: ignore 143
local now, remove = core.now, table.remove
local co_create, co_resume, co_yield, co_status = coroutine.create, coroutine.resume, coroutine.yield,
                                                   coroutine.status

local M = {}

local is_interrupt = check.is_interrupt

-- An error that must never be taken for a network failure: an interrupt,
-- or the interpreter out of memory.
local function must_propagate(err)
  return is_interrupt(err) or err == "not enough memory"
end

---------------------------------------------------------------------------
-- one attempt's outcome
---------------------------------------------------------------------------

local function fail(p, plan, fields)
  local secrets = p.secrets
  if plan.token and plan.token ~= p.login_token then
    secrets = { p.secrets[1], p.secrets[2], p.secrets[3], plan.token }
  end
  fields.endpoint = plan.path
  return Error.new(fields, secrets)
end

-- The pause before attempt n+1: exponential backoff with jitter (half
-- fixed, half random), or the server's Retry-After.
local function backoff(p, attempt, err)
  if err.retry_after then return err.retry_after end
  local d = p.retry_base * 2 ^ (attempt - 1)
  if d > p.retry_cap then d = p.retry_cap end
  return d / 2 + core.random() * d / 2
end
M.backoff = backoff

-- Judges one attempt. status, body, headers, extra, sent: the transport's
-- answer (status, body, headers; or nil, message, kind, status, sent).
-- Returns data, meta; or nil, err, pause (pause: the wait before another
-- attempt, nil when the error is final).
local function judge(p, job, status, body, headers, extra, sent)
  local plan = job.plan
  local data, fields
  if status == nil then
    local msg = type(body) == "string" and body or "transport failed"
    local kind = headers
    -- extra: the status of a response that began and did not end whole
    local began = type(extra) == "number" and extra or nil
    if kind == "too_large" then
      -- a body over the limit, or a header block no API sends (the
      -- transport's message says which): not retried, it would come again
      if msg:find("header") then
        msg = "response headers too large"
      else
        msg = "response body exceeds max_response_bytes (" .. p.max_response_bytes .. ")"
      end
      fields = { kind = "decode", status = began, retryable = false, message = msg }
    else
      if kind ~= "timeout" and kind ~= "network" then
        kind = msg:lower():find("timed? ?out") and "timeout" or "network"
      end
      fields = { kind = kind, status = began, retryable = true, message = msg, not_sent = sent == false }
    end
  elseif type(status) ~= "number" or type(body) ~= "string" then
    fields = { kind = "network", retryable = false,
      message = "transport returned " .. type(status) .. ", " .. type(body) .. " (want status, body, headers)" }
  else
    data, fields = protocol.classify(plan, status, body, headers)
  end
  local attempts = job.attempts
  if data then
    fields.attempts = attempts
    p.spent = p.spent + (fields.credits or 0)
    if p.on_event then
      p.on_event{ method = job.req.method, url = p.display_url .. plan.path, endpoint = plan.path,
        status = fields.status, duration = job.duration, attempt = attempts }
    end
    return data, fields
  end

  -- A write is tried again only when it certainly did not take effect: the
  -- API refused it for the rate (429, or v1's rate-limit body), or the
  -- connection failed before the request went out. Anything else (a
  -- timeout, a reset after sending, a 5xx, a 2xx we cannot read) may have
  -- taken effect: one attempt, and err.uncertain.
  if plan.write then
    local certain_not = fields.rate_limited or fields.not_sent
    if not certain_not then
      fields.retryable = false
      if fields.kind ~= "api" or (fields.status and fields.status >= 500) then fields.uncertain = true end
    end
  end
  fields.not_sent = nil
  fields.attempts = attempts
  local pause
  if fields.retryable then
    pause = backoff(p, attempts, fields)
    if fields.rate_limited then
      -- every request of the client waits, not only this one
      local pz = p.pause
      local untl = now() + (pause < p.max_retry_after and pause or p.max_retry_after)
      pz.serial = pz.serial + 1
      if untl > pz.untl then pz.untl = untl end
      job.pause_seen = pz.serial
    end
    if attempts > p.max_retries or pause > p.max_retry_after then pause = nil end
  end
  job.rate_limited, fields.rate_limited = fields.rate_limited, nil -- not an error field
  local err = fail(p, plan, fields)
  if p.on_event then
    p.on_event{ method = job.req.method, url = p.display_url .. plan.path, endpoint = plan.path,
      status = err.status, duration = job.duration, attempt = attempts, pause = pause,
      error = err.kind, message = err.message }
  end
  return nil, err, pause
end

---------------------------------------------------------------------------
-- the attempt loop, written once; io says how to send and how to wait
---------------------------------------------------------------------------

-- Waits for the client-wide pause after a 429, then for the rate limiter
-- to book a send. A pause is over once any job has slept all that was left
-- of it (pz.served): with a real sleep that is when the clock says so, and
-- with a user's sleep that does not sleep (a test's, a virtual clock) the
-- pause is not waited for again by every later job. A newer 429 extends
-- the pause (a new serial) and is waited for anew.
local function wait_turn(p, job, io)
  while true do
    local pz = p.pause
    local serial, left = pz.serial, pz.untl - now()
    if left > 0 and pz.served ~= serial and job.pause_seen ~= serial then
      job.pause_seen = serial
      io.sleep(left)
      if pz.serial == serial then pz.served = serial end
    elseif p.limiter then
      local w = p.limiter:take()
      if w <= 0 then return end
      io.sleep(w)
    else
      return
    end
  end
end

-- Runs the job to its end: job.data, job.meta (or nil, err), job.done.
local function attempt(p, job, io)
  local started = now()
  local err
  while true do
    wait_turn(p, job, io)
    if p.closed then break end
    job.attempts = job.attempts + 1
    local t0 = now()
    local status, body, headers, extra, sent = io.send(job.req)
    job.duration = now() - t0
    local data, meta, pause = judge(p, job, status, body, headers, extra, sent)
    if data then
      meta.elapsed = now() - started
      job.data, job.meta = data, meta
      break
    end
    err = meta
    if not pause then break end
    local serial = p.pause.serial
    io.sleep(pause)
    if job.rate_limited and p.pause.serial == serial then p.pause.served = serial end
    if p.closed then break end
  end
  if not job.data then
    job.meta = err or fail(p, job.plan, { kind = "network", retryable = false, attempts = job.attempts,
                                          message = "the client was closed" })
  end
  job.done = true
  return job
end

-- A user's transport function: pcall, so that one that raises is a network
-- error, except an interrupt, which goes on up.
local function call_transport(transport, req)
  local res = { pcall(transport, req) }
  if not res[1] then
    if must_propagate(res[2]) then error(res[2], 0) end
    return nil, "transport raised: " .. tostring(res[2]), "network"
  end
  return unpack(res, 2, 6)
end

---------------------------------------------------------------------------
-- runs
---------------------------------------------------------------------------

local Run = {}
Run.__index = Run

local function no_feed() return nil end

--- run(p, k, feed) -> a run. feed() gives the next job to start, or nil
-- when there is none for now; it is asked whenever a place is free.
function M.run(p, k, feed)
  local backend = p.backend
  if backend == "plain" then k = 1 end
  -- how a job of a light thread or of a plain transport sends and waits
  local io = backend ~= "curl" and p.io
  if backend ~= "curl" and not io then
    io = { send = function(req) return call_transport(p.transport, req) end, sleep = p.sleep }
    p.io = io
  end
  return setmetatable({ p = p, k = k, feed = feed or no_feed, active = 0, backend = backend, io = io,
                        runnable = {}, timers = {}, inflight = {}, queue = {}, threads = {} }, Run)
end

--- M.job(p, plan) -> a job for plan.
function M.job(p, plan)
  return { plan = plan, attempts = 0, done = false, pause_seen = -1, req = {
    method = plan.method,
    url = p.base_url .. plan.path,
    headers = p.headers,
    body = plan.body,
    timeout = p.timeout,
    connect_timeout = p.connect_timeout,
    max_bytes = p.max_response_bytes,
    fresh = plan.write,     -- a write never shares a connection (lkeasy.c)
    write = plan.write,     -- the ngx transport: no resend of a write
  } }
end

-- the curl scheduler's yields
local SEND, SLEEP = {}, {}

local curl_io = {
  send = function(req) return co_yield(SEND, req) end,
  sleep = function(s) co_yield(SLEEP, s) end,
}

-- (No closure is made per job: LuaJIT cannot compile the creation of one.)
local function start(self, job)
  self.active = self.active + 1
  job.run = self
  local p = self.p
  if self.backend == "curl" then
    job.co = co_create(attempt)
    job.args = { n = 3, p, job, curl_io }
    self.runnable[#self.runnable + 1] = job
  elseif self.backend == "ngx" then
    local ngx = ngx -- luacheck: ignore 113
    local t, err = ngx.thread.spawn(attempt, p, job, self.io)
    if not t then error("linkup: cannot start a light thread: " .. tostring(err), 0) end
    job.thread = t
    self.threads[#self.threads + 1] = job
  else
    self.queue[#self.queue + 1] = job
  end
end

-- Starts jobs while there is a free place and the feed has one.
function Run:fill()
  while self.active < self.k do
    local job = self.feed()
    if not job then break end
    start(self, job)
  end
end

--- run:start(job): starts a job now, whatever the window (a refetch).
function Run:start(job)
  start(self, job)
end

local function finished(self, job)
  self.active = self.active - 1
  self.completed = self.completed + 1
  if job.on_done then job.on_done(job) end
end

-- curl: resumes a job with args; handles what it yields.
local function pack(...) return { n = select("#", ...), ... } end

local function resume(self, job, ...)
  local res = pack(co_resume(job.co, ...))
  while true do
    if not res[1] then
      local err = res[2]
      self:close()
      error(err, 0)
    end
    if co_status(job.co) == "dead" then
      job.co = nil
      finished(self, job)
      return
    end
    local what = res[2]
    if what == SEND then
      job.handle = self.p.transport:start(self, res[3])
      self.inflight[#self.inflight + 1] = job
      return
    elseif what == SLEEP then
      local s = res[3]
      s = s > 0 and s or 0
      self.timers[#self.timers + 1] = { job = job, at = now() + s, s = s, fresh = true }
      return
    end
    -- a yield that is not ours (a user's sleep or on_event yielding to the
    -- user's own scheduler): pass it up and hand back the answer
    res = pack(co_resume(job.co, co_yield(unpack(res, 2, res.n))))
  end
end

-- curl: resumes every runnable job.
local function resume_all(self)
  while #self.runnable > 0 do
    local job = remove(self.runnable, 1)
    local args = job.args
    job.args = nil
    if args then resume(self, job, unpack(args, 1, args.n)) else resume(self, job) end
  end
end

-- curl: waits for a transfer to end or a timer to come due.
local function block(self)
  local timers, t = self.timers, nil
  for i = 1, #timers do if not t or timers[i].at < t.at then t = timers[i] end end
  local transport = self.p.transport
  if #self.inflight > 0 then
    local left = t and t.at - now() or 1
    if left > 1 then left = 1 end -- look up now and then: a run may share the multi
    transport:wait(left > 0 and left or 0)
    local still = {}
    for _, job in ipairs(self.inflight) do
      if job.handle:state() == "done" then
        local h = job.handle
        job.handle = nil
        job.args = pack(transport:finish(h))
        self.runnable[#self.runnable + 1] = job
      else
        still[#still + 1] = job
      end
    end
    self.inflight = still
  elseif t then
    -- nothing in flight: the client's sleep (a user's, or one that returns
    -- at a signal); the timer is due once it returns. A timer set in this
    -- very step sleeps exactly what its job asked for.
    local left = t.fresh and t.s or t.at - now()
    if left > 0 then self.p.sleep(left) end
    t.at = -1
  else
    error("linkup: the engine has nothing to wait for (a bug)", 0)
  end
  local due, rest = now(), {}
  for _, x in ipairs(timers) do
    x.fresh = false
    if x.at <= due then self.runnable[#self.runnable + 1] = x.job else rest[#rest + 1] = x end
  end
  self.timers = rest
end

-- The client was closed under the run (by on_event, say): every job still
-- running ends with an error, nothing more is sent.
local function closed_under(self)
  local p, jobs = self.p, {}
  for _, job in ipairs(self.inflight) do jobs[#jobs + 1] = job end
  for _, job in ipairs(self.runnable) do jobs[#jobs + 1] = job end
  for _, t in ipairs(self.timers) do jobs[#jobs + 1] = t.job end
  for _, job in ipairs(self.queue) do jobs[#jobs + 1] = job end
  self.inflight, self.runnable, self.timers, self.queue = {}, {}, {}, {}
  self.feed = no_feed
  for _, job in ipairs(jobs) do
    if not job.done then
      job.meta = fail(p, job.plan, { kind = "network", retryable = false, attempts = job.attempts,
                                     message = "the client was closed" })
      job.done, job.co = true, nil
      finished(self, job)
    end
  end
end

--- run:step(): drives the run until at least one job has ended (and the
-- places it freed are taken). Returns false when there is nothing to run.
function Run:step()
  self:fill()
  if self.active == 0 then return false end
  if self.p.closed and self.backend == "curl" then
    self.completed = 0
    closed_under(self)
    return true
  end
  self.completed = 0
  if self.backend == "curl" then
    while true do
      resume_all(self)
      if self.completed > 0 then
        self:fill()
        resume_all(self)
        return true
      end
      if self.p.closed then closed_under(self) return true end
      block(self)
    end
  elseif self.backend == "ngx" then
    local ngx = ngx -- luacheck: ignore 113
    local ts = {}
    for i, job in ipairs(self.threads) do ts[i] = job.thread end
    local ok, job = ngx.thread.wait(unpack(ts))
    if not ok then
      self:close()
      error(job, 0)
    end
    for i, j in ipairs(self.threads) do
      if j == job then remove(self.threads, i) break end
    end
    finished(self, job)
    self:fill()
    return true
  else
    local job = remove(self.queue, 1)
    attempt(self.p, job, self.io)
    finished(self, job)
    return true
  end
end

--- run:wait(job): drives the run until job has ended.
function Run:wait(job)
  while not job.done do
    if not self:step() then error("linkup: waiting for a job that is not running (a bug)", 0) end
  end
end

--- run:drain(): drives the run until every job it has or will be fed ended.
function Run:drain()
  while self:step() do end
end

--- run:close(): abandons what is in flight (transfers cancelled, light
-- threads killed). Idempotent.
function Run:close()
  local transport = not self.p.closed and self.p.transport
  for _, job in ipairs(self.inflight) do
    if job.handle and transport and transport.cancel then transport:cancel(job.handle) end
    job.handle = nil
  end
  self.inflight, self.runnable, self.timers, self.queue = {}, {}, {}, {}
  if self.backend == "ngx" then
    for _, job in ipairs(self.threads) do ngx.thread.kill(job.thread) end -- luacheck: ignore 113
    self.threads = {}
  end
  self.active = 0
  self.feed = no_feed
end

--- call(p, plan) -> data, meta | nil, err: one request with its retries.
function M.call(p, plan)
  local job = M.job(p, plan)
  local run = M.run(p, 1)
  run:start(job)
  run:wait(job)
  if job.data then return job.data, job.meta end
  return nil, job.meta
end

return M
