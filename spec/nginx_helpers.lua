-- spec/nginx_helpers.lua: a real nginx for the specs (Debian's nginx with
-- libnginx-mod-http-lua, LuaJIT): a configuration template with @NAME@
-- placeholders, its own prefix and a free port, started, waited for, and
-- stopped with a look at its error log.
local H = require "helpers"
local assert = require "luassert"

local N = {}

local NGINX_MOD = "/usr/lib/nginx/modules/ngx_http_lua_module.so"
local root = H.sh("pwd"):gsub("%s+$", "")

--- available(): whether nginx and its Lua module are installed.
function N.available()
  return io.open(NGINX_MOD) ~= nil and os.execute("command -v nginx >/dev/null 2>&1")
end

--- free_port(): a port the kernel says is free now.
function N.free_port()
  return tonumber((H.sh("python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); " ..
                        "print(s.getsockname()[1])'")))
end

--- prefix(): a new directory for an nginx (with tmp/ and logs/).
function N.prefix()
  local p = os.tmpname()
  os.remove(p)
  H.sh("mkdir -p " .. p .. "/tmp " .. p .. "/logs")
  return p
end

--- N.MAIN: what a spec's configuration begins with (@NGINX_MAIN@): the
-- Lua module, @WORKERS@ workers (1 unless given), no daemon, its files in
-- the prefix.
N.MAIN = [[
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
worker_processes @WORKERS@;
daemon off;
pid @PREFIX@/nginx.pid;
error_log @PREFIX@/error.log warn;
events { worker_connections 256; }]]

local Nginx = {}
Nginx.__index = Nginx

--- start(template, subst[, prefix]) -> nginx. Fills PREFIX, PORT,
-- LINKUP_LUA and LINKUP_SO, and the caller's subst; builds linkup for
-- LuaJIT; waits until GET /ping answers 200 (the config must have it).
function N.start(template, subst, prefix)
  assert(select(2, H.sh("make -s LUA_VERSION=jit >/dev/null")), "LuaJIT build failed")
  prefix = prefix or N.prefix()
  local port = N.free_port()
  local all = { PREFIX = prefix, PORT = tostring(port), LINKUP_LUA = root .. "/lua", LINKUP_SO = root .. "/build/jit",
                WORKERS = "1" }
  for k, v in pairs(subst or {}) do all[k] = v end
  template = template:gsub("@NGINX_MAIN@", function() return N.MAIN end)
  local f = assert(io.open(prefix .. "/nginx.conf", "w"))
  f:write((template:gsub("@(%u[%u_]*)@", function(k) return assert(all[k], k) end)))
  f:close()
  local pid = H.sh(("env -u LD_PRELOAD -u ASAN_OPTIONS -u LSAN_OPTIONS nginx -p %s -c %s/nginx.conf " ..
    ">%s/stdout.log 2>&1 & echo $!"):format(prefix, prefix, prefix)):match("%d+")
  local ng = setmetatable({ prefix = prefix, port = port, pid = pid }, Nginx)
  for _ = 1, 100 do
    if H.sh("curl -s -o /dev/null -w '%{http_code}' --max-time 1 " .. ng:url("/ping")) == "200" then return ng end
    H.sleep(0.05)
  end
  error("nginx did not start: " .. H.sh("cat " .. prefix .. "/error.log " .. prefix .. "/stdout.log"))
end

--- nginx:url(path)
function Nginx:url(path) return "http://127.0.0.1:" .. self.port .. path end

--- nginx:stop(forbidden): stops it, removes its prefix, and checks its
-- error log has none of the patterns in forbidden (a Lua error in a
-- handler, a worker killed by a signal, ...).
function Nginx:stop(forbidden)
  if self.pid then H.sh("kill " .. self.pid .. " 2>/dev/null") end
  self.pid = nil
  H.sleep(0.2)
  local log = H.sh("cat " .. self.prefix .. "/error.log")
  H.sh("rm -rf " .. self.prefix)
  for _, pattern in ipairs(forbidden or {}) do assert.not_matches(pattern, log) end
end

return N
