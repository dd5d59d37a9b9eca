-- linkup.cli.width: how many terminal columns a UTF-8 string takes, and
-- cutting or padding it to a number of columns.
--
-- A wcwidth in plain Lua (5.1 to 5.4 and LuaJIT: no utf8 library, no
-- bitwise operators). Widths follow Python's wcwidth package, the
-- grapheme-aware convention of current terminals: East Asian wide and
-- fullwidth characters and emoji take two columns; combining marks, ZWJ,
-- ZWSP and variation selectors none; an emoji ZWJ sequence takes the width
-- of its first emoji; VS16 widens the narrow characters it turns into
-- emoji; a skin tone joins the emoji before it; a flag (two regional
-- indicators) takes two; a spacing mark after a base adds one, and so does
-- an Indic conjunct. One departure from wcswidth(): it drops whatever
-- follows a ZWJ, but a terminal shows a letter after a ZWJ (UAX #29 joins
-- only emoji there), so here a string's width is the sum of its grapheme
-- clusters' widths. Control characters take none (linkup.cli.visible
-- turns them into visible text before anything is measured). A byte that
-- is not UTF-8 counts as one column, like the U+FFFD a terminal shows.
--
-- Strings are measured and cut by grapheme cluster (a base and what joins
-- it), so a cut never separates an accent, a skin tone or a ZWJ sequence
-- from its base.

local T = require "linkup.cli.width_tables"

local byte, sub, rep, floor = string.byte, string.sub, string.rep, math.floor

local M = {}

-- Whether cp lies in one of the ranges { lo1, hi1, lo2, hi2, ... }.
local function within(ranges, cp)
  local lo, hi = 1, #ranges / 2
  if cp < ranges[1] or cp > ranges[#ranges] then return false end
  while lo <= hi do
    local mid = floor((lo + hi) / 2)
    if cp < ranges[2 * mid - 1] then
      hi = mid - 1
    elseif cp > ranges[2 * mid] then
      lo = mid + 1
    else
      return true
    end
  end
  return false
end

local VIRAMA = {}
for _, cp in ipairs(T.VIRAMA) do VIRAMA[cp] = true end

--- decode(s, i) -> code point (nil for a byte that is not UTF-8), next index
function M.decode(s, i)
  local b = byte(s, i)
  if b < 0x80 then return b, i + 1 end
  local n, cp
  if b >= 0xC2 and b <= 0xDF then n, cp = 1, b - 0xC0
  elseif b >= 0xE0 and b <= 0xEF then n, cp = 2, b - 0xE0
  elseif b >= 0xF0 and b <= 0xF4 then n, cp = 3, b - 0xF0
  else return nil, i + 1 end
  for k = 1, n do
    local c = byte(s, i + k)
    if not c or c < 0x80 or c > 0xBF then return nil, i + 1 end
    cp = cp * 64 + (c - 0x80)
  end
  -- overlong forms, UTF-16 surrogates and beyond U+10FFFF are not UTF-8
  if (n == 2 and cp < 0x800) or (n == 3 and cp < 0x10000) or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF) then
    return nil, i + 1
  end
  return cp, i + n + 1
end
local decode = M.decode

--- char(cp) -> the columns of one code point on its own (wcwidth): 0, 1 or 2.
function M.char(cp)
  if cp == nil then return 1 end
  if cp >= 0x20 and cp < 0x7F then return 1 end
  if cp < 0x20 or (cp >= 0x7F and cp < 0xA0) then return 0 end
  if within(T.ZERO, cp) then return 0 end
  if within(T.WIDE, cp) then return 2 end
  return 1
end
local char = M.char

local ZWJ, VS16 = 0x200D, 0xFE0F

local function is_indicator(cp) return cp >= 0x1F1E6 and cp <= 0x1F1FF end

