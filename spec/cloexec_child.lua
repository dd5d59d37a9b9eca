-- spec/cloexec_child.lua URL KEY: opens a client's connection, then starts
-- a child (ls) and prints how many of the connection's TCP sockets the
-- child inherited ("tcp N, inherited M"). spec/30 runs it.
local url, key = arg[1], arg[2]
local linkup = require "linkup"
local f = assert(io.open("/proc/self/stat"))
local pid = f:read("*l"):match("^(%d+)")
f:close()
-- socket inodes among a process's descriptors, as a set
local function sockets(of)
  local set, p = {}, assert(io.popen("ls -l /proc/" .. of .. "/fd"))
  for line in p:lines() do
    local ino = line:match("socket:%[(%d+)%]")
    if ino then set[ino] = true end
  end
  p:close()
  return set
end
local before = sockets(pid)
local c = linkup.new{ api_key = key, base_url = url, account_id = "acc-size-3", rate_limit = false }
assert(c:connections{ count = 1 })
-- the connection: a socket opened since, and listed in /proc/net/tcp
local tcp = {}
for line in io.lines("/proc/net/tcp") do
  local ino = line:match("^%s*%d+:" .. string.rep("%s+%S+", 8) .. "%s+(%d+)")
  if ino then tcp[ino] = true end
end
local mine, n = {}, 0
for ino in pairs(sockets(pid)) do
  if not before[ino] and tcp[ino] then mine[ino] = true n = n + 1 end
end
local inherited = 0
for ino in pairs(sockets("self")) do if mine[ino] then inherited = inherited + 1 end end
print(string.format("tcp %d, inherited %d", n, inherited))
c:close()
