-- The LuaLS definitions (types/linkup.lua) and the reference (docs/) stay in
-- step with what the module exports: every public function and client
-- method is declared and documented, and nothing is declared that does not
-- exist.
local H = require "helpers"
local linkup = H.linkup

local function read(path) return assert(io.open(path)):read("*a") end

local function exported()
  local mod, methods = {}, {}
  for k, v in pairs(linkup) do if type(v) == "function" then mod[k] = true end end
  local c = linkup.new{ api_key = "k", account_id = "a", rate_limit = false }
  local mt = getmetatable(c)
  for k, v in pairs(mt) do
    if type(v) == "function" and not k:find("^__") then methods[k] = true end
  end
  c:close()
  return mod, methods
end

describe("types/linkup.lua and docs/reference.md", function()
  local meta = read("types/linkup.lua")
  local doc = read("docs/reference.md")
  local mod, methods = exported()

  it("is a LuaLS meta file that Lua can load", function()
    assert.matches("^%-%-%-@meta linkup", meta)
    assert.is_function((loadstring or load)(meta)) -- luacheck: ignore 113
  end)

  it("declares every module function and every client method, and nothing else", function()
    local declared_mod, declared_methods = {}, {}
    for name in meta:gmatch("\nfunction linkup%.([%w_]+)%(") do declared_mod[name] = true end
    for name in meta:gmatch("\nfunction Client:([%w_]+)%(") do declared_methods[name] = true end
    assert.same(mod, declared_mod)
    assert.same(methods, declared_methods)
  end)

  it("documents every module function and client method", function()
    for name in pairs(mod) do assert.matches("linkup%." .. name, doc, 1, false) end
    for name in pairs(methods) do
      assert.is_truthy(doc:find("client:" .. name, 1, true) or doc:find("client." .. name, 1, true), name)
    end
  end)

  it("declares and documents every option of linkup.new", function()
    local ok, err = pcall(linkup.new, { api_key = "k", nosuch = 1 })
    assert.is_false(ok)
    assert.matches("unknown option", err)
    -- the options linkup.new accepts: each one alone must not be "unknown"
    for opt in meta:match("@class linkup%.Options(.-)\n%-%-%-@class"):gmatch("@field ([%w_]+)%?") do
      local ok2, err2 = pcall(linkup.new, { api_key = "k", [opt] = 0 })
      if not ok2 then assert.not_matches("unknown option", err2, 1, true) end
      assert.matches("`" .. opt .. "`", doc, 1, true)
    end
  end)
end)
