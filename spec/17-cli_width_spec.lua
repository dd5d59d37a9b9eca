-- linkup.cli.width (a wcwidth in Lua) and the table format's alignment.
-- The reference is Python's wcwidth package (wcwidth() per code point;
-- iter_graphemes() and wcswidth() of each for strings), an implementation the Lua
-- shares nothing with but the range tables; where it is missing or too old
-- to know graphemes, the cases that need it are pending.
local H = require "helpers"
local cjson = require "cjson"
local width = require "linkup.cli.width"
local visible = require "linkup.cli.visible"

local LUA, CLI = require("cli_helpers").LUA, require("cli_helpers").CLI

local sanitizers = require("cli_helpers").sanitizers

local HAVE_REFERENCE = select(2, H.sh("python3 -c 'import wcwidth; wcwidth.iter_graphemes' 2>/dev/null"))

-- Runs a Python script on a JSON value; returns the JSON it prints.
local function python(script, value)
  local path = os.tmpname()
  local f = assert(io.open(path, "wb"))
  f:write(cjson.encode(value))
  f:close()
  local out = H.sh("python3 -c " .. H.q("import json, sys, wcwidth\nv = json.load(open(sys.argv[1], encoding='utf-8'))\n"
    .. script) .. " " .. path)
  os.remove(path)
  local ok, doc = pcall(cjson.decode, out)
  assert(ok, "python said: " .. out)
  return doc
end

-- Strings a terminal gets wrong without a careful wcwidth.
local TRICKY = {
  "plain ascii", "Linda Källqvist", "王小明", "全角ＡＢＣ", "한국어 텍스트", "カタカナ",
  "e\204\129\204\129 two accents", "zw\226\128\139sp", "zw\226\128\141j alone", "a\226\128\141🚀 after a",
  "👨‍👩‍👧 family", "👩🏽‍💻 coder", "❤️ heart VS16", "❤ heart", "✌︎ text VS15", "1️⃣ keycap",
  "🇫🇷🇩🇪 flags", "🇫 lone indicator", "👍🏽 thumb", "🏻 lone tone", "क्षत्रिय conjunct", "कः mark",
  "Sam 🚀 Lee", "Ünïcödé 💼 Ørsted", "mixed 中a文b🚀c", "\239\191\189 replacement",
}

