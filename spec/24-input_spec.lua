-- Secrets and what goes out (issue 11, point 12, the library's part): the
-- credentials of a base_url never show; a secret the server echoes in
-- another case or cut short is still scrubbed; no control character goes
-- into a header, no invalid UTF-8 into a body; a bad country is not echoed
-- whole.
local H = require "helpers"
local linkup = H.linkup

describe("secrets and input", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  it("never shows user:password@ of a base_url (tostring, info, on_event, errors)", function()
    local events = {}
    local url = server.url:gsub("^http://", "http://bob:pw-S3CRET-basic@")
    local c = linkup.new{ api_key = H.API_KEY, base_url = url, account_id = "acc-size-10", rate_limit = false,
                          on_event = function(ev) events[#events + 1] = ev end }
    assert.is_table((c:connections{ count = 2 }))
    server:fault{ kind = "status", status = 400, body = '{"success":false,"error":{"code":"X","message":"bad ' ..
      'http://bob:pw-S3CRET-basic@host"}}' }
    local _, err = c:connections{ count = 2 }
    H.keep(err)
    local shown = tostring(c) .. H.dump(c:info()) .. H.dump(events) .. tostring(err) .. H.dump(err)
    assert.not_matches("S3CRET", shown)
    assert.matches("%[REDACTED%]@127%.0%.0%.1", tostring(c))
    -- the credentials still went to the server (basic auth)
    assert.matches("^Basic ", server:log()[1].headers.authorization)
  end)

  it("scrubs a secret echoed in another case, or cut short", function()
    local c = H.client(server, { max_retries = 0 })
    local upper = H.API_KEY:upper()
    local cut = H.API_KEY:sub(1, 14)
    for _, echo in ipairs{ upper, cut, "x" .. H.API_KEY:sub(3, 20) .. "y", H.TOKEN:lower() } do
      server:fault{ kind = "status", status = 400,
        body = linkup.json_encode{ success = false, error = { code = "E", message = "you sent " .. echo .. "!" } } }
      local _, err = c:connections{ count = 1 }
      H.keep(err)
      assert.not_matches(echo:gsub("%p", "%%%0"), err.message)
      assert.matches("REDACTED", err.message)
    end
  end)

  it("refuses control characters (VT, FF, ESC, DEL) in what travels in headers, and invalid UTF-8", function()
    for _, bad in ipairs{ "k\11x", "k\12x", "k\27[31mx", "k\127x", "k\255x" } do
      assert.has_error(function() linkup.new{ api_key = bad, account_id = "a" } end)
      assert.has_error(function() linkup.new{ api_key = "k", account_id = bad } end)
      assert.has_error(function() linkup.new{ api_key = "k", account_id = "a", user_agent = bad } end)
    end
    local c = H.client(server)
    assert.has_error(function() c:connections{ account_id = "acc\27" } end)
    assert.has_error(function() c:invite{ profile_url = "https://www.linkedin.com/in/\192\128" } end)
    assert.has_error(function() c:invite{ profile_url = "https://x", message = "caf\233" } end) -- latin-1, not UTF-8
    assert.equal(0, server:stats().requests)
  end)

  it("does not echo a long bad country", function()
    local secretish = "FR-" .. H.TOKEN
    local ok, err = pcall(linkup.new, { api_key = "k", country = secretish })
    assert.is_false(ok)
    assert.matches("unknown country", err)
    assert.not_matches("S3CRET", err)
    ok, err = pcall(linkup.new, { api_key = "k", country = "XX" })
    assert.is_false(ok)
    assert.matches('"XX"', err)
  end)
end)
