-- The network family's examples (issue 12, point 7), each run against the
-- fake: a dry run first (it plans and prices, and sends no write), then for
-- real (the fake's state shows the effect).
local H = require "helpers"
local cjson = require "cjson"

local LUA = os.getenv("LINKUP_LUA") or "lua5.4"

local function lines(out)
  local t = {}
  for l in out:gmatch("[^\n]+") do
    if l:sub(1, 1) == "{" then t[#t + 1] = cjson.decode(l) end
  end
  return t
end

describe("network examples", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  local function run(script, args, env)
    local cmd = string.format("env LUA_PATH=%s LUA_CPATH=%s LINKUP_API_KEY=%s LINKUP_BASE_URL=%s %s %s examples/%s %s" ..
      " 2>%s; echo \"exit=$?\"", H.q(package.path), H.q(package.cpath), H.q(H.API_KEY), H.q(server.url),
      env, LUA, script, args or "", "/tmp/linkup-example-err")
    local out = H.sh(cmd, true)
    local body, rc = out:match("^(.*)exit=(%d+)\n$")
    local err = H.sh("cat /tmp/linkup-example-err")
    return body, tonumber(rc), err
  end

  local function writes(action)
    local n = 0
    for _, e in ipairs(server:log()) do if e.action == action then n = n + 1 end end
    return n
  end

  it("invite_mutual.lua: the plan and its price, then the invites, each once", function()
    local out, rc, err = run("invite_mutual.lua", "20", "LINKUP_ACCOUNT_ID=acc-m-size-100")
    assert.equal(0, rc, err)
    local plan = lines(out)
    assert.is_true(#plan > 0)
    for _, l in ipairs(plan) do
      assert.equal("planned", l.outcome)
      assert.is_true(l.mutual >= 20)
    end
    assert.matches("would cost " .. #plan .. " credits", err)
    assert.equal(0, writes("invite"))
    out, rc, err = run("invite_mutual.lua", "20 --send", "LINKUP_ACCOUNT_ID=acc-m-size-100")
    assert.equal(0, rc, err)
    local done = lines(out)
    assert.equal(#plan, #done)
    for _, l in ipairs(done) do assert.equal("ok", l.outcome) end
    assert.equal(#plan, writes("invite"))
    local st = server:control("GET", "/_state?account=acc-m-size-100")
    assert.equal(done[#done].profile_url, st.sent[1].profile_url)
    assert.not_matches("S3CRET", out .. err)
  end)

  it("withdraw_old.lua: only the old pending ones, v2 (ids from the URN) and v1 (ids exact)", function()
    local st = server:control("GET", "/_state?account=acc-sent-40")
    local old = 0
    for _, s in ipairs(st.sent) do if s.sent_time_days > 14 then old = old + 1 end end
    assert.is_true(old > 0 and old < 40)
    local out, rc, err = run("withdraw_old.lua", "14", "LINKUP_ACCOUNT_ID=acc-sent-40")
    assert.equal(0, rc, err)
    assert.equal(old, #lines(out))
    assert.equal(0, writes("withdraw"))
    out, rc, err = run("withdraw_old.lua", "14 --send", "LINKUP_ACCOUNT_ID=acc-sent-40")
    assert.equal(0, rc, err)
    for _, l in ipairs(lines(out)) do assert.equal("ok", l.outcome, l.error) end
    st = server:control("GET", "/_state?account=acc-sent-40")
    assert.equal(40 - old, #st.sent)
    for _, s in ipairs(st.sent) do assert.is_true(s.sent_time_days <= 14) end
    -- v1: sent_time is free text; ids are 19-digit numbers, sent back exact
    out, rc, err = run("withdraw_old.lua", "6 --send", "LINKUP_LOGIN_TOKEN=tok-sent-25")
    assert.equal(0, rc, err)
    local v1 = lines(out)
    assert.is_true(#v1 > 0)
    for _, l in ipairs(v1) do assert.equal("ok", l.outcome, l.error) end
  end)

  it("accept_all.lua: every pending invitation, read first, then accepted once", function()
    local out, rc, err = run("accept_all.lua", "", "LINKUP_ACCOUNT_ID=acc-inv-23")
    assert.equal(0, rc, err)
    assert.equal(23, #lines(out))
    assert.matches("would cost 23 credits", err)
    out, rc, err = run("accept_all.lua", "--send", "LINKUP_ACCOUNT_ID=acc-inv-23")
    assert.equal(0, rc, err)
    local done = lines(out)
    assert.equal(23, #done)
    for _, l in ipairs(done) do assert.equal("ok", l.outcome, l.error) end
    assert.equal(0, #server:control("GET", "/_state?account=acc-inv-23").received)
    assert.equal(23, writes("accept"))
  end)
end)
