-- spec/helpers.lua: what the specs share. The fake LinkupAPI
-- (spec/fake/linkupapi.py) runs as a real HTTP server on 127.0.0.1; specs talk
-- to its control endpoints with the curl command, never through linkup, so
-- the test bed does not depend on the code under test.
local cjson = require "cjson"

local H = {}

-- Distinct, greppable secrets: a spec fails if one ever shows up in output.
H.API_KEY = "test-key-S3CRET-api-7f2b9c"
H.TOKEN = "tok-S3CRET-login-4d1e8a"
H.ACCOUNT = "acc-main"

-- Child processes must not inherit the sanitizer runtimes preloaded into
-- the interpreter under test.
local CLEAN_ENV = "env -u LD_PRELOAD -u ASAN_OPTIONS -u LSAN_OPTIONS -u UBSAN_OPTIONS"

-- Runs a shell command and returns its output, ok, code. Children do not
-- get the sanitizer runtimes the suite may preload (a preloaded pkill, for
-- one, hangs at exit) unless keep_env asks for them: a child interpreter
-- that loads the sanitized module needs them.
local function sh(cmd, keep_env)
  if not keep_env then cmd = CLEAN_ENV .. " sh -c '" .. cmd:gsub("'", "'\\''") .. "'" end
  local f = assert(io.popen(cmd, "r"))
  local out = f:read("*a")
  local ok, _, code = f:close()
  return out, ok, code
end
H.sh = sh

local function sleep(s) os.execute(CLEAN_ENV .. " sleep " .. tostring(s)) end
H.sleep = sleep

local function shell_quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
H.q = shell_quote

local Server = {}
Server.__index = Server

-- Starts a fake server; args is extra command-line text (e.g. "--latency 0.1").
function H.start_server(args)
  local portfile = os.tmpname()
  os.remove(portfile)
  local cmd = string.format("%s python3 spec/fake/linkupapi.py --port-file %s %s >/dev/null 2>&1 & echo $!",
    CLEAN_ENV, portfile, args or "")
  local pid = sh(cmd):match("%d+")
  local port
  for _ = 1, 200 do
    local f = io.open(portfile, "r")
    if f then
      port = tonumber(f:read("*a"))
      f:close()
      if port then break end
    end
    sleep(0.05)
  end
  os.remove(portfile)
  assert(port, "the fake LinkupAPI did not start")
  return setmetatable({ pid = pid, port = port, url = "http://127.0.0.1:" .. port }, Server)
end

function Server:stop()
  if self.pid then sh("kill " .. self.pid .. " 2>/dev/null") end
  self.pid = nil
end

-- A control request; returns the decoded JSON answer.
function Server:control(method, path, body)
  local cmd = string.format("%s curl -sS --max-time 10 -X %s %s", CLEAN_ENV, method, shell_quote(self.url .. path))
  if body then
    cmd = cmd .. " -H 'Content-Type: application/json' --data-binary " .. shell_quote(cjson.encode(body))
  end
  local out = sh(cmd)
  local ok, doc = pcall(cjson.decode, out)
  assert(ok, "bad control answer from " .. path .. ": " .. tostring(out))
  return doc
end

function Server:reset() return self:control("POST", "/_reset") end
function Server:fault(f) return self:control("POST", "/_fault", f) end
function Server:stats() return self:control("GET", "/_stats") end
function Server:log(since) return self:control("GET", "/_log" .. (since and ("?since=" .. since) or "")) end
function Server:config(c) return self:control("POST", "/_config", c) end
function Server:expected(kind, version, n, from, count)
  return self:control("GET", string.format("/_expected?kind=%s&version=%d&n=%d&from=%d&count=%d",
    kind, version, n, from, count))
end

-- Waits (up to 2 s) until the server has no client connection open; returns
-- the count it last saw.
function Server:wait_closed()
  local open
  for _ = 1, 40 do
    open = self:stats().open_connections
    if open == 0 then break end
    sleep(0.05)
  end
  return open
end

