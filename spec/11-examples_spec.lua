-- Every example in examples/ runs against the fake LinkupAPI, so none rots.
-- (examples/nginx.conf runs in spec/08.)
local H = require "helpers"

local LUA = os.getenv("LINKUP_LUA") or "lua5.4"

describe("examples", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  local function run(script, args, account)
    local cmd = string.format("env LUA_PATH=%s LUA_CPATH=%s LINKUP_API_KEY=%s LINKUP_BASE_URL=%s " ..
      "LINKUP_ACCOUNT_ID=%s %s examples/%s %s 2>&1; echo \"exit=$?\"",
      H.q(package.path), H.q(package.cpath), H.q(H.API_KEY), H.q(server.url), account or "acc-main",
      LUA, script, args or "")
    local out = H.sh(cmd, true)
    local body, rc = out:match("^(.*)exit=(%d+)\n$")
    return body, tonumber(rc)
  end

  it("list_connections.lua", function()
    local out, rc = run("list_connections.lua", "7")
    assert.equal(0, rc, out)
    assert.matches("1234 connections in all", out)
    assert.matches("\n   7  ", out)
    assert.matches("People you may know", out)
  end)

  it("export_csv.lua writes every connection", function()
    local path = os.tmpname()
    local out, rc = run("export_csv.lua", path, "acc-size-321")
    assert.equal(0, rc, out)
    local n = H.sh("python3 -c " .. H.q("import csv,sys; print(len(list(csv.reader(open(sys.argv[1],newline='',encoding='utf-8'))))-1)") ..
      " " .. path)
    os.remove(path)
    assert.equal("321\n", n)
  end)

  it("mutual_recommendations.lua keeps those with at least N", function()
    local out, rc = run("mutual_recommendations.lua", "45")
    assert.equal(0, rc, out)
    local shown = 0
    for line in out:gmatch("[^\n]+") do
      local n = line:match("^%s*(%d+)  ")
      if n then
        shown = shown + 1
        assert.is_true(tonumber(n) >= 45, line)
      end
    end
    local count = tonumber(out:match("(%d+) recommendations with at least 45"))
    assert.equal(count, shown)
    assert.is_true(count > 0)
  end)

  it("resume_walk.lua resumes after a failure with no duplicate and no gap", function()
    local path = os.tmpname()
    os.remove(path)
    server:fault{ path = "/v2/network", kind = "v2_error", status = 402, code = "INSUFFICIENT_CREDITS", skip = 2 }
    local out, rc = run("resume_walk.lua", path, "acc-size-450")
    assert.equal(1, rc, out)
    assert.matches("stopped at 200", out)
    out, rc = run("resume_walk.lua", path, "acc-size-450")
    assert.equal(0, rc, out)
    local seen = {}
    for line in io.lines(path) do
      local i = tonumber(line:match('"i":(%d+)'))
      assert.is_nil(seen[i], "duplicate " .. tostring(i))
      seen[i] = true
    end
    for i = 1, 450 do assert.is_true(seen[i], "missing " .. i) end
    os.remove(path)
  end)
end)
