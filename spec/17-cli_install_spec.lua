-- Installing the command: `make install` writes linkup-<version> with the
-- interpreter line of that version, and linkup (a link) for the default
-- one; `make uninstall` takes away only what that version installed;
-- `luarocks make` installs a wrapper that runs once the tree is on the
-- paths. Everything goes to temporary directories (DESTDIR, --tree).
-- Packaging does not depend on the interpreter under test: it runs in
-- the lua5.4 suite only.
local H = require "helpers"

local SUITE = os.getenv("LINKUP_SUITE") or "lua5.4"

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("*a")
  f:close()
  return s
end

local function first_line(path) return (slurp(path) or ""):match("^[^\n]*") end

local function exists(path) return select(2, H.sh("test -e " .. H.q(path) .. " || test -L " .. H.q(path))) == true end

local function link_of(path) return (H.sh("readlink " .. H.q(path) .. " 2>/dev/null"):gsub("\n$", "")) end

describe("installing the command", function()
  local tmp, server
  setup(function()
    tmp = H.sh("mktemp -d /tmp/linkup-install.XXXXXX"):gsub("\n$", "")
    server = H.start_server()
  end)
  teardown(function()
    server:stop()
    H.sh("rm -rf " .. H.q(tmp))
  end)

  -- make TARGET VAR=value...; returns its output, and whether it succeeded
  local function make(args)
    local out, ok = H.sh("make -s " .. args .. " 2>&1")
    return out, ok
  end

  if SUITE ~= "lua5.4" then
    it("(packaging runs in the lua5.4 suite)", function() pending("packaging runs in the lua5.4 suite") end)
    return
  end

  it("gives each version its own command and interpreter line, linkup the default's", function()
    local dest = tmp .. "/make"
    local bin, share = dest .. "/usr/local/bin", dest .. "/usr/local/share/lua"
    local out, ok = make("install DESTDIR=" .. H.q(dest))
    assert.is_true(ok, out)
    out, ok = make("install LUA_VERSION=jit DESTDIR=" .. H.q(dest))
    assert.is_true(ok, out)
    assert.equal("#!/usr/bin/env lua5.4", first_line(bin .. "/linkup-5.4"))
    assert.equal("#!/usr/bin/env luajit", first_line(bin .. "/linkup-jit"))   -- was lua5.4
    assert.equal("linkup-5.4", link_of(bin .. "/linkup"))
    -- the rest of the launcher is bin/linkup's
    assert.equal((slurp("bin/linkup"):gsub("^[^\n]*", "")), (slurp(bin .. "/linkup-jit"):gsub("^[^\n]*", "")))
    -- every module of the command, for both
    for file in H.sh("ls lua/linkup/cli"):gmatch("[^\n]+") do
      assert.equal(slurp("lua/linkup/cli/" .. file), slurp(share .. "/5.4/linkup/cli/" .. file), file)
      assert.equal(slurp("lua/linkup/cli/" .. file), slurp(share .. "/5.1/linkup/cli/" .. file), file)
    end
    -- each runs by its own interpreter line (LUA_INIT names the one that
    -- runs it), from the installed modules
    local function version(cmd, abi)
      return (H.sh(string.format("env LUA_INIT=%s LUA_PATH=%s LUA_CPATH=%s %s --version 2>&1",
        H.q("io.stderr:write(rawget(_G, 'jit') and jit.version or _VERSION, '\\n')"),
        H.q(share .. "/" .. abi .. "/?.lua;;"), H.q(dest .. "/usr/local/lib/lua/" .. abi .. "/?.so;;"), H.q(cmd))))
    end
    assert.matches("^Lua 5%.4\nlinkup %d+%.%d+%.%d+\n$", version(bin .. "/linkup", "5.4"))
    assert.matches("^LuaJIT 2[^\n]*\nlinkup %d+%.%d+%.%d+\n$", version(bin .. "/linkup-jit", "5.1"))
  end)

  it("writes the interpreter line of lua5.1 to lua5.4 and luajit", function()
    for v, lua in pairs{ ["5.1"] = "lua5.1", ["5.2"] = "lua5.2", ["5.3"] = "lua5.3", ["5.4"] = "lua5.4",
                         jit = "luajit" } do
      local out = make("-n install LUA_VERSION=" .. v .. " DESTDIR=" .. H.q(tmp .. "/dry"))
      assert.truthy(out:find("sed '1s|.*|#!/usr/bin/env " .. lua .. "|' bin/linkup > " .. tmp ..
        "/dry/usr/local/bin/linkup-" .. v, 1, true), v .. ":\n" .. out)
    end
  end)

  it("uninstalls only what that version installed", function()
    local dest = tmp .. "/un"
    local bin = dest .. "/usr/local/bin"
    assert.is_true(select(2, make("install DESTDIR=" .. H.q(dest))))
    assert.is_true(select(2, make("install LUA_VERSION=jit DESTDIR=" .. H.q(dest))))
    local out, ok = make("uninstall LUA_VERSION=jit DESTDIR=" .. H.q(dest))
    assert.is_true(ok, out)
    assert.is_false(exists(bin .. "/linkup-jit"))
    assert.equal("linkup-5.4", link_of(bin .. "/linkup"))     -- was removed with jit's
    assert.is_true(exists(bin .. "/linkup-5.4"))
    assert.is_true(select(2, make("uninstall DESTDIR=" .. H.q(dest))))
    assert.is_false(exists(bin .. "/linkup"))
    assert.is_false(exists(bin .. "/linkup-5.4"))
    -- linkup made luajit's on purpose stays when 5.4 goes
    assert.is_true(select(2, make("install DESTDIR=" .. H.q(dest))))
    assert.is_true(select(2, make("install LUA_VERSION=jit CLI_LINK=yes DESTDIR=" .. H.q(dest))))
    assert.equal("linkup-jit", link_of(bin .. "/linkup"))
    assert.is_true(select(2, make("uninstall DESTDIR=" .. H.q(dest))))
    assert.equal("linkup-jit", link_of(bin .. "/linkup"))
    assert.is_true(select(2, make("uninstall LUA_VERSION=jit DESTDIR=" .. H.q(dest))))
    assert.is_false(exists(bin .. "/linkup"))
    -- an older install's copy goes with the version it runs
    H.sh("mkdir -p " .. H.q(bin) .. " && sed '1s|.*|#!/usr/bin/env lua5.4|' bin/linkup > " .. H.q(bin .. "/linkup"))
    assert.is_true(select(2, make("uninstall LUA_VERSION=jit DESTDIR=" .. H.q(dest))))
    assert.is_true(exists(bin .. "/linkup"))
    assert.is_true(select(2, make("uninstall DESTDIR=" .. H.q(dest))))
    assert.is_false(exists(bin .. "/linkup"))
  end)

  it("luarocks make: a wrapper that runs once the tree is on the paths", function()
    -- in a copy: luarocks builds the C module in the source directory
    local src, tree = tmp .. "/src", tmp .. "/tree"
    H.sh(string.format("mkdir -p %s && tar -cf - bin csrc lua rockspec docs types | tar -C %s -xf -", H.q(src), H.q(src)))
    local out, ok = H.sh(string.format("cd %s && luarocks --lua-version 5.4 --tree %s make --deps-mode none " ..
      "rockspec/linkup-scm-1.rockspec 2>&1", H.q(src), H.q(tree)))
    assert.is_true(ok, out)
    local wrapper = slurp(tree .. "/bin/linkup")
    assert.matches("^#!/bin/sh\n", wrapper)
    assert.matches("lua5%.4", wrapper)
    assert.matches("rocks%-5%.4/linkup/scm%-1/bin/linkup", wrapper)
    local env = string.format("eval \"$(luarocks --lua-version 5.4 --tree %s path)\"; LINKUP_API_KEY=%s " ..
      "LINKUP_BASE_URL=%s ", H.q(tree), H.q(H.API_KEY), H.q(server.url))
    out = (H.sh(env .. H.q(tree .. "/bin/linkup") .. " --version"))
    assert.matches("^linkup %d+%.%d+%.%d+\n$", out)
    out = H.sh(env .. H.q(tree .. "/bin/linkup") .. " connections --account acc-size-3 -f csv --fields name")
    assert.equal("name\r\nLinda Källqvist #0\r\nJosé Ñúñez #1\r\nZoë Ämbre #2\r\n", out)
    -- and off the paths, one line, no traceback
    out, ok = H.sh(H.q(tree .. "/bin/linkup") .. " --version 2>&1")
    assert.is_not_true(ok)
    assert.matches("^linkup: cannot load linkup%.cli%.main: [^\n]*\n$", out)
  end)
end)
