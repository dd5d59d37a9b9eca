-- linkup.cli.fields: which fields of an item an export writes.
--
-- A command documents its items' fields as paths ("name", and dotted ones
-- such as "sender.first_name" for a field of a nested object). --fields
-- takes documented paths, or the head of some ("sender": the whole
-- object); anything else is a usage error that lists what there is, so a
-- typo never exports empty columns.

local errors = require "linkup.cli.errors"

local concat, type = table.concat, type

local M = {}

-- "a.b.c" -> { "a", "b", "c" }
local function split(path)
  local keys = {}
  for k in path:gmatch("[^.]+") do keys[#keys + 1] = k end
  return keys
end

-- Whether `path` is documented, or the head of a documented path.
local function known(documented, path)
  for _, d in ipairs(documented) do
    if d == path or d:sub(1, #path + 1) == path .. "." then return true end
  end
  return false
end

--- select(text, documented, command) -> a selection { paths, keys, whole }.
-- text: the --fields value, or nil for every documented field; `whole`
-- says that the JSON formats write items whole (no --fields).
function M.select(text, documented, command)
  local paths = {}
  if text == nil then
    for i, d in ipairs(documented) do paths[i] = d end
  else
    for f in text:gmatch("[^,]+") do
      f = f:match("^%s*(.-)%s*$")
      if f ~= "" then
        if not known(documented, f) then
          errors.usage("unknown field '%s' for %s; the fields are: %s", f, command, concat(documented, ", "))
        end
        paths[#paths + 1] = f
      end
    end
    if #paths == 0 then errors.usage("--fields names no field") end
  end
  local keys = {}
  for i, p in ipairs(paths) do keys[i] = split(p) end
  return { paths = paths, keys = keys, whole = text == nil }
end

--- get(item, keys) -> the value at a path (nil when any step is missing).
function M.get(item, keys)
  local v = item
  for i = 1, #keys do
    if type(v) ~= "table" then return nil end
    v = v[keys[i]]
  end
  return v
end

--- pick(item, selection) -> a table with only the selected fields, nested
-- as in the item ({ sender = { first_name = ... } }).
function M.pick(item, sel)
  local out = {}
  for _, keys in ipairs(sel.keys) do
    local v = M.get(item, keys)
    if v ~= nil then
      local t = out
      for i = 1, #keys - 1 do
        if type(t[keys[i]]) ~= "table" then t[keys[i]] = {} end
        t = t[keys[i]]
      end
      t[keys[#keys]] = v
    end
  end
  return out
end

return M
