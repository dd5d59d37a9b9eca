-- csrc/lkhash.c: SHA-256 (the name a rate limiter gets for an API key)
-- against FIPS 180-4's test vectors; item fingerprints; the window a walk
-- drops repeats with.
local H = require "helpers"
local core = require "linkup.core"

describe("hashing", function()
  it("sha256hex matches the standard's vectors", function()
    assert.equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", core.sha256hex(""))
    assert.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", core.sha256hex("abc"))
    assert.equal("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
      core.sha256hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
    assert.equal("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
      core.sha256hex(string.rep("a", 1000000)))
    -- 55, 56 and 64 bytes: the padding's edge cases
    assert.equal("9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318", core.sha256hex(string.rep("a", 55)))
    assert.equal("b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a", core.sha256hex(string.rep("a", 56)))
    assert.equal("ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb", core.sha256hex(string.rep("a", 64)))
    assert.matches("^sha256:%x+$", require("linkup.ratelimit").key_name(H.API_KEY))
  end)

  it("fingerprints depend on the whole content, not on the order of fields", function()
    local a = { name = "A", profile_url = "u", tags = { 1, 2 }, n = 3 }
    local b = { n = 3, tags = { 1, 2 }, profile_url = "u", name = "A" }
    local others = { { name = "A", profile_url = "u", tags = { 2, 1 }, n = 3 },
                     { name = "A", profile_url = "u", tags = { 1, 2 }, n = 3.5 }, {}, "x", 7 }
    local w = core.seen(64)
    local _, _, repeats = w:keep({ a, b }, 1, 1)
    assert.equal(1, repeats)          -- b is a with its fields in another order
    local kept
    kept, _, repeats = w:keep(others, 3, 3)
    assert.equal(others, kept)        -- each differs from a in one place
    assert.equal(0, repeats)
  end)

  it("a window keeps what is new, drops what is passed or seen, copies nothing when all is new", function()
    local w = core.seen(8)
    local page = { { id = 1 }, { id = 2 }, { id = 3 } }
    local kept, pos, repeats = w:keep(page, 11, 11)
    assert.equal(page, kept)
    assert.is_nil(pos)
    assert.equal(0, repeats)
    -- overlapping: 2 and 3 again, then 4
    kept, pos, repeats = w:keep({ { id = 2 }, { id = 3 }, { id = 4 } }, 14, 14)
    assert.same({ { id = 4 } }, kept)
    assert.same({ 16 }, pos)
    assert.equal(2, repeats)
    -- positions before `from` are dropped without counting as repeats
    kept, pos, repeats = w:keep({ { id = 5 }, { id = 6 } }, 16, 17)
    assert.same({ { id = 6 } }, kept)
    assert.same({ 17 }, pos)
    assert.equal(0, repeats)
    -- a window forgets what is far enough behind: 8 remembered at least
    local big = core.seen(8)
    for i = 1, 40 do big:keep({ { id = i } }, i, i) end
    kept = big:keep({ { id = 40 }, { id = 33 }, { id = 1 } }, 41, 41)
    assert.same({ { id = 1 } }, kept)
    assert.has_error(function() core.seen(1) end)
  end)
end)
