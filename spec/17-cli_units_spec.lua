-- The command's modules on their own: --fields paths into nested objects,
-- the formats' records, the sink's bookkeeping around an interrupted or
-- torn write, the resume command's words, and how errors map to exit codes.
local linkup = require "linkup"
local fields = require "linkup.cli.fields"
local output = require "linkup.cli.output"
local sink = require "linkup.cli.sink"
local resume = require "linkup.cli.resume"
local options = require "linkup.cli.options"
local errors = require "linkup.cli.errors"

-- What a usage error raised by f says.
local function usage_of(f, ...)
  local ok, err = pcall(f, ...)
  assert.is_false(ok)
  local code, msg = errors.explain(err)
  assert.equal(2, code)
  return msg
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- Invitations as the v2 API nests them: what the next export command documents.
local DOCUMENTED = { "entity_urn", "shared_secret", "sender.first_name", "sender.last_name", "sender.headline",
                     "sender.linkedin_url", "sent_time" }
local ITEM = { entity_urn = "urn:li:invitation:1", shared_secret = "s3",
               sender = { first_name = "Alice", last_name = "Johnson", headline = "CTO, \"Acme\"",
                          linkedin_url = "https://www.linkedin.com/in/alice" },
               sent_time = "3d", extra = true }

describe("linkup.cli.fields", function()
  it("takes documented paths, dotted ones, and the head of some", function()
    local sel = fields.select("sender.first_name, entity_urn,sender", DOCUMENTED, "invitations")
    assert.same({ "sender.first_name", "entity_urn", "sender" }, sel.paths)
    assert.is_false(sel.whole)
    assert.equal("Alice", fields.get(ITEM, sel.keys[1]))
    assert.same({ entity_urn = "urn:li:invitation:1", sender = ITEM.sender }, fields.pick(ITEM, sel))
    assert.same({ sender = { last_name = "Johnson" } },
      fields.pick(ITEM, fields.select("sender.last_name", DOCUMENTED, "invitations")))
    assert.is_nil(fields.get(ITEM, { "sent_time", "deeper" }))
    assert.is_true(fields.select(nil, DOCUMENTED, "invitations").whole)
  end)

  it("refuses the rest, listing what there is", function()
    assert.equal("linkup: unknown field 'sender.first' for invitations; the fields are: " ..
      table.concat(DOCUMENTED, ", "), usage_of(fields.select, "sender.first", DOCUMENTED, "invitations"))
    assert.matches("unknown field 'extra'", usage_of(fields.select, "extra", DOCUMENTED, "invitations"))
    assert.matches("unknown field 'sende'", usage_of(fields.select, "sende", DOCUMENTED, "invitations"))
    assert.equal("linkup: --fields names no field", usage_of(fields.select, " , ", DOCUMENTED, "invitations"))
  end)
end)

describe("linkup.cli.output", function()
  it("writes nested values as compact JSON in CSV, and picked paths nested in JSON", function()
    local sel = fields.select("entity_urn,sender,sender.headline", DOCUMENTED, "invitations")
    local csv = output.new("csv", sel)
    assert.equal("entity_urn,sender,sender.headline\r\n", csv.head())
    assert.equal('urn:li:invitation:1,"{""first_name"":""Alice"",""headline"":""CTO, \\""Acme\\"""",' ..
      '""last_name"":""Johnson"",""linkedin_url"":""https://www.linkedin.com/in/alice""}","CTO, ""Acme"""\r\n',
      csv.record(ITEM))
    local jsonl = output.new("jsonl", fields.select("sender.first_name,sent_time", DOCUMENTED, "invitations"))
    assert.equal('{"sender":{"first_name":"Alice"},"sent_time":"3d"}\n', jsonl.record(ITEM))
    -- numbers, booleans, null: as JSON writes them; null and absent: empty
    local flat = output.new("csv", { paths = { "a", "b", "c", "d" }, keys = { { "a" }, { "b" }, { "c" }, { "d" } } })
    assert.equal("1.5,true,,\r\n", flat.record{ a = 1.5, b = true, c = linkup.null })
  end)

  it("opens, continues and closes a JSON array the same way, stopped or not", function()
    local sel = fields.select(nil, { "n" }, "x")
    local one = output.new("json", sel)
    local whole = one.head() .. one.record{ n = 1 } .. one.record{ n = 2 } .. one.tail()
    assert.equal('[\n{"n":1},\n{"n":2}\n]\n', whole)
    -- stopped after the first record: the array is open; --append goes on
    local two = output.new("json", sel)
    local part = two.head() .. two.record{ n = 1 }
    local again = output.new("json", sel)
    assert.same({ 0, false }, { again.continue(part:sub(-16), "[") })
    assert.equal(whole, part .. again.record{ n = 2 } .. again.tail())
    -- closed: the next record overwrites the closing bracket
    local closed = output.new("json", sel)
    local full = closed.head() .. closed.record{ n = 1 } .. closed.tail()
    local more = output.new("json", sel)
    local rewind = more.continue(full:sub(-16), "[")
    assert.equal(3, rewind)
    assert.equal(whole, full:sub(1, -rewind - 1) .. more.record{ n = 2 } .. more.tail())
    -- empty, open or closed
    local e = output.new("json", sel)
    assert.same({ 0, false }, { e.continue("[", "[") })
    assert.equal("[]\n", "[" .. e.tail())
    assert.same({ 2, false }, { output.new("json", sel).continue("[]\n", "[") })
    assert.same({ 0, true }, { output.new("json", sel).continue("", nil) })
    -- what is not an array of this command's
    assert.is_nil((output.new("json", sel).continue("{}", "{")))
    assert.is_nil((output.new("json", sel).continue('{"n":1}\n', "{")))
    assert.is_nil((output.new("json", sel).continue("[1,2]", "[")))
  end)
end)

