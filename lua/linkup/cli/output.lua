-- linkup.cli.output: the formats an export writes, one record at a time.
--
-- A format turns items into whole records (strings) that linkup.cli.sink
-- writes one write each, so that a file always ends at a record boundary:
--
--   fmt.head()              what opens a new file (nil: nothing)
--   fmt.record(item, pos)   one item, with whatever separates it from the last
--   fmt.tail()              what closes the file at the end (nil: nothing)
--   fmt.continue(tail, first)  --append to a file that ends with `tail` (its
--                           last bytes; "" when empty) and begins with the
--                           byte `first`: returns how many of those bytes
--                           the next record overwrites, and whether the head
--                           is still to write; or nil, why
--
-- Each format writes the same bytes whether an export runs at once or is
-- stopped and resumed with --append.

local linkup = require "linkup"
local fields = require "linkup.cli.fields"
local width = require "linkup.cli.width"
local visible = require "linkup.cli.visible"

local encode, null = linkup.json_encode, linkup.null
local concat, format, floor, max, type = table.concat, string.format, math.floor, math.max, type

local M = {}

M.NAMES = { "jsonl", "json", "csv", "table" }

-- A value as text for a cell: strings as they are, numbers and booleans as
-- JSON writes them, nested objects and arrays as compact JSON.
local function text(v)
  if v == nil or v == null then return "" end
  if type(v) == "string" then return v end
  return encode(v)
end

local function json_item(item, sel)
  return encode(sel.whole and item or fields.pick(item, sel))
end

-- The appended file must end at a record boundary of this format.
local function after_line(tail)
  if tail == "" then return 0, true end
  if tail:sub(-1) ~= "\n" then return nil, "it does not end with a whole line" end
  return 0, false
end

---------------------------------------------------------------------------
-- JSON lines: one object per line
---------------------------------------------------------------------------

function M.jsonl(sel)
  return {
    record = function(item) return json_item(item, sel) .. "\n" end,
    continue = after_line,
  }
end

---------------------------------------------------------------------------
-- JSON: one array, an item per line. "[" opens it; each record brings the
-- separator before it; the tail closes it. A stopped export leaves the
-- array open, and --append goes on with it; an array already closed is
-- reopened (its "]" is overwritten by the next record).
---------------------------------------------------------------------------

function M.json(sel)
  local items = false -- whether the array holds an item
  local fmt = {}
  function fmt.head() return "[" end
  function fmt.record(item)
    local sep = items and ",\n" or "\n"
    items = true
    return sep .. json_item(item, sel)
  end
  function fmt.tail() return items and "\n]\n" or "]\n" end
  function fmt.continue(tail, first)
    if tail == "" then return 0, true end
    if first ~= "[" then return nil, "it does not hold a JSON array" end
    if tail:find("%[%]\n$") then return 2, false end           -- closed, empty
    if tail:find("\n%]\n$") then items = true return 3, false end -- closed
    if tail:find("%[$") then return 0, false end                -- open, empty
    if tail:find("}$") then items = true return 0, false end    -- open
    return nil, "it does not end like a JSON array of this command"
  end
  return fmt
end

---------------------------------------------------------------------------
-- CSV (RFC 4180): a header, CRLF line ends, quoted where needed
---------------------------------------------------------------------------

local function csv_field(v)
  v = text(v)
  if v:find('[",\r\n]') then return '"' .. v:gsub('"', '""') .. '"' end
  return v
end

function M.csv(sel)
  local function line(values) return concat(values, ",") .. "\r\n" end
  return {
    head = function()
      local h = {}
      for i, p in ipairs(sel.paths) do h[i] = csv_field(p) end
      return line(h)
    end,
    record = function(item)
      local row = {}
      for i, keys in ipairs(sel.keys) do row[i] = csv_field(fields.get(item, keys)) end
      return line(row)
    end,
    continue = after_line,
  }
end

---------------------------------------------------------------------------
-- table: for people. Columns of equal display width that fill the
-- terminal; every control shown as an escape (linkup.cli.visible); a cell
-- too wide is cut, at a column, with "…".
---------------------------------------------------------------------------

local POS = 6 -- the position column

--- table(sel, columns): columns is the width of the terminal; a line
-- (the position, then a space and a cell per field) never exceeds it
-- unless the fields are too many for two columns each.
function M.table(sel, columns)
  local col = max(2, floor((columns - POS) / #sel.paths) - 1)
  local function cell(v) return width.fit(visible.text(text(v)), col) end
  local function line(first, cells)
    return ((first .. " " .. concat(cells, " ")):gsub(" +$", "")) .. "\n"
  end
  return {
    head = function()
      local h = {}
      for i, p in ipairs(sel.paths) do h[i] = cell(p) end
      return line(format("%" .. POS .. "s", "#"), h)
    end,
    record = function(item, pos)
      local r = {}
      for i, keys in ipairs(sel.keys) do r[i] = cell(fields.get(item, keys)) end
      return line(format("%" .. POS .. "d", pos), r)
    end,
    continue = after_line,
  }
end

--- columns() -> the width the table format fills: $COLUMNS, else the
-- terminal's (100 when neither says, and never under 40).
function M.columns()
  local w = tonumber(os.getenv("COLUMNS") or "")
  if not w then
    local p = io.popen("tput cols 2>/dev/null")
    if p then
      w = tonumber(p:read("*l") or "")
      p:close()
    end
  end
  return (w and w >= 40) and w or 100
end

--- new(name, selection, columns) -> the format
function M.new(name, sel, columns)
  return M[name](sel, columns)
end

return M
