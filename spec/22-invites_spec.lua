-- The invite guard: every person invited once, a daily cap across runs,
-- and a crash never leads to a second invitation. client:invite is not on
-- this branch's client yet: a stand-in table plays it (API.md's contract:
-- data, meta or nil, err with err.uncertain).
local H = require "helpers"
local SH = require "store_helpers"
local S = require "linkup.store"

local sql = SH.sql

local BOB = "https://www.linkedin.com/in/bob"
local ANN = "https://www.linkedin.com/in/ann"

-- A stand-in for client:invite that answers from a script of outcomes.
local function inviter(script)
  local c = { sent = {} }
  function c:invite(params)
    self.sent[#self.sent + 1] = params
    local r = table.remove(script, 1) or "ok"
    if r == "ok" then return { invitation_urn = "urn:li:invitation:1" }, { credits = 1 } end
    if r == "raise" then error("linkup.invite: message must be at most 300 characters", 2) end
    if r == "interrupt" then error("interrupted!", 0) end
    if r == "dry" then return { dry_run = true, action = "invite", params = params }, { credits = 1, dry_run = true } end
    if r == "uncertain" then
      return nil, { kind = "timeout", message = "timed out after sending", uncertain = true }
    end
    return nil, { kind = "api", status = 400, code = "INVALID_PARAMS", message = "it went " .. r .. " (key [REDACTED])" }
  end
  return c
end

-- A clock the spec moves.
local function clock_at(t)
  local c = { t = t }
  c.fn = function() return c.t end
  return c
end
-- seen's first two answers: seen, outcome.
local function seen2(guard, url)
  local a, b = guard:seen(url)
  return { a, b }
end

local NOV20 = 1795136400   -- 2026-11-20T01:00:00Z

describe("invite guard", function()
  teardown(SH.cleanup)

  it("begin commits a pending attempt before sending; finish records the outcome, never a secret", function()
    local db = SH.tmpdb()
    local store = assert(S.open(db))
    local guard = store:invite_guard("acc-1")
    assert.same({ false }, { guard:seen(BOB) })
    local id = assert(guard:begin(BOB .. "/", "Hello Bob"))
    -- committed: another connection sees it at once
    assert.equal("pending|https://www.linkedin.com/in/bob|Hello Bob", sql(db, "SELECT outcome, profile_url, message "
      .. "FROM invite_attempts WHERE id = " .. id))
    assert.same({ true, "pending", id }, { guard:seen("HTTPS://linkedin.com/in/Bob?trk=x") })
    assert.is_true(guard:finish(id, "failed", { kind = "api", status = 400, code = "INVALID_PARAMS",
      message = "bad\nrequest", headers = { ["x-api-key"] = H.API_KEY } }))
    assert.equal("failed|api|INVALID_PARAMS|400|bad request", sql(db, "SELECT outcome, error_kind, error_code, "
      .. "error_status, error_message FROM invite_attempts WHERE id = " .. id))
    -- a failed one may be tried again
    assert.same({ false }, { guard:seen(BOB) })
    local id2 = assert(guard:begin(BOB))
    assert.is_true(guard:finish(id2, "ok"))
    assert.same({ true, "ok", id2 }, { guard:seen(BOB) })
    local again, err = guard:begin(BOB)
    assert.is_nil(again)
    assert.same({ "store", "SEEN", "ok", id2 }, { err.kind, err.code, err.outcome, err.attempt })
    -- finishing twice is refused; misuse raises
    local ok, ferr = guard:finish(id2, "failed")
    assert.is_nil(ok)
    assert.equal("NOT_PENDING", ferr.code)
    assert.has_error(function() guard:finish(id2, "maybe") end)
    assert.has_error(function() guard:begin(nil) end)
    assert.has_error(function() store:invite_guard("") end)
    assert.has_error(function() store:invite_guard("a", { max = 1 }) end)
    store:close()
    assert.not_matches("S3CRET", (H.sh("sqlite3 " .. H.q(db) .. " .dump")))
  end)

  it("a pending attempt left by a crash counts as uncertain: never sent twice", function()
    local db = SH.tmpdb()
    -- the crashed process: began, then died before finish
    local crashed = assert(S.open(db))
    local id = assert(crashed:invite_guard("acc-1"):begin(BOB, "hi"))
    crashed:close()
    local store = assert(S.open(db))
    local guard = store:invite_guard("acc-1", { max_per_day = 10 })
    assert.same({ true, "uncertain", id }, { guard:seen(BOB) })
    local client = inviter{}
    local data, err = guard:invite(client, { profile_url = BOB, message = "hi again" })
    assert.is_nil(data)
    assert.same({ "SEEN", "uncertain" }, { err.code, err.outcome })
    assert.equal(0, #client.sent)
    assert.equal(1, guard:count_today())
    -- once checked (check_invitation), it can be settled
    assert.is_true(guard:finish(id, "ok"))
    assert.same({ true, "ok" }, seen2(guard, BOB))
    -- another account's guard is separate
    assert.same({ false }, { store:invite_guard("acc-2"):seen(BOB) })
    store:close()
  end)

  it("guard:invite records ok, failed and uncertain; an uncertain one blocks, a failed one does not", function()
    local db = SH.tmpdb()
    local store = assert(S.open(db))
    local guard = store:invite_guard("acc-1")
    local client = inviter{ "uncertain", "failed", "ok" }
    local data, err = guard:invite(client, { profile_url = BOB, message = "hello" })
    assert.is_nil(data)
    assert.is_true(err.uncertain)
    assert.same({ true, "uncertain" }, seen2(guard, BOB))
    data, err = guard:invite(client, { profile_url = BOB })
    assert.is_nil(data)
    assert.equal("SEEN", err.code)
    assert.equal(1, #client.sent)          -- the second never went out

    data, err = guard:invite(client, { profile_url = ANN })
    assert.is_nil(data)
    assert.same({ "api", 400 }, { err.kind, err.status })
    data = assert(guard:invite(client, { profile_url = ANN }))
    assert.equal("urn:li:invitation:1", data.invitation_urn)
    assert.equal(3, #client.sent)
    assert.equal("uncertain|timeout|\nfailed|api|400\nok||", sql(db, "SELECT outcome, error_kind, error_status "
      .. "FROM invite_attempts ORDER BY id"))
    store:close()
  end)

  it("guard:invite: a dry run or a misuse records nothing; an interrupt leaves it uncertain", function()
    local db = SH.tmpdb()
    local store = assert(S.open(db))
    local guard = store:invite_guard("acc-1")
    local client = inviter{ "dry", "raise", "interrupt" }
    local data, meta = assert(guard:invite(client, { profile_url = BOB }))
    assert.is_true(data.dry_run and meta.dry_run)
    assert.has_error(function() guard:invite(client, { profile_url = BOB, message = string.rep("x", 400) }) end)
    assert.equal("0", sql(db, "SELECT count(*) FROM invite_attempts"))
    assert.has_error(function() guard:invite(client, { profile_url = BOB }) end, "interrupted!")
    assert.same({ true, "uncertain" }, seen2(guard, BOB))
    store:close()
  end)

  it("max_per_day counts per account per UTC day, across runs and processes", function()
    local db = SH.tmpdb()
    local clock = clock_at(NOV20)
    -- the morning run
    local store = assert(S.open(db, { clock = clock.fn }))
    local guard = store:invite_guard("acc-1", { max_per_day = 3 })
    local client = inviter{ "ok", "failed", "ok" }
    assert(guard:invite(client, { profile_url = BOB }))
    local _, err = guard:invite(client, { profile_url = ANN })   -- failed: does not count
    assert.equal("api", err.kind)
    assert(guard:invite(client, { profile_url = ANN }))
    assert.equal(2, guard:count_today())
    store:close()
    -- the evening run (another process), same UTC day
    clock.t = NOV20 + 20 * 3600
    store = assert(S.open(db, { clock = clock.fn }))
    guard = store:invite_guard("acc-1", { max_per_day = 3 })
    assert.equal(2, guard:count_today())
    local id = assert(guard:begin("https://www.linkedin.com/in/carl"))
    local none
    none, err = guard:begin("https://www.linkedin.com/in/dora")
    assert.is_nil(none)
    assert.same({ "CAP", 3, 3 }, { err.code, err.count, err.max })
    assert.matches("acc%-1 reached its cap of 3 invitations for 2026%-11%-20 %(UTC%)", err.message)
    -- another account has its own count
    assert(store:invite_guard("acc-2", { max_per_day = 3 }):begin("https://www.linkedin.com/in/dora"))
    assert(guard:finish(id, "ok"))
    store:close()
    -- the next UTC day starts again
    clock.t = NOV20 + 23 * 3600
    store = assert(S.open(db, { clock = clock.fn }))
    guard = store:invite_guard("acc-1", { max_per_day = 3 })
    assert.equal(0, guard:count_today())
    assert(guard:begin("https://www.linkedin.com/in/dora"))
    store:close()
  end)

  it("an ok invitation marks the recommendation invited", function()
    local db = SH.tmpdb()
    local server = H.start_server()
    finally(function() server:stop() end)
    local store = assert(S.open(db))
    assert(store:sync(H.client(server, { account_id = "acc-size-5" }), "recommendations", { account = "acc-1" }))
    server:stop()
    local url = sql(db, "SELECT profile_url FROM recommendations ORDER BY profile_url LIMIT 1")
    local guard = store:invite_guard("acc-1")
    assert(guard:invite(inviter{ "ok" }, { profile_url = url }))
    assert.equal("1", sql(db, "SELECT count(*) FROM recommendations WHERE invited_at IS NOT NULL"))
    store:close()
  end)
end)
