-- linkup.error: the structured error returned as the second value of a
-- failed call (and raised by a failed iterator step).
--
-- Fields: kind ("network" | "timeout" | "decode" | "api"), status, code,
-- message, retryable, attempts, endpoint; writes add uncertain, walks add
-- resume. tostring(err) gives one readable line. Messages and codes are
-- scrubbed of every secret the client knows before the object is built, so
-- no field can carry the API key or a token, whatever the server echoed.

local type, tostring, setmetatable, getmetatable = type, tostring, setmetatable, getmetatable
local concat, sub, lower = table.concat, string.sub, string.lower

local M = {}

local Error = {}
Error.__index = Error
M.mt = Error

Error.__tostring = function(e)
  local parts = { "linkup: ", tostring(e.kind or "unknown"), " error" }
  local detail = {}
  if e.status then detail[#detail + 1] = "HTTP " .. tostring(e.status) end
  if e.code then detail[#detail + 1] = tostring(e.code) end
  if #detail > 0 then parts[#parts + 1] = " (" .. concat(detail, ", ") .. ")" end
  if e.message then parts[#parts + 1] = ": " .. tostring(e.message) end
  local tail = {}
  if e.attempts then
    tail[#tail + 1] = e.attempts == 1 and "1 attempt" or (tostring(e.attempts) .. " attempts")
  end
  if e.uncertain then tail[#tail + 1] = "uncertain: it may have taken effect" end
  if e.retryable then tail[#tail + 1] = "retryable" end
  if e.resume then
    local r = e.resume
    if r.start_page then
      tail[#tail + 1] = "resume at page " .. tostring(r.start_page)
    elseif r.offset then
      tail[#tail + 1] = "resume at offset " .. tostring(r.offset)
    end
  end
  if #tail > 0 then parts[#parts + 1] = " [" .. concat(tail, ", ") .. "]" end
  -- one line, whatever the server put in its message
  return (concat(parts):gsub("[%c]+", " "))
end

-- The shortest piece of a secret that is scrubbed when it appears alone: a
-- server may echo a key cut short, or in another case.
local FRAGMENT = 8

-- Replaces every occurrence of each secret in s, ignoring case, and every
-- piece of FRAGMENT characters or more of one (a truncated echo).
local function scrub(s, secrets)
  if type(s) ~= "string" or not secrets or s == "" then return s end
  local ls = lower(s)
  local mark = nil
  for i = 1, #secrets do
    local secret = secrets[i]
    if type(secret) == "string" and #secret >= 4 then
      local lsec = lower(secret)
      local k = #lsec < FRAGMENT and #lsec or FRAGMENT
      local grams = {}
      for j = 1, #lsec - k + 1 do grams[sub(lsec, j, j + k - 1)] = true end
      for j = 1, #ls - k + 1 do
        if grams[sub(ls, j, j + k - 1)] then
          mark = mark or {}
          for x = j, j + k - 1 do mark[x] = true end
        end
      end
    end
  end
  if not mark then return s end
  local out, run = {}, false
  for j = 1, #s do
    if mark[j] then
      if not run then out[#out + 1] = "[REDACTED]" end
      run = true
    else
      out[#out + 1] = sub(s, j, j)
      run = false
    end
  end
  return concat(out)
end
M.scrub = scrub

-- The longest message kept: an HTML error page has no business inside an
-- error message. Scrubbing runs on a bounded prefix, then the cut.
local MAX_MESSAGE = 300

-- msg cut to MAX_MESSAGE bytes ("..." added) on a character boundary:
-- never half a UTF-8 sequence.
local function shorten(msg)
  if #msg <= MAX_MESSAGE then return msg end
  local cut = MAX_MESSAGE
  while cut > 0 and msg:byte(cut + 1) and msg:byte(cut + 1) >= 0x80 and msg:byte(cut + 1) < 0xC0 do
    cut = cut - 1
  end
  return sub(msg, 1, cut) .. "..."
end

--- one_line(s) -> tostring(s) on one line, as short as an error message
-- (what the store keeps of an error or a note).
function M.one_line(s)
  return shorten((tostring(s):gsub("[\r\n]+", " ")))
end

--- new(fields, secrets) -> error object.
function M.new(fields, secrets)
  local msg = fields.message
  if type(msg) == "string" then
    fields.message = shorten(scrub(sub(msg, 1, MAX_MESSAGE * 4), secrets))
  end
  -- the server chooses code too: scrub it like the message
  if type(fields.code) == "string" then fields.code = scrub(sub(fields.code, 1, 100), secrets) end
  fields.retryable = fields.retryable and true or false
  return setmetatable(fields, Error)
end

--- is(x): whether x is a linkup error object.
function M.is(x)
  return getmetatable(x) == Error
end

return M