--- clusters(s) -> an array { stop1, cols1, stop2, cols2, ... }: where each
-- grapheme cluster ends (byte index) and the columns it takes. A leading
-- run of zero-width characters is a cluster of its own (0 columns).
function M.clusters(s)
  local out, n = {}, 0
  local i, len = 1, #s
  local measured = nil      -- the code point VS16 may widen (nil once used)
  local last = nil          -- the last base, for skin tones and flags
  local ri_run = 0          -- regional indicators just before this one
  local after_virama, conjunct = false, false
  -- the open cluster: its columns; it ends where the next one begins
  local cols, open = 0, false
  local function start(at, w)
    if open then
      n = n + 2
      out[n - 1], out[n] = at - 1, cols
    end
    cols, open = w, true
  end
  -- adds w columns to the open cluster (opening one at i if none is)
  local function join(at, w)
    if open then cols = cols + w else start(at, w) end
  end
  while i <= len do
    local cp, nxt = decode(s, i)
    local is_ri = cp ~= nil and is_indicator(cp)
    local run = is_ri and ri_run + 1 or 0
    if cp == ZWJ then
      -- an emoji ZWJ sequence: the next emoji joins this one and adds
      -- nothing (UAX #29 GB11); after anything else a ZWJ joins nothing
      join(i, 0)
      run = 0
      if not after_virama and nxt <= len and last and within(T.PICTO, last) and not is_indicator(last) then
        local joined, after = decode(s, nxt)
        if joined and within(T.PICTO, joined) and not is_indicator(joined) then nxt = after end
      end
      after_virama = false
    elseif cp == VS16 and measured then
      join(i, within(T.VS16, measured) and 1 or 0)
      measured = nil
    elseif is_ri and ri_run % 2 == 1 then
      -- the second indicator of a flag
      last = cp
    elseif not (cp and cp >= 0x1F3FB and cp <= 0x1F3FF and last and within(T.PICTO, last)) then
      -- (a skin tone after an emoji joins it and adds nothing)
      if after_virama and cp and within(T.CONSONANT, cp) then
        measured, last, after_virama, conjunct = cp, cp, false, true
      else
        local w = char(cp)
        if w > 0 then
          if conjunct then cols, conjunct = cols + 1, false end
          start(i, w)
          measured, last, after_virama = cp or 0xFFFD, cp, false
        elseif measured and cp and within(T.MC, cp) then
          join(i, 1)
          measured, after_virama, conjunct = nil, false, false
        else
          join(i, 0)
          after_virama = cp ~= nil and VIRAMA[cp] == true
        end
      end
    end
    ri_run = run
    i = nxt
  end
  if open then
    if conjunct then cols = cols + 1 end
    n = n + 2
    out[n - 1], out[n] = len, cols
  end
  return out
end
local clusters = M.clusters

--- of(s) -> the columns s takes on a terminal.
function M.of(s)
  -- the common case: printable ASCII only
  if not s:find("[^\32-\126]") then return #s end
  local c, total = clusters(s), 0
  for k = 2, #c, 2 do total = total + c[k] end
  return total
end

--- cut(s, cols) -> the longest head of s (whole clusters) that takes at most
-- cols columns, and the columns it takes.
function M.cut(s, cols)
  local c, total, stop = clusters(s), 0, 0
  for k = 1, #c, 2 do
    if total + c[k + 1] > cols then break end
    total, stop = total + c[k + 1], c[k]
  end
  return sub(s, 1, stop), total
end

local ELLIPSIS = "\226\128\166" -- U+2026, one column

--- fit(s, cols) -> s in exactly cols columns: padded with spaces, or cut
-- and ended with "…" when it is wider.
function M.fit(s, cols)
  local w = M.of(s)
  if w <= cols then return s .. rep(" ", cols - w) end
  if cols < 1 then return "" end
  local head, hw = M.cut(s, cols - 1)
  return head .. ELLIPSIS .. rep(" ", cols - 1 - hw)
end

return M