-- The most arrivals the fake's log shows in any window of `per` seconds
-- (requests its limiter refused do not count).
function H.most_in_window(entries, per)
  local t = {}
  for _, e in ipairs(entries) do if not e.rate_limited then t[#t + 1] = e.t_arrival end end
  table.sort(t)
  local most, j = 0, 1
  for i = 1, #t do
    while t[i] - t[j] >= per do j = j + 1 end
    if i - j + 1 > most then most = i - j + 1 end
  end
  return most
end

-- From the fake's log of a batch with slow calls (accounts "lat-1500")
-- among fast ones ("lat-100-"): the most requests it saw in flight, and how
-- many fast ones arrived before the first slow one was done (in waves the
-- fast ones behind a slow one wait for it; in a sliding window they don't).
function H.window_of(log)
  local most, slow_done, fast_before = 0, math.huge, 0
  for _, e in ipairs(log) do
    if e.inflight > most then most = e.inflight end
    if e.body:find("lat%-1500") then slow_done = math.min(slow_done, e.t_done) end
  end
  for _, e in ipairs(log) do
    if e.body:find("lat%-100%-") and e.t_arrival < slow_done then fast_before = fast_before + 1 end
  end
  return most, fast_before
end

-- The profile URLs of a list of items, to compare walks by identity.
function H.urls(items)
  local t = {}
  for i, it in ipairs(items) do t[i] = it.profile_url end
  return t
end

-- The request bodies the server received, decoded.
function Server:bodies(since)
  local out = {}
  for _, e in ipairs(self:log(since)) do out[#out + 1] = cjson.decode(e.body) end
  return out
end

local linkup = require "linkup"
H.linkup = linkup

-- Every error object the module builds, in every spec file, goes to
-- $LINKUP_ERRLOG (one line each: tostring and every field), for the last
-- spec to check for secrets. linkup.client calls Error.new through the
-- module table, so wrapping it here sees them all.
do
  local E = require "linkup.error"
  local path = os.getenv("LINKUP_ERRLOG")
  if path and not E._recorded then
    local new = E.new
    E.new = function(...)
      local e = new(...)
      local f = io.open(path, "a")
      if f then
        f:write((tostring(e) .. " | " .. H.dump(e)):gsub("\n", "\\n"), "\n")
        f:close()
      end
      return e
    end
    E._recorded = true
  end
end

-- Every error the specs see is kept here; a final spec checks that none of
-- them, nor their tostring, carries a secret.
H.seen_errors = {}
function H.keep(err)
  if type(err) == "table" then H.seen_errors[#H.seen_errors + 1] = err end
  return err
end

-- A client on the fake server. Retries pause through a recording sleep so
-- specs do not wait: the second value holds every pause asked for. Every
-- client of the suite shares one API key, so one shared send log: the
-- client-side rate limit is off unless a spec asks for it (the limiter's
-- own specs do, in spec/14).
function H.client(server, opts)
  opts = opts or {}
  local sleeps = {}
  local o = { api_key = H.API_KEY, base_url = server.url, sleep = function(s) sleeps[#sleeps + 1] = s end,
              rate_limit = false }
  for k, v in pairs(opts) do o[k] = v end
  if o.version == 1 or (o.login_token and not o.account_id) then
    o.login_token = o.login_token or H.TOKEN
  elseif not o.login_token then
    o.account_id = o.account_id or H.ACCOUNT
  end
  local c = linkup.new(o)
  return c, sleeps
end

-- Every value of a table (and nested tables) as one string, for secret checks.
function H.dump(v, seen)
  seen = seen or {}
  if type(v) ~= "table" then return tostring(v) end
  if seen[v] then return "" end
  seen[v] = true
  local parts = { tostring(v) }
  for k, x in pairs(v) do parts[#parts + 1] = H.dump(k, seen) .. "=" .. H.dump(x, seen) end
  local mt = getmetatable(v)
  if mt and mt.__tostring then parts[#parts + 1] = tostring(v) end
  return table.concat(parts, " ")
end

return H
