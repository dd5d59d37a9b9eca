-- linkup.cli.visible: text from the API made safe to show on a terminal.
--
-- The data is LinkedIn's, typed by anyone: a name may carry ESC sequences
-- (colours, cursor moves, a new window title, OSC 8 links), C1 controls
-- (U+009B is a CSI of its own on some terminals), bidirectional overrides
-- that reorder what follows, or bytes that are not UTF-8. None of them may
-- reach the terminal as such: each is shown as an escape (\x1b, \u009b,
-- \u202e, \xff), so the table still says what is there. Tabs and line
-- breaks become one space, to keep a record on its line.

local width = require "linkup.cli.width"

local format, sub, concat = string.format, string.sub, table.concat

local M = {}

-- Code points beyond C1 that change how the text around them is laid out:
-- bidi embeddings, overrides and isolates, the marks, and the Unicode
-- line and paragraph separators.
local function layout_control(cp)
  return cp == 0x061C or cp == 0x200E or cp == 0x200F or (cp >= 0x2028 and cp <= 0x202E)
      or (cp >= 0x2066 and cp <= 0x2069)
end

--- text(s) -> s with every control shown as an escape.
function M.text(s)
  -- the common case: printable ASCII
  if not s:find("[%z\1-\31\127-\255]") then return s end
  local out, n = {}, 0
  local i, len = 1, #s
  local plain = 1 -- start of the run of bytes kept as they are
  local function flush(upto, escape)
    if upto >= plain then
      n = n + 1
      out[n] = sub(s, plain, upto)
    end
    if escape then
      n = n + 1
      out[n] = escape
    end
  end
  while i <= len do
    local cp, nxt = width.decode(s, i)
    local escape
    if cp == nil then
      escape = format("\\x%02x", s:byte(i))
    elseif cp == 9 or cp == 10 or cp == 13 then
      escape = " "
      -- a run of tabs and line breaks is one space
      while nxt <= len and s:find("^[\t\n\r]", nxt) do nxt = nxt + 1 end
    elseif cp < 0x20 or cp == 0x7F then
      escape = format("\\x%02x", cp)
    elseif (cp >= 0x80 and cp <= 0x9F) or layout_control(cp) then
      escape = format("\\u%04x", cp)
    end
    if escape then
      flush(i - 1, escape)
      plain = nxt
    end
    i = nxt
  end
  flush(len)
  return concat(out)
end

return M
