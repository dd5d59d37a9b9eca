-- JSON in C: lua-cjson's decoder on a private instance, our normalisation,
-- and the request-body encoder.
local H = require "helpers"
local core = require "linkup.core"
local cjson = require "cjson"

describe("JSON decoding (C, lua-cjson)", function()
  it("turns whole numbers into integers on 5.3+", function()
    local t = assert(core.decode('{"a":25,"b":-3,"c":1.5,"d":[1,2.0,3e2]}'))
    assert.equal(25, t.a)
    assert.equal(1.5, t.c)
    if math.type then
      assert.equal("integer", math.type(t.a))
      assert.equal("integer", math.type(t.b))
      assert.equal("float", math.type(t.c))
      assert.equal("integer", math.type(t.d[2]))
      assert.equal("integer", math.type(t.d[3]))
    end
  end)

  it("drops null and the documented N/A placeholders from objects", function()
    local t = assert(core.decode('{"name":"N/A","job_title":"N/A","profile_picture":"N/A","x":null,' ..
      '"list":[1,null,3],"inner":{"job_title":"N/A","y":null,"z":"N/A"}}'))
    assert.equal("N/A", t.name)          -- only the documented fields
    assert.is_nil(t.job_title)
    assert.is_nil(t.profile_picture)
    assert.is_nil(t.x)
    assert.is_nil(t.inner.job_title)
    assert.is_nil(t.inner.y)
    assert.equal("N/A", t.inner.z)
    assert.equal(3, #t.list)             -- arrays keep their length: null stays a sentinel
    assert.equal(H.linkup.null, t.list[2])
  end)

  it("keeps UTF-8, quotes, backslashes and newlines exact", function()
    local s = 'Linda K\xc3\xa4llqvist "Q" \\ \n \xf0\x9f\x9a\x80'
    local t = assert(core.decode(core.encode({ name = s })))
    assert.equal(s, t.name)
    t = assert(core.decode('{"n":"\\u00e9\\ud83d\\ude80"}'))
    assert.equal("\xc3\xa9\xf0\x9f\x9a\x80", t.n)
  end)

  it("returns nil and a message for bad input, never raises", function()
    for _, body in ipairs{ "", "nope", "{", '{"a":}', "<html>502</html>", "[1,2", '{"a":NaN}', '{"a":0x10}',
                           string.rep("[", 100) .. string.rep("]", 100) } do
      local v, err = core.decode(body)
      assert.is_nil(v, body)
      assert.is_string(err)
    end
  end)

  it("never touches the user's cjson settings", function()
    cjson.decode_max_depth(2)
    local ok = pcall(cjson.decode, '[[[1]]]')
    assert.is_false(ok)                                  -- the user's setting holds for the user
    assert.is_table(core.decode('[[[[[[1]]]]]]'))        -- and not for linkup
    cjson.decode_max_depth(1000)
  end)
end)

describe("JSON encoding (C)", function()
  it("writes integers as integers", function()
    assert.equal('{"count":25,"offset":0}', core.encode({ count = 25, offset = 0 }))
    assert.equal('{"n":25}', core.encode({ n = 25.0 }))
    assert.equal('{"n":1.5}', core.encode({ n = 1.5 }))
  end)

  it("sorts keys, nests, escapes", function()
    assert.equal('{"a":"x\\"y\\\\z\\n\\u0001","b":{"c":[1,"2",true]}}',
      core.encode({ b = { c = { 1, "2", true } }, a = 'x"y\\z\n\1' }))
    assert.equal("{}", core.encode({}))
  end)

  it("raises on values JSON cannot hold", function()
    assert.has_error(function() core.encode({ f = print }) end)
    assert.has_error(function() core.encode({ n = 0 / 0 }) end)
    assert.has_error(function() core.encode({ [true] = 1 }) end)
    local deep = {}
    local t = deep
    for _ = 1, 40 do t.x = {} t = t.x end
    assert.has_error(function() core.encode(deep) end)
  end)
end)

describe("the header parser (C)", function()
  local parse = core._parse_headers
  it("reads names in lower case, trims values, joins repeats", function()
    local h = parse("HTTP/1.1 200 OK\r\nContent-Type: application/json \r\nX-A: 1\r\nx-a: 2\r\nRetry-After:\t3\r\n")
    assert.same({ ["content-type"] = "application/json", ["x-a"] = "1, 2", ["retry-after"] = "3" }, h)
  end)
  it("does not read past a short last line (fuzzer find, fuzz/corpus/regress-header-overread)", function()
    assert.same({ a = "" }, parse("a:"))
    assert.same({ x = "1", ab = "" }, parse("X: 1\r\nab:"))
    assert.same({}, parse(":"))
    assert.same({}, parse("HTTP"))
    assert.same({}, parse(""))
  end)
end)
