-- A rate limit several hosts share (issue 10, point 2): the README's
-- example, examples/redis_rate_limit.lua, in two processes (two hosts, as
-- far as linkup can tell) against one Redis on loopback and a fake whose
-- limit is 5 requests a second: together they meet 0 429s. (It caught two
-- bugs of the example's own: bookings overwrote each other when their
-- members repeated, within 10 ms, or between two processes started
-- together under the sanitizers.)
local H = require "helpers"

local LUA = os.getenv("LINKUP_LUA") or "lua5.4"

describe("a take(key) object several hosts share (examples/redis_rate_limit.lua)", function()
  local server, redis_pid, redis_port
  setup(function()
    server = H.start_server()
    redis_port = tonumber((H.sh("python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); " ..
                                "print(s.getsockname()[1])'")))
    redis_pid = H.sh(("redis-server --bind 127.0.0.1 --port %d --save '' --appendonly no >/dev/null 2>&1 & echo $!")
      :format(redis_port)):match("%d+")
    for _ = 1, 100 do
      if H.sh(("redis-cli -p %d ping 2>/dev/null"):format(redis_port)):find("PONG") then return end
      H.sleep(0.05)
    end
    error("redis-server did not start")
  end)
  teardown(function()
    if redis_pid then H.sh("kill " .. redis_pid .. " 2>/dev/null") end
    server:stop()
  end)

  it("keeps two processes together under one limit", function()
    server:config{ rate_limit = { requests = 5, per = 1 } }
    local script = ([[
local linkup = require "linkup"
local shared = dofile("examples/redis_rate_limit.lua").new{ port = %d, requests = 5, per = 1, margin = 0.2 }
local c = linkup.new{ api_key = %q, base_url = %q, account_id = "acc-size-30", rate_limit = shared,
                      max_retries = 0 }
local ok = 0
for _ = 1, 6 do
  local d, err = c:connections{ count = 1 }
  if d then ok = ok + 1 else io.stderr:write(tostring(err), "\n") end
end
print("ok " .. ok)]]):format(redis_port, H.API_KEY, server.url)
    local cpath = package.cpath:match("^[^;]+")
    local cmd = ("LUA_PATH=%s LUA_CPATH=%s %s -e %s"):format(H.q("lua/?.lua;;"), H.q(cpath .. ";;"), LUA, H.q(script))
    H.sh(("(%s) > /tmp/linkup-shared-a 2>&1 & (%s) > /tmp/linkup-shared-b 2>&1; wait"):format(cmd, cmd),
      true)
    local a, b = H.sh("cat /tmp/linkup-shared-a"), H.sh("cat /tmp/linkup-shared-b")
    os.remove("/tmp/linkup-shared-a")
    os.remove("/tmp/linkup-shared-b")
    assert.equal("ok 6\n", a, a)
    assert.equal("ok 6\n", b, b)
    assert.equal(0, server:stats().rate_limited)
    assert.equal(12, server:stats().requests)
    assert.is_true(H.most_in_window(server:log(), 1) <= 5)
  end)
end)
