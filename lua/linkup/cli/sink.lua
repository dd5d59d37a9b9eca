-- linkup.cli.sink: where an export's records go, with every write checked.
--
-- The stream is unbuffered and each record is one write of the whole
-- record: what is on disk (or in the pipe) is always whole records, even
-- when a second Ctrl-C kills the interpreter at once. A failed write
-- raises at once (linkup.cli.errors.write_failure), so the export stops
-- before its next request.
--
-- The sink also knows the last record written, for the resume command.
-- A Ctrl-C raises "interrupted!" at any Lua instruction, also just after a
-- write returned and before its bookkeeping: so a record's new state is
-- made before the write (`pending`) and settle() tells afterwards, from
-- the file's size, whether that record made it. A write that failed half
-- way (a full disk) is cut back to the last whole record.

local errors = require "linkup.cli.errors"
local resume = require "linkup.cli.resume"

local tostring, setmetatable, format = tostring, setmetatable, string.format

local M = {}

local Sink = {}
Sink.__index = Sink

local ENOENT = 2

-- state: size (the stream's offset after the last whole record; nil on a
-- pipe or a terminal), last (the position of the last item written),
-- records (written by this run).
local function new(f, where, path, at)
  return setmetatable({ f = f, where = where, path = path, state = { size = at, last = nil, records = 0 } }, Sink)
end

local function fail(where, message)
  message = tostring(message)
  -- io.open's message starts with the path, which the failure names already
  if message:sub(1, #where + 2) == where .. ": " then message = message:sub(#where + 3) end
  error(errors.write_failure(where, message), 0)
end

-- Opens `path` to go on after what it holds (--append). Returns the file,
-- its offset, whether the head is still to write.
local function reopen(path, fmt)
  local f, err, code = io.open(path, "r+b")
  if not f then
    if code == ENOENT then return nil end
    fail(path, err)
  end
  local size = f:seek("end")
  if not size then -- not a regular file (a pipe, a terminal): nothing to read back
    return f, nil, fmt.head ~= nil
  end
  local tail, first = "", nil
  if size > 0 then
    f:seek("set", 0)
    first = f:read(1)
    f:seek("set", size > 16 and size - 16 or 0)
    tail = f:read(16) or ""
  end
  local rewind, head = fmt.continue(tail, first)
  if not rewind then
    f:close()
    errors.usage("--append: cannot go on after what %s holds: %s", path, head)
  end
  local at = f:seek("set", size - rewind)
  return f, at, head
end

--- open(path, append, fmt) -> a sink on a file (path) or standard output
-- (path nil). The format's head is written now, when the file is new or
-- empty.
function M.open(path, append, fmt)
  local f, at, head, err
  if path and append then f, at, head = reopen(path, fmt) end
  if not f then
    if path then
      f, err = io.open(path, "wb")
      if not f then fail(path, err) end
      at = 0
    else
      -- where writes land when standard output is a file (">>" appends)
      f, at = io.stdout, io.stdout:seek("end")
    end
    head = true
  end
  f:setvbuf("no")
  local sink = new(f, path or "standard output", path, at)
  if head and fmt.head then sink:put(fmt.head()) end
  return sink
end

--- sink:put(s[, pos]): writes s (one record, or the head or tail) in one
-- write; pos: the position of the item it holds.
function Sink:put(s, pos)
  local st = self.state
  local new_state = { size = st.size and st.size + #s, last = pos or st.last,
                      records = st.records + (pos and 1 or 0) }
  self.pending = new_state
  local ok, err = self.f:write(s)
  if not ok then fail(self.where, err) end
  self.state = new_state
  self.pending = nil
end

-- Cuts the file back to `size` bytes: Lua's io cannot truncate, truncate(1)
-- (coreutils) can. Returns whether the file now has that size.
local function truncate(self, size)
  if self.path then
    os.execute(format("truncate -s %d -- %s 2>/dev/null", size, resume.quote(self.path)))
  end
  return self.f:seek("end") == size
end

--- sink:settle() -> true, or false and why when the output may end with a
-- part of a record. After an error or an interrupt: decides whether the
-- record being written made it, and cuts a half-written one off a file
-- (never standard output: it may be shared, 2>&1).
function Sink:settle()
  local p, st = self.pending, self.state
  self.pending = nil
  if not p or not st.size then return true end
  local now = self.f:seek("cur")
  if now == p.size then
    self.state = p
    return true
  end
  if not self.path or now == nil or now <= st.size then return true end
  if truncate(self, st.size) then return true end
  return false, format("%s may end with a part of a record (%d bytes from offset %d)", self.where,
    now - st.size, st.size)
end

--- sink:close(): the end of a complete export; a failure to close raises.
function Sink:close()
  local ok, err
  if self.f == io.stdout then ok, err = self.f:flush() else ok, err = self.f:close() end
  self.closed = true
  if not ok then fail(self.where, tostring(err)) end
end

--- sink:abandon(): the end of a failed export: closes without raising.
function Sink:abandon()
  if self.closed then return end
  self.closed = true
  if self.f == io.stdout then pcall(self.f.flush, self.f) else pcall(self.f.close, self.f) end
end

return M
