-- Packaging (issue 13, point 3): both rockspecs list exactly the module's
-- files (C sources as the Makefile builds them, every Lua module), differ
-- only in version and source, claim the license that is in the repo, and
-- `make install` puts the LuaLS types beside the modules.
local H = require "helpers"

local function read(path) return assert(io.open(path)):read("*a") end

local function rockspec(path)
  local env = {}
  assert((loadstring or load)(read(path), path, "t", env))() -- luacheck: ignore 113
  if setfenv then -- Lua 5.1: load has no env argument
    local chunk = assert(loadstring(read(path)))        -- luacheck: ignore 113
    setfenv(chunk, env)
    chunk()
  end
  return env
end

describe("packaging", function()
  local scm = rockspec("rockspec/linkup-scm-1.rockspec")
  local rel = rockspec("rockspec/linkup-0.1.0-1.rockspec")

  it("the rockspecs list every Lua module and C source there is, and nothing else", function()
    local want = {}
    for f in H.sh("cd lua && ls linkup/*.lua linkup/cli/*.lua"):gmatch("%S+") do
      want[f:gsub("%.lua$", ""):gsub("/", ".")] = "lua/" .. f
    end
    local got, sources = {}, nil
    for name, v in pairs(scm.build.modules) do
      if name == "linkup" then
        sources = {}
        for i, f in ipairs(v.sources) do sources[i] = f end
      else
        got[name] = v
      end
    end
    assert.same(want, got)
    local make = read("Makefile"):match("\nSRCS%s*=%s*(.-)\n%S")
    local built = {}
    for f in make:gmatch("csrc/[%w_]+%.c") do built[#built + 1] = f end
    table.sort(built)
    table.sort(sources)
    assert.same(built, sources)
  end)

  it("the release rockspec is the scm one with a version and a tag", function()
    assert.equal("0.1.0-1", rel.version)
    assert.equal("v0.1.0", rel.source.tag)
    assert.same(scm.build, rel.build)
    assert.same(scm.dependencies, rel.dependencies)
    assert.same(scm.description, rel.description)
    assert.equal("MIT", scm.description.license)
    assert.matches("^MIT License", read("LICENSE"))
    assert.matches(rel.version:match("^[%d.]+"), require("linkup")._VERSION, 1, true)
  end)

  if (os.getenv("LINKUP_SUITE") or "lua5.4") == "lua5.4" then
    it("one module serves Lua 5.1 and LuaJIT, which share lib/lua/5.1: only the 5.1 API is used", function()
      local out, ok = H.sh("make -s LUA_VERSION=jit 2>&1")
      assert.is_true(ok, out)
      local liblua = H.sh("ls /usr/lib/*/liblua5.1.so.0 2>/dev/null | head -n 1"):gsub("%s+$", "")
      assert.is_true(liblua ~= "", "liblua5.1 is missing")
      local have = {}
      for name in H.sh("nm -D --defined-only " .. liblua):gmatch("%x+ %a ([%w_]+)") do have[name] = true end
      local used = 0
      for name in H.sh("nm -D --undefined-only build/jit/linkup.so"):gmatch("U (lua[%w_]*)") do
        assert.is_true(have[name], name .. " is not in PUC Lua 5.1")
        used = used + 1
      end
      assert.is_true(used > 20)
    end)

    it("make install puts the LuaLS types beside the modules, and uninstall takes them away", function()
      local dir = os.tmpname()
      os.remove(dir)
      local out, ok = H.sh("make -s install DESTDIR=" .. dir .. " PREFIX=/usr 2>&1")
      assert.is_true(ok, out)
      assert.equal(read("types/linkup.lua"), read(dir .. "/usr/share/lua/5.4/linkup/types/linkup.lua"))
      out, ok = H.sh("make -s uninstall DESTDIR=" .. dir .. " PREFIX=/usr 2>&1")
      assert.is_true(ok, out)
      assert.is_nil(io.open(dir .. "/usr/share/lua/5.4/linkup/types/linkup.lua"))
      H.sh("rm -rf " .. dir)
    end)
  end
end)
