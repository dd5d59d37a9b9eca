-- linkup.error: the structured error returned as the second value of a
-- failed call (and raised by a failed iterator step).
--
-- Fields: kind ("network" | "timeout" | "decode" | "api"), status, code,
-- message, retryable, attempts; walks add resume. tostring(err) gives one
-- readable line. Messages are scrubbed of every secret the client knows
-- before the object is built, so no field can carry the API key or a token.

local M = {}

local Error = {}
Error.__index = Error
M.mt = Error

Error.__tostring = function(e)
  local parts = { "linkup: ", e.kind or "unknown", " error" }
  local detail = {}
  if e.status then detail[#detail + 1] = "HTTP " .. tostring(e.status) end
  if e.code then detail[#detail + 1] = tostring(e.code) end
  if #detail > 0 then parts[#parts + 1] = " (" .. table.concat(detail, ", ") .. ")" end
  if e.message then parts[#parts + 1] = ": " .. tostring(e.message) end
  local tail = {}
  if e.attempts then
    tail[#tail + 1] = e.attempts == 1 and "1 attempt" or (tostring(e.attempts) .. " attempts")
  end
  if e.retryable then tail[#tail + 1] = "retryable" end
  if e.resume then
    local r = e.resume
    if r.offset then
      tail[#tail + 1] = "resume at offset " .. tostring(r.offset)
    elseif r.start_page then
      tail[#tail + 1] = "resume at page " .. tostring(r.start_page)
    end
  end
  if #tail > 0 then parts[#parts + 1] = " [" .. table.concat(tail, ", ") .. "]" end
  -- one line, whatever the server put in its message
  return (table.concat(parts):gsub("[\r\n]+", " "))
end

-- Replaces every occurrence of each secret in s. Plain find, no patterns:
-- secrets may hold magic characters.
local function scrub(s, secrets)
  if type(s) ~= "string" or not secrets then return s end
  for i = 1, #secrets do
    local secret = secrets[i]
    if type(secret) == "string" and #secret >= 4 then
      local out, pos = {}, 1
      while true do
        local a, b = string.find(s, secret, pos, true)
        if not a then break end
        out[#out + 1] = string.sub(s, pos, a - 1)
        out[#out + 1] = "[REDACTED]"
        pos = b + 1
      end
      if pos > 1 then
        out[#out + 1] = string.sub(s, pos)
        s = table.concat(out)
      end
    end
  end
  return s
end
M.scrub = scrub

-- new(fields, secrets) -> error object. Messages are cut to one bounded line:
-- an HTML error page has no business inside an error message.
function M.new(fields, secrets)
  local msg = fields.message
  if type(msg) == "string" then
    msg = scrub(msg, secrets)
    if #msg > 300 then msg = string.sub(msg, 1, 300) .. "..." end
    fields.message = msg
  end
  -- the server chooses code too: scrub it like the message
  if type(fields.code) == "string" then fields.code = scrub(fields.code, secrets) end
  fields.retryable = fields.retryable and true or false
  return setmetatable(fields, Error)
end

function M.is(x)
  return getmetatable(x) == Error
end

return M
