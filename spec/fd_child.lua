-- spec/fd_child.lua URL KEY N: N requests, each on a new client dropped
-- without close(); prints the failures and the most descriptors the process
-- had open (counted in /proc/<pid>/fd every 50 requests). spec/30 runs it
-- under `ulimit -n 256`, in the suite's interpreter.
local url, key, n = arg[1], arg[2], tonumber(arg[3] or "2000")
local linkup = require "linkup"
local f = assert(io.open("/proc/self/stat"))
local pid = f:read("*l"):match("^(%d+)")
f:close()
local function open_fds()
  local p = assert(io.popen("ls /proc/" .. pid .. "/fd | wc -l"))
  local k = tonumber(p:read("*a")) - 1 -- less this very popen's pipe
  p:close()
  return k
end
local failures, most, first = 0, 0, nil
local before = open_fds()
for i = 1, n do
  local c = linkup.new{ api_key = key, base_url = url, account_id = "acc-size-3", rate_limit = false, max_retries = 0 }
  local data, err = c:connections{ count = 1 }
  if not data then
    failures = failures + 1
    first = first or tostring(err)
  end
  if i % 50 == 0 then
    local k = open_fds()
    if k > most then most = k end
  end
end
print(string.format("requests %d, failures %d, descriptors %d before, %d at most%s", n, failures, before, most,
  first and (", first error: " .. first) or ""))
