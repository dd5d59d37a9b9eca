-- The engine under OpenResty (issue 10, points 1-3): in a real nginx with
-- two workers, a batch and a concurrent walk keep k requests in flight in
-- light threads (a sliding window), and a rate limit in a lua_shared_dict
-- is one limit for every worker. Proved from the fake's log.
local H = require "helpers"
local N = require "nginx_helpers"
local cjson = require "cjson"

if (os.getenv("LINKUP_SUITE") or "luajit") ~= "luajit" then return end

local CONF = [[
@NGINX_MAIN@
http {
    access_log off;
    client_body_temp_path @PREFIX@/tmp;
    lua_package_path "@LINKUP_LUA@/?.lua;;";
    lua_package_cpath "@LINKUP_SO@/?.so;;";
    lua_shared_dict linkup_limits 1m;
    init_by_lua_block { linkup = require "linkup"; cjson = require "cjson.safe" }
    server {
        listen 127.0.0.1:@PORT@ reuseport;
        location = /batch {
            content_by_lua_block {
                local c = linkup.new{ api_key = "@KEY@", base_url = "@URL@", transport = "ngx", rate_limit = false }
                local calls = {}
                for i = 1, 12 do
                    local lat = i <= 2 and 1500 or 100
                    calls[i] = { "connections", { account_id = ("acc-n%d-lat-%d-size-50"):format(i, lat), count = 5 } }
                end
                local ok = 0
                for _, r in ipairs(c:batch(calls, { concurrency = 4 })) do if r.data then ok = ok + 1 end end
                ngx.say(cjson.encode{ ok = ok })
            }
        }
        location = /walk {
            content_by_lua_block {
                local c = linkup.new{ api_key = "@KEY@", base_url = "@URL@", account_id = "acc-size-1500",
                                      transport = "ngx", rate_limit = false }
                local n, in_order, last = 0, true, 0
                for i, p in c:each_connection{ page_size = 100, concurrency = 4 } do
                    n = n + 1
                    if i ~= last + 1 or p.profile_url ~= ("https://www.linkedin.com/in/person-%d/"):format(i - 1) then
                        in_order = false
                    end
                    last = i
                end
                ngx.say(cjson.encode{ n = n, in_order = in_order })
            }
        }
        location = /limited {
            content_by_lua_block {
                local rl = ngx.var.arg_shared == "1" and { requests = 5, per = 1, margin = 0.05,
                                                           shared_dict = "linkup_limits" } or false
                local c = linkup.new{ api_key = "@KEY@", base_url = "@URL@", account_id = "acc-size-20",
                                      transport = "ngx", rate_limit = rl, max_retries = 0 }
                local ok, limited, errs = 0, 0, {}
                for _ = 1, 4 do
                    local d, err = c:connections{ count = 1 }
                    if d then ok = ok + 1
                    elseif err.status == 429 then limited = limited + 1
                    else errs[#errs + 1] = tostring(err) end
                end
                ngx.say(cjson.encode{ ok = ok, limited = limited, pid = ngx.worker.pid(), errors = errs })
            }
        }
        location = /ping { return 200 "ok"; }
    }
}
]]


describe("the engine in a real nginx (light threads, a shared limit)", function()
  if not N.available() then
    it("needs nginx and libnginx-mod-http-lua", function() error("nginx or its lua module is missing") end)
    return
  end
  local server, ng

  local function url(path) return ng:url(path) end

  setup(function()
    server = H.start_server()
    ng = N.start(CONF, { URL = server.url, KEY = H.API_KEY, WORKERS = "2" })
  end)

  teardown(function()
    if server then server:stop() end
    if ng then ng:stop{ "lua entry thread aborted", "%[alert%]", "ngx.sleep%(0%)" } end
  end)

  before_each(function() server:reset() end)

  it("a batch keeps 4 in flight and fills a place at once while slow calls run", function()
    local doc = cjson.decode((H.sh("curl -s --max-time 20 " .. url("/batch"))))
    assert.equal(12, doc.ok)
    local most, fast_before = H.window_of(server:log())
    assert.is_true(most <= 4, "in flight: " .. most)
    assert.equal(10, fast_before)
    assert.equal(4, server:stats().max_inflight)
  end)

  it("a concurrent walk yields every item once, in order", function()
    server:config{ latency = 0.02, latency_jitter = 0.05 }
    local doc = cjson.decode((H.sh("curl -s --max-time 20 " .. url("/walk"))))
    assert.equal(1500, doc.n)
    assert.is_true(doc.in_order)
    assert.equal(4, server:stats().max_inflight)
  end)

  it("a limit in a lua_shared_dict holds for both workers together: 0 429s", function()
    server:config{ rate_limit = { requests = 5, per = 1 } }
    -- 6 requests at once, 4 calls each, spread over the two workers
    local function burst(shared)
      local outs = {}
      for i = 1, 6 do
        outs[i] = os.tmpname()
        H.sh(("curl -s --max-time 30 %s > %s &"):format(H.q(url("/limited?shared=" .. shared)), outs[i]))
      end
      local docs = {}
      for i = 1, 6 do
        for _ = 1, 300 do
          local text = assert(io.open(outs[i])):read("*a")
          if text:find("}") then docs[i] = cjson.decode(text) break end
          H.sleep(0.05)
        end
        os.remove(outs[i])
      end
      return docs
    end
    -- (repeated until both workers took part: the kernel spreads
    -- connections, it does not promise to)
    local pids, ok, workers, bursts = {}, 0, 0, 0
    repeat
      bursts = bursts + 1
      for _, d in ipairs(burst("1")) do
        ok = ok + d.ok
        assert.same({}, d.errors)
        if not pids[d.pid] then pids[d.pid], workers = true, workers + 1 end
      end
    until workers == 2 or bursts == 4
    assert.equal(24 * bursts, ok)
    assert.equal(0, server:stats().rate_limited)
    assert.is_true(H.most_in_window(server:log(), 1) <= 5)
    assert.is_true(workers == 2, "the bursts reached " .. workers .. " worker(s)")
    -- the same burst without the client's limit meets the server's
    server:reset()
    server:config{ rate_limit = { requests = 5, per = 1 } }
    local limited = 0
    for _, d in ipairs(burst("0")) do limited = limited + d.limited end
    assert.is_true(limited > 0)
  end)
end)
