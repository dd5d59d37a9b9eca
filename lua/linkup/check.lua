-- linkup.check: argument checks. A user's mistake raises a Lua error at
-- once, before any request is sent, so a mistake never costs credits.
--
-- Every check takes `level`, the stack level of the user's call counted
-- from the function that calls the check, so the message points at the
-- user's line ("file.lua:12: linkup.connections: count must be ..."). The
-- messages never repeat the value of an option that may be secret.

local type, tostring, floor, huge, error, pairs = type, tostring, math.floor, math.huge, error, pairs
local format = string.format

local M = {}

M.COUNTRIES = { US = true, UK = true, FR = true, DE = true, NL = true, IT = true,
                IL = true, CA = true, BR = true, ES = true, IN = true }
local COUNTRY_LIST = "US, UK, FR, DE, NL, IT, IL, CA, BR, ES, IN"

--- isint(x): a finite whole number.
function M.isint(x)
  return type(x) == "number" and x == floor(x) and x > -huge and x < huge
end
local isint = M.isint

--- misuse(level, fmt, ...): raises "linkup.<fmt>" at the user's line.
function M.misuse(level, fmt, ...)
  error("linkup." .. format(fmt, ...), level + 1)
end
local misuse = M.misuse

--- is_interrupt(err): the interpreter's Ctrl-C ("interrupted!").
function M.is_interrupt(err)
  return type(err) == "string" and err:find("interrupted!$") ~= nil
end

--- is_misuse(err): whether err is a misuse error raised by linkup.
-- Misuse errors are strings (as Lua users expect from a bad argument); their
-- shape is made here and only here.
function M.is_misuse(err)
  return type(err) == "string" and err:find("linkup%.[%w_]+: ") ~= nil and not M.is_interrupt(err)
end

--- int(level, where, name, v, lo[, hi]) -> v or nil (when v is nil)
function M.int(level, where, name, v, lo, hi)
  if v == nil then return nil end
  if not isint(v) then misuse(level + 1, "%s: %s must be an integer, got %s", where, name, M.describe(v)) end
  if v < lo then misuse(level + 1, "%s: %s must be at least %d", where, name, lo) end
  if hi and v > hi then misuse(level + 1, "%s: %s must be at most %d", where, name, hi) end
  return floor(v)
end

--- number(level, where, name, v, lo[, hi]) -> v or nil. Never NaN; infinity
-- only when hi is math.huge.
function M.number(level, where, name, v, lo, hi)
  if v == nil then return nil end
  if type(v) ~= "number" then
    misuse(level + 1, "%s: %s must be a number, got %s", where, name, M.describe(v))
  end
  if v ~= v then misuse(level + 1, "%s: %s must be a number, got NaN", where, name) end
  if v < lo then misuse(level + 1, "%s: %s must be at least %s", where, name, tostring(lo)) end
  hi = hi or 1e9
  if v > hi then misuse(level + 1, "%s: %s must be at most %s", where, name, tostring(hi)) end
  return v
end

-- A short description of a wrong value: its type, and for a number or a
-- short string its value (never a long string: it could be a secret).
function M.describe(v)
  if type(v) == "number" then return "number " .. tostring(v) end
  if type(v) == "string" and #v <= 8 and not v:find("[%c\128-\255]") then return format("string %q", v) end
  return type(v)
end

-- Whether s is valid UTF-8 (no overlongs, no surrogates, at most U+10FFFF).
-- Written with string.byte so that it runs on every Lua (5.1 has no utf8).
function M.utf8_valid(s)
  local i, n, byte = 1, #s, string.byte
  while i <= n do
    local c = byte(s, i)
    if c < 0x80 then
      i = i + 1
    else
      local len, min
      if c >= 0xC2 and c <= 0xDF then len, min = 2, 0x80
      elseif c >= 0xE0 and c <= 0xEF then len, min = 3, 0x800
      elseif c >= 0xF0 and c <= 0xF4 then len, min = 4, 0x10000
      else return false end
      if i + len - 1 > n then return false end
      local cp = c % (2 ^ (7 - len))
      for j = i + 1, i + len - 1 do
        local d = byte(s, j)
        if d < 0x80 or d > 0xBF then return false end
        cp = cp * 64 + d % 64
      end
      if cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then return false end
      i = i + len
    end
  end
  return true
end

--- text(level, where, name, v) -> v or nil: a non-empty string of valid
-- UTF-8 without control characters (it may travel in a header: a CR or LF
-- could split the request, and no header may carry VT, FF, ESC or DEL).
function M.text(level, where, name, v)
  if v == nil then return nil end
  if type(v) ~= "string" then misuse(level + 1, "%s: %s must be a string, got %s", where, name, type(v)) end
  if v == "" then misuse(level + 1, "%s: %s must not be empty", where, name) end
  if v:find("[%z\1-\31\127]") then misuse(level + 1, "%s: %s must not contain control characters", where, name) end
  if not M.utf8_valid(v) then misuse(level + 1, "%s: %s must be valid UTF-8", where, name) end
  return v
end

--- message(level, where, name, v, max) -> v or nil: free text for a body
-- (newlines and tabs allowed), valid UTF-8, at most max characters.
function M.message(level, where, name, v, max)
  if v == nil then return nil end
  if type(v) ~= "string" then misuse(level + 1, "%s: %s must be a string, got %s", where, name, type(v)) end
  if v:find("[%z\1-\8\11\12\14-\31\127]") then
    misuse(level + 1, "%s: %s must not contain control characters", where, name)
  end
  if not M.utf8_valid(v) then misuse(level + 1, "%s: %s must be valid UTF-8", where, name) end
  local _, cont = v:gsub("[\128-\191]", "")
  if #v - cont > max then misuse(level + 1, "%s: %s must be at most %d characters", where, name, max) end
  return v
end

--- country(level, where, v) -> v or nil
function M.country(level, where, v)
  v = M.text(level + 1, where, "country", v)
  if v ~= nil and not M.COUNTRIES[v] then
    misuse(level + 1, "%s: unknown country %s (one of %s)", where,
      #v <= 8 and format("%q", v) or ("of " .. #v .. " characters"), COUNTRY_LIST)
  end
  return v
end

--- table_of(level, where, what, t, allowed) -> t (or {} for nil): a table
-- whose keys are all in `allowed`.
function M.table_of(level, where, what, t, allowed, extra)
  if t == nil then return {} end
  if type(t) ~= "table" then misuse(level + 1, "%s: %s must be a table, got %s", where, what, type(t)) end
  for k in pairs(t) do
    if not allowed[k] then
      misuse(level + 1, "%s: unknown %s %s%s", where, what == "options" and "option" or "parameter",
        format("%q", tostring(k)), extra or "")
    end
  end
  return t
end

return M