-- TRICKY's widths by the reference (the sum of wcswidth() over
-- iter_graphemes(), Python wcwidth 0.7.0), recorded so that the check runs
-- where that package is missing (Debian's python3-wcwidth predates graphemes).
local TRICKY_WIDTHS = { 11, 15, 6, 10, 13, 8, 13, 4, 9, 11, 9, 8, 13, 7, 11, 9, 10, 17, 8, 12, 14, 7, 10, 17, 15, 13 }

describe("linkup.cli.width", function()
  it("gives the reference's width for every tricky string, recorded (no Python needed)", function()
    assert.equal(#TRICKY, #TRICKY_WIDTHS)
    for i, s in ipairs(TRICKY) do assert.equal(TRICKY_WIDTHS[i], width.of(s), s) end
  end)

  it("agrees with Python's wcwidth() on every code point", function()
    if not HAVE_REFERENCE then pending("python3 wcwidth (>= 0.3, grapheme-aware) is not installed") return end
    -- the widths as runs: { first code point, width } where the width changes
    local want = python([[
out, prev = [], None
for cp in range(0x110000):
    w = -9 if 0xD800 <= cp <= 0xDFFF else max(0, wcwidth.wcwidth(chr(cp)))
    if w != prev:
        out.append([cp, w])
        prev = w
print(json.dumps(out))]], {})
    local got, prev = {}, nil
    for cp = 0, 0x10FFFF do
      local w = (cp >= 0xD800 and cp <= 0xDFFF) and -9 or width.char(cp)
      if w ~= prev then
        got[#got + 1] = { cp, w }
        prev = w
      end
    end
    assert.equal(#want, #got)
    for i = 1, #want do assert.same(want[i], got[i]) end
  end)

  it("agrees with Python's wcwidth on strings: CJK, emoji, ZWJ, VS15/16, tones, flags, marks, conjuncts",
    function()
    if not HAVE_REFERENCE then pending("python3 wcwidth (>= 0.3, grapheme-aware) is not installed") return end
    local server = H.start_server()
    local strings = {}
    for _, s in ipairs(TRICKY) do strings[#strings + 1] = s end
    for _, kind in ipairs{ "connections", "recommendations" } do
      for _, item in ipairs(server:expected(kind, 2, 60, 0, 60)) do
        for _, k in ipairs{ "name", "job_title", "subtitle", "insight" } do
          if type(item[k]) == "string" then strings[#strings + 1] = visible.text(item[k]) end
        end
      end
    end
    server:stop()
    -- the width of a string: the sum of its grapheme clusters' (wcswidth()
    -- would also drop a letter after a ZWJ, which terminals show)
    local want = python("print(json.dumps([sum(wcwidth.wcswidth(g) for g in wcwidth.iter_graphemes(s)) for s in v]))",
      strings)
    for i, s in ipairs(strings) do assert.equal(want[i], width.of(s), s) end
  end)

  it("cuts at a width, on grapheme boundaries, and fits exactly", function()
    local cases = {}
    for _, s in ipairs(TRICKY) do
      for w = 1, 14 do
        local fitted = width.fit(s, w)
        local head, hw = width.cut(s, w)
        assert.equal(w, width.of(fitted), s .. " in " .. w)
        assert.is_true(hw <= w)
        assert.equal(head, s:sub(1, #head))
        cases[#cases + 1] = { s, #head, fitted, w }
      end
    end
    if not HAVE_REFERENCE then return end
    -- every cut lands between two graphemes, and every fitted cell is w wide
    local bad = python([[
bad = []
for s, nbytes, fitted, w in v:
    b = s.encode('utf-8')
    ends = {0}
    at = 0
    for g in wcwidth.iter_graphemes(s):
        at += len(g.encode('utf-8'))
        ends.add(at)
    if nbytes not in ends or sum(wcwidth.wcswidth(g) for g in wcwidth.iter_graphemes(fitted)) != w:
        bad.append([s, nbytes, w])
print(json.dumps(bad))]], cases)
    assert.same({}, bad)
  end)

  it("decodes UTF-8 strictly: overlongs, surrogates and stray bytes are not characters", function()
    for _, bad in ipairs{ "\192\175", "\224\128\175", "\237\160\128", "\244\144\128\128", "\128", "\255", "\226\130" } do
      assert.is_nil((width.decode(bad, 1)), bad:byte(1))
    end
    assert.equal(0x20AC, (width.decode("\226\130\172", 1)))
    assert.equal(0x1F680, (width.decode("🚀", 1)))
    assert.equal(3, width.of("a\255b"))   -- a stray byte shows as one column (U+FFFD)
  end)
end)

describe("linkup.cli.visible", function()
  it("shows every control, C1, bidi override and stray byte as an escape", function()
    assert.equal("a\\x1b[31mb", visible.text("a\27[31mb"))
    assert.equal("t\\x1b]0;x\\x07", visible.text("t\27]0;x\7"))
    assert.equal("\\u009b2J \\u0085", visible.text("\194\155" .. "2J \194\133"))
    assert.equal("\\u202eabc\\u2066\\u200f\\u2028\\u061c", visible.text("\226\128\174abc\226\129\166\226\128\143" ..
      "\226\128\168\216\156"))
    assert.equal("bad\\xff\\xc3(", visible.text("bad\255\195("))
    assert.equal("a b c", visible.text("a\r\n\tb\nc"))
    assert.equal("\\x00\\x7f", visible.text("\0\127"))
    local keep = "Zoë 王小明 🚀 👨‍👩‍👧 e\204\129"
    assert.equal(keep, visible.text(keep))
  end)
end)

describe("the table format", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  local function table_of(args, columns)
    return H.sh(string.format("env %sLUA_PATH=%s LUA_CPATH=%s LINKUP_API_KEY=%s LINKUP_BASE_URL=%s COLUMNS=%d %s %s %s",
      sanitizers(), H.q(package.path), H.q(package.cpath), H.q(H.API_KEY), H.q(server.url), columns, LUA, CLI, args))
  end

  -- For each line: the display column each grapheme starts at, by the
  -- reference (or, without it, by linkup.cli.width).
  local function starts(text)
    local list = {}
    for line in text:gmatch("[^\n]+") do list[#list + 1] = line end
    if HAVE_REFERENCE then
      return python([[
out = []
for line in v:
    col, st = 0, {}
    for g in wcwidth.iter_graphemes(line):
        st[str(col)] = g
        col += wcwidth.wcswidth(g)
    out.append({"starts": st, "width": col})
print(json.dumps(out))]], list)
    end
    local out = {}
    for i, line in ipairs(list) do
      local c, st, col, from = width.clusters(line), {}, 0, 1
      for k = 1, #c, 2 do
        st[tostring(col)] = line:sub(from, c[k])
        col, from = col + c[k + 1], c[k] + 1
      end
      out[i] = { starts = st, width = col }
    end
    return out
  end

  -- Every column boundary falls at the same display column on every line:
  -- a separating space starts there (or the line ended before it).
  local function assert_aligned(text, columns, nfields)
    local col = math.max(2, math.floor((columns - 6) / nfields) - 1)
    local bounds = { 6 }
    for k = 1, nfields - 1 do bounds[k + 1] = 6 + k * (col + 1) end
    local lines = starts(text)
    assert.is_true(#lines > 1)
    for i, l in ipairs(lines) do
      assert.is_true(l.width <= columns, "line " .. i .. " is " .. l.width .. " wide")
      for _, b in ipairs(bounds) do
        -- (a mark or skin tone opening a cell joins the space before it)
        if l.width > b then
          assert.equal(" ", (l.starts[tostring(b)] or ""):sub(1, 1), "line " .. i .. ", column " .. b)
        end
      end
    end
    return #lines
  end

  it("lines up the fake's names (CJK, emoji, accents) at every width", function()
    for _, columns in ipairs{ 40, 63, 80, 120 } do
      local out = table_of("connections --account acc-size-140 -f table --fields name,job_title,profile_url", columns)
      assert.equal(141, assert_aligned(out, columns, 3))
      out = table_of("recommendations --account acc-main -f table", columns)
      assert.equal(61, assert_aligned(out, columns, 6))
    end
  end)

  it("lines up ZWJ sequences, variation selectors, combining marks, ZWSP, flags and escapes", function()
    local connections = {}
    for i, s in ipairs(TRICKY) do
      connections[i] = { name = s, job_title = ("\27[1m" .. s .. " ") .. s, profile_url = "https://x/" .. i }
    end
    for _, columns in ipairs{ 40, 57, 100 } do
      server:fault{ path = "/v2/network", kind = "body", status = 200, content_type = "application/json",
        body = cjson.encode{ success = true, metadata = { credits_consumed = 1 },
          data = { connections = connections, total_available_results = #connections,
                   pagination = { offset = 0, count = 100, next_offset = #connections, has_more = false } } } }
      local out = table_of("connections --account acc-main -f table", columns)
      assert.equal(#TRICKY + 1, assert_aligned(out, columns, 4))
      assert.not_matches("\27", out)
    end
  end)

  it("and examples/list_connections.lua lines up the same way", function()
    local out = H.sh(string.format("env %sLUA_PATH=%s LUA_CPATH=%s LINKUP_API_KEY=%s LINKUP_BASE_URL=%s " ..
      "LINKUP_ACCOUNT_ID=acc-main %s examples/list_connections.lua 40", sanitizers(), H.q(package.path),
      H.q(package.cpath), H.q(H.API_KEY), H.q(server.url), LUA))
    local rows = {}
    for line in out:gmatch("[^\n]+") do
      if line:find("^%s+%d+  ") or line:find("^  %S") then rows[#rows + 1] = line end
    end
    assert.is_true(#rows > 40)
    for i, l in ipairs(starts(table.concat(rows, "\n"))) do
      local at = rows[i]:find("^%s+%d+  ") and 40 or 36 -- "%4d  " or "  ", then 34 columns
      assert.equal(" ", (l.starts[tostring(at)] or ""):sub(1, 1), rows[i])
    end
  end)
end)
