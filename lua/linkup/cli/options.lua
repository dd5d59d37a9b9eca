-- linkup.cli.options: the options the commands share, as data.
--
-- An option is a table that linkup.cli.main turns into an argparse option
-- and that the rest of the command reads:
--
--   [1]       its names ("-o --output")
--   argname   the value's placeholder in --help (absent: a flag)
--   help      its line in --help
--   convert   function(text) -> value | nil, why (why completes the option's name)
--   choices, default, target, action   as in argparse
--   group     its heading in --help
--   client    the linkup.new option it sets (timeout, max_retries)
--   walk      the client:each_page option it sets (limit, offset, ...)
--   resume    how the resume command carries it: "copy" (as given), or
--             function(value, run) -> the value to give (nil: leave it out),
--             run = { written, spent, version, account }; absent: never
--             (the token is a secret; --offset is the hint's own)
--
-- A command's options are these lists joined with its own (options.join).

local linkup = require "linkup"
local output = require "linkup.cli.output"

local floor, huge, tonumber, format = math.floor, math.huge, tonumber, string.format

local M = {}

---------------------------------------------------------------------------
-- converters: text -> value, or nil and what is wrong
---------------------------------------------------------------------------

local function number_of(text)
  local n = tonumber(text)
  if not n or n ~= n or n == huge or n == -huge then return nil end
  return n
end

--- int(lo[, hi]): a whole number within [lo, hi].
function M.int(lo, hi)
  return function(text)
    local n = number_of(text)
    if not n or n ~= floor(n) then return nil, format("wants a whole number, got '%s'", text) end
    if n < lo then return nil, format("must be at least %d, got %s", lo, text) end
    if hi and n > hi then return nil, format("must be at most %d, got %s", hi, text) end
    return floor(n)
  end
end

--- number(lo, above): a number of at least lo (above: greater than lo).
function M.number(lo, above)
  return function(text)
    local n = number_of(text)
    if not n then return nil, format("wants a number, got '%s'", text) end
    if n < lo or (above and n == lo) then
      return nil, format("must be %s %s, got %s", above and "more than" or "at least", lo, text)
    end
    return n
  end
end

--- text(): any value but an empty one.
function M.text()
  return function(text)
    if text == "" then return nil, "wants a value" end
    return text
  end
end

local function country(text)
  local cc = text:upper()
  if not linkup.COUNTRIES[cc] then
    local all = {}
    for k in pairs(linkup.COUNTRIES) do all[#all + 1] = k end
    table.sort(all)
    return nil, format("must be one of %s, got '%s'", table.concat(all, " "), text)
  end
  return cc
end

---------------------------------------------------------------------------
-- resume rules
---------------------------------------------------------------------------

local function resolved_version(_, run) return run.version end
local function resolved_account(_, run) return run.account end
local function limit_left(v, run) if v then return v - run.written end end
local function budget_left(v, run)
  if not v then return nil end
  local left = v - run.spent
  return left > 0 and left or 0
end
local function always(v) return v or nil end

---------------------------------------------------------------------------
-- the shared lists
---------------------------------------------------------------------------

--- Every command that calls the API: which account, how to call.
M.CLIENT = {
  { "--api-version", argname = "1|2", convert = M.int(1, 2), resume = resolved_version,
    help = "API version (default: 2; 1 when only a token is given)" },
  { "--account", argname = "ID", convert = M.text(), resume = resolved_account,
    help = "v2 account_id (default: $LINKUP_ACCOUNT_ID)" },
  { "--token", argname = "TOKEN", convert = M.text(),
    help = "v1 login_token (default: $LINKUP_LOGIN_TOKEN); never shown in any output" },
  { "--country", argname = "CC", convert = country, resume = "copy",
    help = "v1 proxy country: US UK FR DE NL IT IL CA BR ES IN" },
  { "--timeout", argname = "S", convert = M.number(0, true), client = "timeout", resume = "copy",
    help = "seconds for one attempt of a request (default: 30)" },
  { "--retries", argname = "N", convert = M.int(0), client = "max_retries", resume = "copy",
    help = "extra attempts after a retryable failure (default: 2)" },
}

--- Every export: where the walk goes and what it writes.
M.EXPORT = {
  { "--limit", argname = "N", convert = M.int(1), walk = "limit", resume = limit_left,
    help = "at most N items" },
  { "--offset", argname = "N", convert = M.int(0), walk = "offset",
    help = "skip the first N items (a resume command gives it)" },
  { "--start-page", argname = "N", convert = M.int(1), walk = "start_page",
    help = "v1: begin at page N" },
  { "--page-size", argname = "N", convert = M.int(1), walk = "page_size", resume = "copy",
    help = "v2: items per request (default: 100)" },
  { "--concurrency", argname = "N", convert = M.int(1, 64), walk = "concurrency", resume = "copy",
    help = "fetch up to N pages at once (default: 1)" },
  { "--max-credits", argname = "N", convert = M.number(0), walk = "max_credits", resume = budget_left,
    help = "stop before spending more than N credits" },
  { "-f --format", argname = "FMT", choices = output.NAMES, default = "jsonl",
    resume = always, help = "jsonl, json, csv or table" },
  { "--fields", argname = "LIST", convert = M.text(), resume = "copy",
    help = "the fields to write, comma-separated (dotted paths reach into objects)" },
  { "-o --output", argname = "FILE", convert = M.text(), resume = "copy",
    help = "write FILE instead of standard output" },
  { "--append", resume = function(_, run) return run.output ~= nil or nil end,
    help = "add to FILE: a CSV or table header only if it is empty, a JSON array goes on" },
  { "--progress", target = "progress", action = "store_true", resume = "copy",
    help = "progress on standard error (default: when it is a terminal)" },
  { "--no-progress", target = "progress", action = "store_false",
    resume = function(v) if v == false then return true end end,
    help = "no progress" },
}

--- Every write command (invite, accept, decline, withdraw).
M.ACTION = {
  { "--dry-run", client = "dry_run",
    help = "show the plan and its price (outcome planned); send no write" },
  { "--max", argname = "N", convert = M.int(1), help = "at most N writes this run" },
}

--- The local database, for the commands that keep or read one.
M.DB = { "--db", argname = "FILE", convert = M.text(), help = "the SQLite database (created if new)" }

--- The account's name in the database.
M.ACCOUNT_KEY = { "--account-key", argname = "NAME", convert = M.text(),
  help = "the name of this account's rows in the database (default: the v2 account id; v1 must give one)" }

--- The invitation lists' type filter.
M.TYPE = { "--type", argname = "TYPE", convert = M.text(), walk = "invitation_type", resume = "copy",
  help = "invitation_type: CONNECTION, ORGANIZATION or CONTENT_SERIES" }

-- The headings the lists' options go under in --help.
for _, o in ipairs(M.CLIENT) do o.group = "API options" end
for _, o in ipairs(M.EXPORT) do o.group = "Export options" end
for _, o in ipairs(M.ACTION) do o.group = "Write options" end

--- join(...) -> one list of the options of every list given (nil ones skipped).
function M.join(...)
  local all = {}
  for i = 1, select("#", ...) do
    for _, o in ipairs(select(i, ...) or {}) do all[#all + 1] = o end
  end
  return all
end

--- pick(list, group, names...) -> copies of the options of list with
-- those long names, in that order, under another heading.
function M.pick(list, group, ...)
  local out = {}
  for i = 1, select("#", ...) do
    local want = select(i, ...)
    for _, o in ipairs(list) do
      if M.name(o) == want then
        local c = {}
        for k, v in pairs(o) do c[k] = v end
        c.group = group
        out[#out + 1] = c
      end
    end
  end
  return out
end

--- target(o) -> the key of the option's value in the parsed arguments.
function M.target(o)
  if o.target then return o.target end
  local long = o[1]:match("%-%-([%w-]+)$") or o[1]:match("%-([%w-]+)$")
  return (long:gsub("-", "_"))
end

--- name(o) -> the option's long name, as the resume command gives it.
function M.name(o)
  return o[1]:match("(%-%-[%w-]+)$") or o[1]
end

return M
