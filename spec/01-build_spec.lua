-- The module builds, loads, exports only luaopen_*, and installs with
-- LuaRocks into a tree that `require "linkup"` loads with nothing else.
local H = require "helpers"

local suite = os.getenv("LINKUP_SUITE") or "lua5.4"

describe("the linkup module", function()
  local linkup = H.linkup

  it("loads as a C module with a version string", function()
    assert.is_table(linkup)
    assert.matches("^linkup %d+%.%d+%.%d+$", linkup._VERSION)
    assert.is_function(linkup.new)
    -- the loader that found it is the C one: no linkup.lua shadows it
    assert.is_nil(package.searchpath("linkup", package.path))
    assert.is_string(package.searchpath("linkup", package.cpath))
  end)

  it("sets no globals", function()
    for _, name in ipairs{ "linkup", "core", "Client", "priv" } do assert.is_nil(rawget(_G, name)) end
  end)

  it("exports only luaopen_* symbols", function()
    local so = package.searchpath("linkup", package.cpath)
    local out = H.sh("nm -D --defined-only " .. H.q(so))
    local names = {}
    for kind, name in out:gmatch("%x+ (%a) (%S+)") do
      if kind:match("[TDBR]") then names[#names + 1] = name end
    end
    assert.same({ "luaopen_linkup" }, names)
  end)

  it("links libcurl and not liblua", function()
    local so = package.searchpath("linkup", package.cpath)
    local out = H.sh("ldd " .. H.q(so))
    assert.matches("libcurl", out)
    assert.not_matches("liblua", out)
    assert.not_matches("libluajit", out)
  end)

  if suite == "lua5.4" then
    it("keeps a user's CFLAGS from dropping -fPIC and -fvisibility=hidden, clean under -Werror", function()
      local dir = os.tmpname()
      os.remove(dir)
      local out, ok = H.sh("make -s BUILD=" .. dir .. " CFLAGS=-O0 2>&1 && nm -D --defined-only " .. dir .. "/linkup.so")
      H.sh("rm -rf " .. dir)
      assert.is_true(ok, out)
      assert.matches("luaopen_linkup", out)
      assert.not_matches("lk_http_init", out)
    end)

    it("installs with make install into a DESTDIR", function()
      local dir = os.tmpname()
      os.remove(dir)
      local out, ok = H.sh("make -s install DESTDIR=" .. dir .. " PREFIX=/opt/lk 2>&1 && find " .. dir .. " -type f | sort")
      H.sh("rm -rf " .. dir)
      assert.is_true(ok, out)
      assert.matches("/opt/lk/lib/lua/5.4/linkup.so", out, 1, true)
      assert.matches("/opt/lk/share/lua/5.4/linkup/client.lua", out, 1, true)
      assert.matches("/opt/lk/bin/linkup", out, 1, true)
    end)

    it("installs with luarocks (builtin, --deps-mode none) from a clean clone and loads from the tree alone", function()
      local tmp = os.tmpname()
      os.remove(tmp)
      local script = table.concat({
        "set -e",
        "mkdir -p " .. tmp,
        -- a clean copy of the committed-or-not sources, without build/
        "tar --exclude=./build --exclude=./.git -cf - . | (mkdir -p " .. tmp .. "/src && cd " .. tmp .. "/src && tar xf -)",
        "cd " .. tmp .. "/src",
        "luarocks --lua-version 5.4 --tree " .. tmp .. "/tree make --deps-mode none rockspec/linkup-scm-1.rockspec >" .. tmp .. "/rocks.log 2>&1 || { cat " .. tmp .. "/rocks.log; exit 1; }",
        "cd /",
        "env -u LD_PRELOAD LUA_PATH=" .. H.q(tmp .. "/tree/share/lua/5.4/?.lua") ..
          " LUA_CPATH=" .. H.q(tmp .. "/tree/lib/lua/5.4/?.so;/usr/lib/x86_64-linux-gnu/lua/5.4/?.so") ..
          " lua5.4 -e 'local l = require \"linkup\"; print(l._VERSION, package.searchpath(\"linkup\", package.cpath))'",
        -- the command is installed too (a custom tree goes on the paths the
        -- LuaRocks way, with `luarocks path`)
        "eval \"$(luarocks --lua-version 5.4 --tree " .. tmp .. "/tree path)\"",
        "env -u LD_PRELOAD " .. tmp .. "/tree/bin/linkup --version",
      }, "\n")
      local out, ok = H.sh("sh -c " .. H.q(script) .. " 2>&1")
      H.sh("rm -rf " .. tmp)
      assert.is_true(ok, out)
      assert.matches("linkup %d+%.%d+%.%d+", out)
      assert.matches("/tree/lib/lua/5.4/linkup.so", out, 1, true)
      assert.matches("\nlinkup %d+%.%d+%.%d+\n$", out)
    end)
  end
end)
