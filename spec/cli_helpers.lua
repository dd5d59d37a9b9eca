-- spec/cli_helpers.lua: running bin/linkup as users do, for the specs of
-- its network and store commands: `linkup` on PATH (a wrapper that execs
-- the interpreter on the command under test, so its pid is linkup's), the
-- API key and the fake's address in the environment, and no account or
-- token there unless a spec gives one. LINKUP_CLI runs another command.
local H = require "helpers"
local cjson = require "cjson"

local C = {}

-- (busted's assert lives in the spec files' environment, not in this module's)
local function no_secret(s)
  if s:find("S3CRET", 1, true) then error("a secret in linkup's output: " .. s, 2) end
end

local LUA = os.getenv("LINKUP_LUA") or "lua5.4"
local ROOT = H.sh("pwd"):gsub("\n$", "")
local CLI = os.getenv("LINKUP_CLI") or "bin/linkup"
if not CLI:find("^/") then CLI = ROOT .. "/" .. CLI end
C.CLI = CLI

C.LUA, C.ROOT = LUA, ROOT

-- The sanitizer runtimes the suite may preload go to linkup only.
local function sanitizers()
  local pre = ""
  for _, v in ipairs{ "LD_PRELOAD", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS" } do
    if os.getenv(v) then pre = pre .. v .. "=" .. H.q(os.getenv(v)) .. " " end
  end
  return pre
end

C.sanitizers = sanitizers

function C.slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

function C.spit(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

--- C.records(text) -> the JSON lines of text, decoded.
function C.records(text)
  local out = {}
  for line in text:gmatch("[^\n]+") do out[#out + 1] = cjson.decode(line) end
  return out
end

local Bed = {}
Bed.__index = Bed

--- C.bed() -> a directory with `linkup` on its bin/; bed:cleanup() removes it.
function C.bed()
  local dir = H.sh("mktemp -d /tmp/linkup-cli.XXXXXX"):gsub("\n$", "")
  H.sh("mkdir " .. H.q(dir .. "/bin"))
  C.spit(dir .. "/bin/linkup", string.format("#!/bin/sh\nexec env %sLUA_PATH=%s LUA_CPATH=%s %s %s \"$@\"\n",
    sanitizers(), H.q(package.path), H.q(package.cpath), LUA, H.q(CLI)))
  H.sh("chmod +x " .. H.q(dir .. "/bin/linkup"))
  return setmetatable({ dir = dir }, Bed)
end

function Bed:cleanup()
  H.sh("chmod -R u+w " .. H.q(self.dir) .. " 2>/dev/null; rm -rf " .. H.q(self.dir))
end

function Bed:path(name) return self.dir .. "/" .. name end

-- The environment of a run against `server`.
function Bed:env(server, extra)
  return string.format("env PATH=%s:\"$PATH\" LINKUP_API_KEY=%s LINKUP_BASE_URL=%s LINKUP_ACCOUNT_ID= " ..
    "LINKUP_LOGIN_TOKEN= COLUMNS=100 %s", H.q(self.dir .. "/bin"), H.q(H.API_KEY), H.q(server.url), extra or "")
end

--- bed:run(server, line[, env]) -> stdout, stderr, exit code. line: a
-- shell command line (sh -c), e.g. "linkup invite ... | head -1".
function Bed:run(server, line, extra)
  local errf = os.tmpname()
  local out = H.sh(self:env(server, extra) .. " sh -c " .. H.q(line) .. " 2>" .. errf .. "; echo \"exit=$?\"")
  local e = C.slurp(errf)
  os.remove(errf)
  local body, rc = out:match("^(.*)exit=(%d+)\n$")
  no_secret(body .. e)
  return body, e, tonumber(rc)
end

--- bed:start(server, line) -> pid, finish: line runs in the background
-- (exec'd: pid is linkup's); finish() waits for it and returns stdout,
-- stderr and the exit code.
function Bed:start(server, line, extra)
  local pidf, rcf, outf, errf = os.tmpname(), os.tmpname(), os.tmpname(), os.tmpname()
  os.remove(pidf)
  os.remove(rcf)
  H.sh(string.format("( %s sh -c %s >%s 2>%s & echo $! >%s; wait $!; echo $? >%s ) </dev/null >/dev/null 2>&1 &",
    self:env(server, extra), H.q("exec " .. line), outf, errf, pidf, rcf))
  local pid
  for _ = 1, 100 do
    pid = C.slurp(pidf)
    if pid and pid:find("%d\n") then break end
    H.sleep(0.05)
  end
  os.remove(pidf)
  return pid:match("%d+"), function()
    local rc
    for _ = 1, 400 do
      rc = C.slurp(rcf)
      if rc and rc:find("%d") then break end
      H.sleep(0.05)
    end
    local out, err = C.slurp(outf), C.slurp(errf)
    for _, f in ipairs{ rcf, outf, errf } do os.remove(f) end
    no_secret(out .. err)
    return out, err, tonumber(rc)
  end
end

--- C.wait_for(fn[, seconds]): polls fn() until it is true (10 s at most).
function C.wait_for(fn, seconds)
  for _ = 1, (seconds or 10) * 20 do
    if fn() then return true end
    H.sleep(0.05)
  end
  return false
end

--- C.writes(server) -> the log entries of the write actions the fake received.
local WRITES = { invite = true, accept = true, decline = true, withdraw = true, ["accept-invitation"] = true,
                 ["withdraw-invitation"] = true }
function C.writes(server)
  local out = {}
  for _, e in ipairs(server:log()) do
    if WRITES[e.action] then out[#out + 1] = e end
  end
  return out
end

return C