describe("linkup.cli.sink", function()
  local fmt = { record = function(n) return "record " .. n .. "\n" end, continue = function() return 0, false end }

  it("knows whether a record interrupted around its write made it, and cuts a torn one off", function()
    local path = os.tmpname()
    local s = sink.open(path, false, fmt)
    s:put(fmt.record(1), 1)
    -- Ctrl-C after the write returned, before its bookkeeping
    s.pending = { size = s.state.size + #fmt.record(2), last = 2, records = 2 }
    assert(s.f:write(fmt.record(2)))
    assert.is_true(s:settle())
    assert.same({ size = 18, last = 2, records = 2 }, s.state)
    -- Ctrl-C before the write
    s.pending = { size = s.state.size + #fmt.record(3), last = 3, records = 3 }
    assert.is_true(s:settle())
    assert.equal(2, s.state.last)
    -- a write that stopped half way (a full disk): cut back to record 2
    s.pending = { size = s.state.size + #fmt.record(3), last = 3, records = 3 }
    assert(s.f:write("reco"))
    assert.is_true(s:settle())
    assert.equal(2, s.state.last)
    s:abandon()
    assert.equal("record 1\nrecord 2\n", slurp(path))
    os.remove(path)
  end)

  it("raises a write failure at the failing write", function()
    local s = sink.open("/dev/full", false, fmt)
    local ok, err = pcall(s.put, s, fmt.record(1), 1)
    assert.is_false(ok)
    assert.same({ 1, "linkup: cannot write /dev/full: No space left on device" }, { errors.explain(err) })
    assert.is_nil(s.state.last)
    assert.is_true(s:settle())
    s:abandon()
    ok, err = pcall(sink.open, "/nonexistent-dir/x", false, fmt)
    assert.is_false(ok)
    assert.equal("linkup: cannot write /nonexistent-dir/x: No such file or directory", select(2, errors.explain(err)))
    ok, err = pcall(sink.open, "/", true, fmt)
    assert.is_false(ok)
    assert.equal("linkup: cannot write /: Is a directory", select(2, errors.explain(err)))
  end)
end)

describe("linkup.cli.resume", function()
  it("gives each option by its own rule, never the token", function()
    local opts = options.join(options.CLIENT, options.EXPORT)
    local args = { api_version = nil, account = nil, token = "tok-S3CRET", country = nil, timeout = 2.5, retries = 0,
                   limit = 500, offset = 100, page_size = 50, concurrency = 4, max_credits = 10, format = "csv",
                   fields = "name,job_title", output = "out put.csv", append = nil, progress = false }
    local line = resume.command("linkup-jit", "connections", opts, args, {
      at = 180, written = 80, spent = 3.5, version = 2, account = "acc 1", output = "out put.csv" })
    assert.equal("linkup-jit connections --offset 180 --api-version 2 --account 'acc 1' --timeout 2.5 --retries 0 " ..
      "--limit 420 --page-size 50 --concurrency 4 --max-credits 6.5 --format csv --fields name,job_title " ..
      "--output 'out put.csv' --append --no-progress", line)
    assert.not_matches("S3CRET", line)
    -- nothing written on v1 from a start page: it starts there again
    line = resume.command("linkup", "connections", opts, { start_page = 3, format = "jsonl" },
      { start_page = 3, written = 0, spent = 0, version = 1 })
    assert.equal("linkup connections --start-page 3 --api-version 1 --format jsonl", line)
  end)
end)

describe("linkup.cli.errors", function()
  it("maps each failure to its exit code and one line", function()
    assert.same({ 130, "linkup: interrupted" }, { errors.explain("interrupted!") })
    assert.same({ 130, "linkup: interrupted" }, { errors.explain("x.lua:3: interrupted!") })
    assert.same({ 2, "linkup: linkup.new: unknown country \"XX\"" },
      { errors.explain("lua/linkup/cli/client.lua:52: linkup.new: unknown country \"XX\"") })
    assert.same({ 1, "linkup: not enough memory" }, { errors.explain("not enough memory") })
    local code, msg = errors.explain("lua/linkup/cli/x.lua:1: attempt to index a nil value")
    assert.equal(1, code)
    assert.matches("^linkup: internal error: ", msg)
    assert.is_true(errors.is_bug("attempt to call a nil value"))
    assert.is_false(errors.is_bug("interrupted!"))
  end)
end)
