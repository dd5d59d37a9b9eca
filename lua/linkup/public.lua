-- linkup.public: the table `require "linkup"` returns.
--
-- luaopen_linkup (csrc/linkup.c) registers the C core as "linkup.core" and
-- returns this module. It only gathers the public interface from the
-- modules that implement it; see docs/ for the whole reference.

local core = require "linkup.core"
local check = require "linkup.check"
local client = require "linkup.client"
local credits = require "linkup.credits"
local protocol = require "linkup.protocol"
local Error = require "linkup.error"

local type = type

local M = {
  _VERSION = core._VERSION,
  null = core.null,              -- JSON null inside arrays (object fields read as nil)
  COUNTRIES = check.COUNTRIES,   -- the v1 proxy countries, as a set
  new = client.new,
  is_error = Error.is,           -- a runtime error object (nil, err)
  is_misuse = check.is_misuse,   -- an error raised for a bad argument
  is_interrupt = check.is_interrupt, -- the interpreter's Ctrl-C ("interrupted!")
  json_encode = core.encode,     -- JSON text, keys sorted, integers kept
  json_decode = core.decode,     -- value | nil, message: linkup's decoding rules
  now = core.now,                -- monotonic seconds, for durations
}

--- linkup.estimate_credits(spec) -> credits | nil, why
-- One call: { version, kind, <its parameters> } (total_results, start_page,
-- end_page, count). A walk: { version, kind, walk = true, limit = n [,
-- page_size, offset] } (or total = n, the items there are, instead of limit).
function M.estimate_credits(spec)
  if type(spec) ~= "table" then check.misuse(2, "estimate_credits: spec must be a table") end
  local W = "estimate_credits"
  local version = spec.version or 2
  if version ~= 1 and version ~= 2 then check.misuse(2, "estimate_credits: version must be 1 or 2") end
  local kind = spec.kind or "connections"
  if type(kind) ~= "string" or not protocol.ENDPOINTS[kind] then
    check.misuse(2, "estimate_credits: unknown kind %s", check.describe(kind))
  end
  local e = protocol.endpoint(kind, version, 2, W)
  if spec.walk then
    local n, why = credits.walk(e, spec, 2, W)
    return n, why -- not a tail call: misuse counts levels
  end
  return credits.price(e.price, {
    total_results = check.int(2, W, "total_results", spec.total_results, 1),
    start_page = check.int(2, W, "start_page", spec.start_page, 1),
    end_page = check.int(2, W, "end_page", spec.end_page, 1),
    count = check.int(2, W, "count", spec.count, 1),
  })
end

return M
