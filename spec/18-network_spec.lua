-- The rest of the network family (issue 12): invitations received and sent,
-- invite, accept, decline, withdraw, check_invitation, accounts; prices,
-- iterators, writes that never travel twice, a dry run. Against the fake's
-- state: an invite appears in the sent list, withdraw removes it, ...
local H = require "helpers"
local linkup = H.linkup

local function urls(items, field)
  local t = {}
  for i, it in ipairs(items) do
    t[i] = it[field] or (it.sender or it.recipient or {}).linkedin_url
  end
  return t
end

local function collect(f, s, c, closer)
  local out, pos = {}, {}
  for i, item in f, s, c, closer do out[#out + 1] = item pos[#pos + 1] = i end
  return out, pos
end

local function actions(server, name)
  local n = 0
  for _, e in ipairs(server:log()) do if e.action == name then n = n + 1 end end
  return n
end

describe("the network family", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  describe("v2", function()
    it("lists invitations received and sent, one page each, at the documented price", function()
      local c = H.client(server, { account_id = "acc-inv-30-sent-145" })
      local d, m = c:invitations{ count = 20, offset = 5 }
      assert.equal(20, #d.invitations)
      assert.equal(30, d.total_available_results)
      assert.equal(1, m.credits)
      local want = server:expected("invitations", 2, 30, 5, 20)
      assert.same(urls(want), urls(d.invitations))
      local inv = d.invitations[1]
      assert.matches("^urn:li:invitation:%d+$", inv.entity_urn)
      assert.is_string(inv.shared_secret)
      assert.is_string(inv.sender.first_name)
      local s, sm = c:sent_invitations{ count = 60, invitation_type = "CONNECTION" }
      assert.equal(60, #s.invitations)
      assert.equal(2, sm.credits)
      assert.equal("CONNECTION", s.invitation_type)
      assert.is_table(s.invitations[1].recipient)
      local body = server:bodies()[2]
      assert.same({ count = 60, invitation_type = "CONNECTION" }, body.params)
      assert.equal("list_sent", body.action)
    end)

    it("walks every invitation with each_invitation / each_sent_invitation / each_page", function()
      local c = H.client(server, { account_id = "acc-inv-30-sent-145" })
      local got, pos = collect(c:each_invitation{ page_size = 7 })
      assert.equal(30, #got)
      assert.equal(30, pos[30])
      assert.same(urls(server:expected("invitations", 2, 30, 0, 30)), urls(got))
      local sent = collect(c:each_sent_invitation{ page_size = 50, concurrency = 3 })
      assert.equal(145, #sent)
      assert.same(urls(server:expected("sent_invitations", 2, 145, 0, 145)), urls(sent))
      local pages = 0
      for data, meta in c:each_page("sent_invitations", { page_size = 100, limit = 120 }) do
        pages = pages + 1
        assert.is_true(#data.invitations > 0)
        assert.is_number(meta.credits_spent)
      end
      assert.equal(2, pages)
      assert.equal(3, c:estimate_credits("invitations", { limit = 120, page_size = 100 }))
    end)

    it("invites, checks, withdraws: the server's state follows", function()
      local c = H.client(server, { account_id = "acc-w" })
      local url = "https://www.linkedin.com/in/new-person-1"
      local d, m = c:invite{ profile_url = url, message = "Hello 👋 from linkup" }
      assert.matches("^urn:li:invitation:", d.invitation_urn)
      assert.equal(1, m.credits)
      local st = server:control("GET", "/_state?account=acc-w")
      assert.equal(url, st.sent[1].profile_url)
      local chk = assert(c:check_invitation{ profile_url = url })
      assert.equal("SENT", chk.invitation_type)
      assert.equal("PENDING", chk.invitation_state)
      assert.equal(st.sent[1].invitation_id, chk.invitation_id)
      local w = assert(c:withdraw{ invitation_id = chk.invitation_id })
      assert.is_true(w.withdrawn)
      assert.equal(chk.invitation_id, w.invitation_id)
      st = server:control("GET", "/_state?account=acc-w")
      assert.not_equal(url, st.sent[1].profile_url)
      assert.equal("NO_INVITATION", (c:check_invitation{ profile_url = url }).invitation_state)
    end)

    it("accepts and declines received invitations: empty data, gone from the list", function()
      local c = H.client(server, { account_id = "acc-inv-5" })
      local list = assert(c:invitations{ count = 5 }).invitations
      local a = assert(c:accept{ entity_urn = list[1].entity_urn, shared_secret = list[1].shared_secret })
      assert.same({}, a)
      assert.is_table((c:decline{ entity_urn = list[2].entity_urn, shared_secret = list[2].shared_secret }))
      local left = assert(c:invitations{ count = 5 }).invitations
      assert.equal(3, #left)
      -- accepting again: the API says no (a clear api error, not uncertain)
      local d, err = c:accept{ entity_urn = list[1].entity_urn, shared_secret = list[1].shared_secret }
      assert.is_nil(d)
      H.keep(err)
      assert.equal("api", err.kind)
      assert.is_falsy(err.uncertain)
      assert.equal(1, err.attempts)
    end)

    it("lists the connected accounts, free, and one account", function()
      local c = H.client(server)
      local d, m = c:accounts{ limit = 3, offset = 1 }
      assert.equal(3, #d.items)
      assert.equal(7, d.total)
      assert.equal(0, m.credits)
      assert.equal("acc-2", d.items[1].account_id)
      local log = server:log()
      assert.equal("GET", log[1].method)
      assert.equal("/v2/accounts", log[1].path)
      local one = assert(c:account("acc-3-inactive"))
      assert.is_false(one.is_active)
      local none, err = c:account("acc-unknown")
      assert.is_nil(none)
      assert.equal("INVALID_ACCOUNT", H.keep(err).code)
      local all, pos = collect(c:each_account{ page_size = 2 })
      assert.equal(7, #all)
      assert.equal(7, pos[7])
      assert.equal(0, c:info().credits_spent)
      local limited = collect(c:each_account{ limit = 5, page_size = 100 })
      assert.equal(5, #limited)
    end)
  end)

  describe("v1", function()
    it("lists invitations in pages of 10 and walks them", function()
      local c = H.client(server, { version = 1, login_token = "tok-inv-23-sent-31" })
      local d, m = c:invitations{ start_page = 2 }
      assert.equal(10, #d.invitations)
      assert.equal(1, m.credits)
      local _, m2 = c:invitations{ total_results = 25 }
      assert.equal(3, m2.credits)
      local got, pos = collect(c:each_invitation{})
      assert.equal(23, #got)
      assert.equal(23, pos[23])
      local sent = collect(c:each_sent_invitation{ offset = 12 })
      assert.equal(19, #sent)
      assert.same(urls(server:expected("sent_invitations", 1, 31, 12, 19)), urls(sent))
      assert.equal(3, linkup.estimate_credits{ version = 1, kind = "invitations", walk = true, limit = 23 })
    end)

    it("accepts, checks (linkedin_url on the wire), withdraws", function()
      local c = H.client(server, { version = 1, login_token = "tok-a" })
      local inv = assert(c:invitations{ start_page = 1 }).invitations[1]
      local a, m = c:accept{ entity_urn = inv.entity_urn, shared_secret = inv.shared_secret }
      assert.same({ message = "Invitation accepted successfully" }, a)
      assert.equal(1, m.credits)
      local chk = assert(c:check_invitation{ profile_url = inv.profile_url })
      assert.equal("ACCEPTED", chk.invitation_state)
      local body = server:bodies()[3]
      assert.equal(inv.profile_url, body.linkedin_url)
      assert.is_nil(body.profile_url)
      local st = server:control("GET", "/_state?token=tok-a")
      local w = assert(c:withdraw{ invitation_id = st.sent[1].invitation_id })
      assert.is_string(w.message)
      assert.equal(st.sent[1].invitation_id, server:bodies()[4].invitation_id)
    end)

    it("keeps 19-digit ids exact: withdraw removes that invitation, not its rounded neighbour", function()
      server:config{ lie = { bigint = true } }
      local c = H.client(server, { version = 1, login_token = "tok-big-sent-6" })
      local list = assert(c:sent_invitations{ start_page = 1 }).invitations
      local odd
      for _, inv in ipairs(list) do
        assert.is_string(inv.invitation_id)
        assert.matches("^%d+$", inv.invitation_id)
        if tonumber(inv.invitation_id) ~= tonumber(string.format("%.0f", tonumber(inv.invitation_id))) or
           string.format("%.0f", tonumber(inv.invitation_id)) ~= inv.invitation_id then
          odd = odd or inv
        end
      end
      assert.is_table(odd, "the fake sent no id a double cannot hold")
      assert.matches(odd.invitation_id, odd.entity_urn, 1, true)
      assert(c:withdraw{ invitation_id = odd.invitation_id })
      local st = server:control("GET", "/_state?token=tok-big-sent-6")
      assert.same({ odd.invitation_id }, st.withdrawn)
      assert.equal(5, #st.sent)
    end)

    it("has no invite, decline or accounts: they raise", function()
      local c = H.client(server, { version = 1 })
      assert.has_error(function() c:invite{ profile_url = "https://x" } end, nil)
      assert.has_error(function() c:decline{ entity_urn = "u", shared_secret = "s" } end)
      assert.has_error(function() c:accounts{} end)
      assert.has_error(function() c:account("a") end)
      assert.has_error(function() c:each_account{} end)
      assert.equal(0, server:stats().requests)
    end)
  end)

  describe("misuse raises before any request", function()
    after_each(function() assert.equal(0, server:stats().requests) end)

    it("invite: exactly one of profile_url and identifier, a note of at most 300 characters", function()
      local c = H.client(server)
      assert.has_error(function() c:invite{} end)
      assert.has_error(function() c:invite{ profile_url = "https://a", identifier = "a" } end)
      assert.has_error(function() c:invite{ profile_url = "https://a", message = string.rep("x", 301) } end)
      assert.has_error(function() c:invite{ profile_url = "https://a", message = "bad \255 utf8" } end)
      assert.has_error(function() c:invite{ profile_url = "https://a", msg = "typo" } end)
      -- 300 characters of 4 bytes each are 300 characters
      local ok = pcall(function()
        local d = c:invite{ profile_url = "https://a", message = string.rep("😀", 300) }
        return d
      end)
      assert.is_true(ok)
      server:reset()
    end)

    it("withdraw: a string of digits or a whole number below 2^53", function()
      local c = H.client(server)
      assert.has_error(function() c:withdraw{} end)
      assert.has_error(function() c:withdraw{ invitation_id = "12a" } end)
      assert.has_error(function() c:withdraw{ invitation_id = 7331558767219683329 } end) -- already rounded
      assert.has_error(function() c:withdraw{ invitation_id = 1.5 } end)
      assert.has_error(function() c:accept{ entity_urn = "u" } end)
      assert.has_error(function() c:accounts{ limit = 501 } end)
      assert.has_error(function() c:accounts{ count = 5 } end)
      assert.has_error(function() c:account() end)
      assert.has_error(function() c:invitations{ start_page = 1 } end)
    end)
  end)

  describe("writes never travel twice", function()
    local function check_uncertain(err, server_)
      H.keep(err)
      assert.is_true(linkup.is_error(err))
      assert.is_true(err.uncertain)
      assert.is_false(err.retryable)
      assert.equal(1, err.attempts)
      assert.matches("uncertain", tostring(err))
      assert.equal(1, actions(server_, "invite"))
    end

    it("a write that timed out after it was applied: one attempt, uncertain", function()
      server:fault{ kind = "apply_then_stall", delay = 1, match = { action = "invite" } }
      local c = H.client(server, { timeout = 0.3, max_retries = 3 })
      local d, err = c:invite{ profile_url = "https://www.linkedin.com/in/t1" }
      assert.is_nil(d)
      check_uncertain(err, server)
      assert.equal("timeout", err.kind)
      local st = server:control("GET", "/_state?account=" .. H.ACCOUNT)
      assert.equal("https://www.linkedin.com/in/t1", st.sent[1].profile_url)
    end)

    it("applied, then a 500; applied, then the connection closed: uncertain", function()
      local c = H.client(server, { max_retries = 3 })
      server:fault{ kind = "apply_then_500", match = { action = "invite" } }
      local _, err = c:invite{ profile_url = "https://www.linkedin.com/in/t2" }
      check_uncertain(err, server)
      assert.equal(500, err.status)
      server:reset()
      -- the client's connection is kept alive from a read first: libcurl
      -- would send a request again on a fresh connection if a reused one
      -- died before the answer; a write never reuses one
      assert.is_table((c:invitations{ count = 1 }))
      server:fault{ kind = "apply_then_close", match = { action = "invite" } }
      _, err = c:invite{ profile_url = "https://www.linkedin.com/in/t3" }
      check_uncertain(err, server)
      assert.equal("network", err.kind)
    end)

    it("refused before the request was read: still uncertain (the client cannot know)", function()
      server:fault{ kind = "refuse", match = { action = "invite" } }
      local c = H.client(server, { max_retries = 3 })
      local _, err = c:invite{ profile_url = "https://www.linkedin.com/in/t4" }
      check_uncertain(err, server)
      local st = server:control("GET", "/_state?account=" .. H.ACCOUNT)
      for _, s in ipairs(st.sent) do assert.not_equal("https://www.linkedin.com/in/t4", s.profile_url) end
    end)

    it("is retried after a 429 (the API refused it) and after a connection that never opened", function()
      server:fault{ kind = "rate_limit", match = { action = "invite" }, times = 2 }
      local c = H.client(server, { max_retries = 3 })
      local d, m = c:invite{ profile_url = "https://www.linkedin.com/in/t5" }
      assert.is_table(d)
      assert.equal(3, m.attempts)
      assert.equal(3, actions(server, "invite"))
      local closed = linkup.new{ api_key = H.API_KEY, base_url = "http://127.0.0.1:1", account_id = "a",
                                 max_retries = 2, rate_limit = false, sleep = function() end }
      local _, err = closed:invite{ profile_url = "https://www.linkedin.com/in/t6" }
      H.keep(err)
      assert.equal(3, err.attempts)
      assert.is_falsy(err.uncertain)
      assert.equal("network", err.kind)
    end)

    it("reads still retry as before", function()
      server:fault{ kind = "apply_then_500", match = { action = "check_invitation" } }
      local c = H.client(server, { max_retries = 2 })
      local d, m = c:check_invitation{ profile_url = "https://www.linkedin.com/in/nobody" }
      assert.is_table(d)
      assert.equal(2, m.attempts)
    end)
  end)

  describe("a dry run", function()
    it("sends no write, prices it, and shows what would be sent; reads still run", function()
      local c = H.client(server, { dry_run = true })
      local d, m = c:invite{ profile_url = "https://www.linkedin.com/in/dry", message = "hi" }
      assert.same({ dry_run = true, action = "invite",
                    params = { account_id = H.ACCOUNT, profile_url = "https://www.linkedin.com/in/dry", message = "hi" } }, d)
      assert.same({ credits = 1, dry_run = true }, m)
      d = c:withdraw{ invitation_id = 123 }
      assert.equal("123", d.params.invitation_id)
      assert.equal(0, server:stats().requests)
      assert.is_table((c:invitations{ count = 2 }))
      assert.equal(1, server:stats().requests)
      local url = "https://www.linkedin.com/in/dry-2"
      local results = c:batch({ { "invite", { profile_url = url } }, { "check_invitation", { profile_url = url } } })
      assert.is_true(results[1].data.dry_run)
      assert.is_string(results[2].data.invitation_state)
      assert.equal(2, server:stats().requests)
      local v1 = H.client(server, { version = 1, dry_run = true })
      local a = v1:accept{ entity_urn = "urn:x", shared_secret = "s" }
      assert.same({ entity_urn = "urn:x", shared_secret = "s" }, a.params)
      assert.not_matches("S3CRET", H.dump(a))
      assert.matches("dry run", tostring(c))
    end)
  end)
end)
