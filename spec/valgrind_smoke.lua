-- A short run of the C paths under valgrind (spec/run.sh, suite "valgrind"):
-- calls, every kind of failure, a walk, close and garbage collection, against
-- the fake LinkupAPI. valgrind decides pass or fail (errors, definite leaks);
-- this script only has to reach its end.
local H = require "helpers"
local server = H.start_server()
local ok, err = pcall(function()
  local c = H.client(server, { max_retries = 1 })
  assert(c:connections{ count = 50 })
  assert(c:recommendations{ count = 20 })
  local n = 0
  for _ in c:each_connection{ page_size = 200, limit = 700 } do n = n + 1 end
  assert(n == 700)
  local once = H.client(server, { max_retries = 0 })
  for _, f in ipairs{ { kind = "malformed" }, { kind = "html" }, { kind = "empty" }, { kind = "truncated" },
                      { kind = "close" }, { kind = "rate_limit", retry_after = "0" }, { kind = "echo" } } do
    server:fault(f)
    local d, e = once:connections{ count = 30 }
    assert(d == nil and H.linkup.is_error(e), f.kind)
  end
  local small = H.client(server, { max_response_bytes = 2048, max_retries = 0 })
  assert(not small:connections{ count = 100 })
  local slow = H.client(server, { timeout = 0.3, max_retries = 0 })
  server:fault{ kind = "stall", delay = 1 }
  assert(not slow:connections{})
  local v1 = H.client(server, { version = 1 })
  for _ in v1:each_recommendation{} do end
  server:fault{ kind = "v2_error", status = 503, code = "INTERNAL_ERROR" }
  assert(c:connections{})  -- one retry
  c:close()
  small, once = nil, nil -- luacheck: ignore 311 (dropped for the collector below)
  collectgarbage()
  collectgarbage()
end)
server:stop()
if not ok then
  io.stderr:write("valgrind smoke failed: ", tostring(err), "\n")
  os.exit(1)
end
print("valgrind smoke: ok")
