-- linkup.store_error: the store's error objects and its misuse errors,
-- shared by linkup.store and the modules on top of it (sync, changes,
-- invites).
--
-- A runtime failure is returned as nil, err with err.kind == "store",
-- err.code and a one-line err.message: linkup's own error objects (one
-- tostring, and linkup.is_error(err) is true for everything a linkup
-- script gets back). Misuse (a wrong argument) raises at once instead.

local pairs, error, getmetatable = pairs, error, getmetatable

local LError = require "linkup.error"

local M = {}

--- new(code, message, extra) -> error object (extra: more fields)
function M.new(code, message, extra)
  local fields = { kind = "store", code = code, message = LError.one_line(message) }
  if extra then for k, v in pairs(extra) do fields[k] = v end end
  return LError.new(fields)
end

--- misuse(level, fmt, ...): raises "linkup.store: ..." at the caller's
-- line; level counts from the function that calls misuse.
function M.misuse(level, fmt, ...)
  error("linkup.store: " .. string.format(fmt, ...), level + 1)
end

-- The store class (linkup.store registers it: it requires this module, so
-- this one cannot require it back).
local store_class

--- register(class): linkup.store's class, for check().
function M.register(class) store_class = class end

--- check(self, level): raises unless self is an open store.
function M.check(self, level)
  if getmetatable(self) ~= store_class then
    M.misuse(level + 1, "not a store (call store:method, not store.method)")
  end
  if not self.conn then M.misuse(level + 1, "the store is closed") end
end

return M
