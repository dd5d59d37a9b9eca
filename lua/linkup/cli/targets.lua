-- linkup.cli.targets: the people a command is to act on, as the user
-- gives them: profile URLs on the command line, or `--from FILE` (`-`:
-- standard input) with a profile_url column.
--
-- The file is CSV with a header row (RFC 4180: quoted fields may hold
-- commas, quotes and line breaks; CRLF or LF) or JSON lines (one object
-- per line). Which one is decided by the content, not the name: a file
-- whose first non-blank character is "{" is JSON lines. Everything is read
-- and checked before anything is sent: a row without a profile_url is a
-- usage error that names its line.

local linkup = require "linkup"
local errors = require "linkup.cli.errors"

local type = type

local M = {}

-- The whole file (or standard input), a usage error when it cannot be read.
local function slurp(path)
  local f = io.stdin
  if path ~= "-" then
    local err
    f, err = io.open(path, "rb")
    if not f then errors.usage("--from: cannot read %s", tostring(err)) end
  end
  local text = f:read("*a")
  if path ~= "-" then f:close() end
  if not text then errors.usage("--from: cannot read %s", path) end
  return (text:gsub("^\239\187\191", "")) -- a UTF-8 byte order mark
end

local function url_of(v)
  if type(v) == "string" then v = v:match("^%s*(.-)%s*$") end
  if type(v) == "string" and v ~= "" then return v end
end

-- JSON lines: { profile_url, line } for each non-blank line.
local function jsonl(text, where)
  local out, n = {}, 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    if line:find("%S") then
      local obj = linkup.json_decode(line)
      if type(obj) ~= "table" then errors.usage("%s:%d: not a JSON object", where, n) end
      local url = url_of(obj.profile_url)
      if not url then errors.usage("%s:%d: no profile_url", where, n) end
      out[#out + 1] = { profile_url = url, origin = where .. ":" .. n }
    end
  end
  return out
end

-- CSV records, each { fields, line } (the line the record starts on).
local function csv_records(text, where)
  local records, i, n, line = {}, 1, #text, 1
  while i <= n do
    local fields, start = {}, line
    while true do
      local value
      if text:sub(i, i) == '"' then
        local parts, j = {}, i + 1
        while true do
          local q = text:find('"', j, true)
          if not q then errors.usage("%s:%d: a quoted field is not closed", where, start) end
          parts[#parts + 1] = text:sub(j, q - 1)
          if text:sub(q + 1, q + 1) == '"' then
            parts[#parts + 1] = '"'
            j = q + 2
          else
            i = q + 1
            break
          end
        end
        value = table.concat(parts)
        local _, breaks = value:gsub("\n", "")
        line = line + breaks
        local after = text:sub(i, i)
        if after ~= "," and after ~= "\r" and after ~= "\n" and after ~= "" then
          errors.usage("%s:%d: text after a quoted field", where, line)
        end
      else
        local e = text:find("[,\r\n]", i) or n + 1
        value = text:sub(i, e - 1)
        i = e
      end
      fields[#fields + 1] = value
      local c = text:sub(i, i)
      if c == "," then
        i = i + 1
      else
        if c == "\r" then i = i + 1 end
        if text:sub(i, i) == "\n" then i = i + 1 end
        line = line + 1
        break
      end
    end
    -- a blank line is no record
    if not (#fields == 1 and fields[1] == "") then records[#records + 1] = { fields = fields, line = start } end
  end
  return records
end

local function csv(text, where)
  local records = csv_records(text, where)
  if #records == 0 then return {} end
  local col
  for k, name in ipairs(records[1].fields) do
    if name:match("^%s*(.-)%s*$") == "profile_url" then col = k break end
  end
  if not col then errors.usage("%s:%d: the header has no profile_url column", where, records[1].line) end
  local out = {}
  for r = 2, #records do
    local rec = records[r]
    local url = url_of(rec.fields[col])
    if not url then errors.usage("%s:%d: no profile_url", where, rec.line) end
    out[#out + 1] = { profile_url = url, origin = where .. ":" .. rec.line }
  end
  return out
end

--- read(path) -> { { profile_url, origin }, ... } from a CSV or JSON-lines file.
function M.read(path)
  local where = path == "-" and "standard input" or path
  local text = slurp(path)
  if text:match("^%s*(.)") == "{" then return jsonl(text, where) end
  return csv(text, where)
end

--- collect(urls, from) -> the targets: the command line's URLs, then the file's.
function M.collect(urls, from)
  local out = {}
  for i, u in ipairs(urls or {}) do
    local url = url_of(u)
    if not url then errors.usage("argument %d: an empty profile URL", i) end
    out[#out + 1] = { profile_url = url, origin = "argument " .. i }
  end
  if from then
    for _, t in ipairs(M.read(from)) do out[#out + 1] = t end
  end
  return out
end

return M
