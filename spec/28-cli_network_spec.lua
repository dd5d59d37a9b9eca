-- bin/linkup's network commands against the fake LinkupAPI, both API
-- versions where the API has the call: the invitations, sent and accounts
-- exports; invite, accept, decline, withdraw (one JSONL record per action,
-- dry runs that send nothing, writes sent once whatever fails) and check.
-- (The store commands: spec/29-cli_store.)
local H = require "helpers"
local C = require "cli_helpers"
local cjson = require "cjson"

local records = C.records

-- The profile URLs of n made-up people.
local function people(n, tag)
  local t = {}
  for i = 1, n do t[i] = "https://www.linkedin.com/in/" .. (tag or "cli") .. "-" .. i end
  return t
end

describe("linkup network commands", function()
  local server, bed
  setup(function()
    server = H.start_server()
    bed = C.bed()
  end)
  teardown(function()
    server:stop()
    bed:cleanup()
  end)
  before_each(function() server:reset() end)

  local function run(line, env) return bed:run(server, line, env) end

  -- The fake's state of an account (v2) or token (v1).
  local function state(who, v1)
    return server:control("GET", "/_state?" .. (v1 and "token=" or "account=") .. who)
  end

  -- How many times the fake received each profile's invite.
  local function invites_by_url()
    local n = {}
    for _, e in ipairs(C.writes(server)) do
      local url = cjson.decode(e.body).params.profile_url
      n[url] = (n[url] or 0) + 1
    end
    return n
  end

  describe("exports", function()
    it("invitations and sent, v2 and v1: every item, the version's fields, --type sent along", function()
      local out, err, rc = run("linkup invitations --account acc-inv-30 --page-size 7 --type CONNECTION")
      assert.equal(0, rc, err)
      local got = records(out)
      assert.equal(30, #got)
      assert.equal("https://www.linkedin.com/in/inviter-29", got[30].sender.linkedin_url)
      for _, b in ipairs(server:bodies()) do assert.equal("CONNECTION", b.params.invitation_type) end

      out, err, rc = run("linkup invitations --token tok-inv-12 -f csv")
      assert.equal(0, rc, err)
      assert.matches("^name,subtitle,profile_url,sent_time,message,shared_connections,invitation_state,invitation_id,"
        .. "entity_urn,shared_secret,profile_picture\r\n", out)

      out, err, rc = run("linkup sent --account acc-sent-12 -f csv --fields recipient.linkedin_url,sent_time_days")
      assert.equal(0, rc, err)
      assert.equal(13, select(2, out:gsub("\r\n", "")))
      assert.matches("^recipient.linkedin_url,sent_time_days\r\nhttps://www.linkedin.com/in/invitee%-0,1\r\n", out)

      out, err, rc = run("linkup sent --token tok-sent-12 --fields name,profile_url,sent_time")
      assert.equal(0, rc, err)
      got = records(out)
      assert.equal(12, #got)
      assert.same({ name = "Ada Lovelace #0", profile_url = "https://www.linkedin.com/in/invitee-0",
                    sent_time = "Sent yesterday" }, got[1])
    end)

    it("refuses the other version's fields before any request, listing the version's own", function()
      local out, err, rc = run("linkup invitations --account acc-main --fields name")
      assert.equal(2, rc)
      assert.equal("", out)
      assert.matches("^linkup: unknown field 'name' for invitations on API v2; the fields are: sender.first_name, ", err)
      out, err, rc = run("linkup sent --token tok-a --fields recipient.headline")
      assert.equal("", out)
      assert.equal(2, rc)
      assert.matches("for sent on API v1; the fields are: name, subtitle, profile_url", err)
      assert.equal(0, server:stats().requests)
    end)

    it("accounts: v2 only, no account needed, --page-size is the API's limit (1-500)", function()
      local out, err, rc = run("linkup accounts --page-size 3 -f csv --fields account_id,status")
      assert.equal(0, rc, err)
      assert.equal("account_id,status\r\nacc-main,active\r\nacc-2,active\r\nacc-3-inactive,inactive\r\n",
        out:match("^.-inactive\r\n"))
      assert.equal(8, select(2, out:gsub("\r\n", "")))   -- the header and the fake's 7 accounts
      assert.equal(3, server:stats().requests)            -- pages of 3: 3, 3, 1
      server:reset()
      out, err, rc = run("linkup accounts --page-size 501")
      assert.equal("", out)
      assert.equal(2, rc)
      assert.matches("500", err)
      out, err, rc = run("linkup accounts --api-version 1")
      assert.equal("", out)
      assert.equal(2, rc)
      assert.equal("linkup: accounts is for API v2 only (v1 has no such call)\n", err)
      assert.equal(0, server:stats().requests)
    end)

    it("a failed invitations export prints the command that completes it, --type included", function()
      local path = bed:path("inv.csv")
      server:fault{ path = "/v2/network", kind = "v2_error", status = 500, code = "INTERNAL_ERROR", message = "down",
                    skip = 2 }
      local _, err, rc = run("linkup invitations --account acc-inv-40 --page-size 10 --retries 0 --type CONNECTION "
        .. "-f csv -o " .. H.q(path))
      assert.equal(1, rc)
      local hint = err:match("resume with: (.-)\n")
      assert.equal("linkup invitations --offset 20 --api-version 2 --account acc-inv-40 --retries 0 --page-size 10 "
        .. "--format csv --output " .. path .. " --append --type CONNECTION", hint)
      _, err, rc = run(hint)
      assert.equal(0, rc, err)
      assert.equal(41, select(2, C.slurp(path):gsub("\r\n", "")))
    end)
  end)

  describe("invite", function()
    it("--dry-run sends no write, prices the plan, and says so", function()
      local urls = people(3)
      local out, err, rc = run("linkup invite --account acc-main --dry-run --message Hello " .. table.concat(urls, " "))
      assert.equal(0, rc, err)
      local got = records(out)
      assert.equal(3, #got)
      for i, r in ipairs(got) do
        assert.same({ action = "invite", outcome = "planned", credits = 1, profile_url = urls[i] }, r)
      end
      assert.equal("linkup: 3 invites planned, 3 credits\n", err)
      assert.equal(0, server:stats().requests)
    end)

    it("knows one person however the URL is spelled, as the store does (scheme, host, case, query)", function()
      local out, err, rc = run("linkup invite --account acc-main --dry-run https://www.linkedin.com/in/Ann/ " ..
        "http://linkedin.com/in/ann 'https://fr.linkedin.com/in/ann?x=1' ' https://www.linkedin.com/in/ann#top '")
      assert.equal(0, rc, err)
      local got = records(out)
      assert.same({ "planned", "skipped", "skipped", "skipped" },
                  { got[1].outcome, got[2].outcome, got[3].outcome, got[4].outcome })
      assert.equal("linkup: 1 invite planned, 1 credit, 3 skipped\n", err)
      assert.equal(0, server:stats().requests)
    end)

    it("sends each invite once, with the message, one ok record each", function()
      local urls = people(3)
      local out, err, rc = run("linkup invite --account acc-main --message 'Hi there' " .. table.concat(urls, " ")
        .. " " .. urls[2] .. "/")
      assert.equal(0, rc, err)
      local got = records(out)
      assert.same({ "ok", "ok", "ok", "skipped" }, { got[1].outcome, got[2].outcome, got[3].outcome, got[4].outcome })
      assert.equal("listed twice (argument 2)", got[4].reason)
      assert.equal(1, got[1].credits)
      assert.equal("linkup: 3 ok, 0 failed, 0 uncertain, 1 skipped; 3 credits\n", err)
      for _, b in ipairs(server:bodies()) do assert.equal("Hi there", b.params.message) end
      local n = invites_by_url()
      for _, u in ipairs(urls) do assert.equal(1, n[u]) end
      -- a second time: the API refuses (already invited): failed, exit 1
      out, err, rc = run("linkup invite --account acc-main " .. urls[1])
      assert.equal(1, rc)
      assert.equal("failed", records(out)[1].outcome)
      assert.matches("already invited", records(out)[1].error)
      assert.matches("^linkup: 0 ok, 1 failed, 0 uncertain; 0 credits\n$", err)
    end)

    it("--from reads CSV (header, quotes, CRLF, BOM) and JSON lines, decided by content", function()
      local csv = bed:path("people.txt")
      C.spit(csv, "\239\187\191name,profile_url\r\n\"Doe, \"\"J\"\"\nline two\",https://www.linkedin.com/in/csv-1\r\n"
        .. "B,https://www.linkedin.com/in/csv-2\r\n\r\n")
      local out, err, rc = run("linkup invite --account acc-main --dry-run --from " .. H.q(csv))
      assert.equal(0, rc, err)
      assert.same({ "https://www.linkedin.com/in/csv-1", "https://www.linkedin.com/in/csv-2" }, H.urls(records(out)))
      local jsonl = bed:path("people.csv")    -- the name says csv, the content is JSON lines
      C.spit(jsonl, '{"profile_url":"https://www.linkedin.com/in/j-1","note":"x"}\n\n{"profile_url":" '
        .. 'https://www.linkedin.com/in/j-2 "}\n')
      out, err, rc = run("linkup invite --account acc-main --from " .. H.q(jsonl) .. " https://www.linkedin.com/in/arg")
      assert.equal(0, rc, err)
      assert.same({ "https://www.linkedin.com/in/arg", "https://www.linkedin.com/in/j-1",
                    "https://www.linkedin.com/in/j-2" }, H.urls(records(out)))
      out, err, rc = run("cat " .. H.q(csv) .. " | linkup invite --account acc-main --dry-run --from -")
      assert.equal(0, rc, err)
      assert.equal(2, #records(out))
    end)

    it("refuses a bad row before any request, naming its line", function()
      local cases = {
        { "name,profile_url\nA,https://www.linkedin.com/in/x\nB,\nC,https://www.linkedin.com/in/y\n", ":3: no profile_url" },
        { "name,url\nA,https://www.linkedin.com/in/x\n", ":1: the header has no profile_url column" },
        { 'name,profile_url\r\n"two\r\nlines",https://www.linkedin.com/in/x\r\nB, \r\n', ":4: no profile_url" },
        { '{"profile_url":"https://www.linkedin.com/in/x"}\n{"name":"no url"}\n', ":2: no profile_url" },
        { '{"profile_url":"https://www.linkedin.com/in/x"}\nnot json\n', ":2: not a JSON object" },
        { 'profile_url\n"https://www.linkedin.com/in/x\n', ":2: a quoted field is not closed" },
        { "profile_url\nhttps://www.linkedin.com/in/x\nhttps://www.linkedin.com/in/bad\7bell\n",
          ":3: linkup%.invite: profile_url must not contain control characters" },
      }
      for i, case in ipairs(cases) do
        local path = bed:path("bad" .. i)
        C.spit(path, case[1])
        local out, err, rc = run("linkup invite --account acc-main --from " .. H.q(path))
        assert.equal(2, rc, err)
        assert.equal("", out)
        assert.matches("^linkup: " .. path:gsub("%p", "%%%0") .. case[2] .. "\n$", err)
      end
      local _, err, rc = run("linkup invite --account acc-main --message " .. H.q(string.rep("é", 301))
        .. " https://www.linkedin.com/in/x")
      assert.equal(2, rc)
      assert.equal("linkup: --message: linkup.invite: message must be at most 300 characters\n", err)
      _, err, rc = run("linkup invite --account acc-main")
      assert.equal(2, rc)
      assert.matches("give profile URLs, or %-%-from FILE", err)
      _, err, rc = run("linkup invite --token t https://www.linkedin.com/in/x")
      assert.equal(2, rc)
      assert.equal("linkup: invite is for API v2 only (v1 has no such call)\n", err)
      _, err, rc = run("linkup invite --account a --max-per-day 3 https://www.linkedin.com/in/x")
      assert.equal(2, rc)
      assert.matches("%-%-max%-per%-day needs %-%-db", err)
      assert.equal(0, server:stats().requests)
    end)

    it("--max N sends at most N and says how many were left", function()
      local out, err, rc = run("linkup invite --account acc-main --max 2 " .. table.concat(people(5), " "))
      assert.equal(0, rc, err)
      assert.equal(2, #records(out))
      assert.equal("linkup: stopped: --max 2 reached; 3 not attempted\nlinkup: 2 ok, 0 failed, 0 uncertain; 2 credits\n",
        err)
      assert.equal(2, #C.writes(server))
    end)

    it("a write that may have taken effect is uncertain, sent once, exit 1, and the summary says how to check", function()
      local urls = people(4, "fault")
      server:fault{ path = "/v2/network", match = { action = "invite" }, kind = "apply_then_stall", delay = 2, skip = 0 }
      server:fault{ path = "/v2/network", match = { action = "invite" }, kind = "apply_then_500", skip = 0 }
      server:fault{ path = "/v2/network", match = { action = "invite" }, kind = "refuse", skip = 0 }
      local out, err, rc = run("linkup invite --account acc-main --timeout 0.5 " .. table.concat(urls, " "))
      assert.equal(1, rc)
      local got = records(out)
      assert.equal(4, #got)
      local outcomes = {}
      for i, r in ipairs(got) do
        outcomes[i] = r.outcome
        if r.outcome == "uncertain" then assert.matches("uncertain: it may have taken effect", r.error) end
      end
      table.sort(outcomes)
      assert.same({ "ok", "uncertain", "uncertain", "uncertain" }, outcomes)
      local n = invites_by_url()
      for _, u in ipairs(urls) do assert.equal(1, n[u], u) end      -- never sent twice
      assert.matches("linkup: 1 ok, 0 failed, 3 uncertain; ", err)
      assert.matches("\nlinkup: an uncertain one may have taken effect; see what it did with: linkup check "
        .. "https://www.linkedin.com/in/fault%-%d %-%-account acc%-main\n$", err)
    end)

    it("rides out a storm of 429s: every invite ok, each applied once", function()
      server:fault{ path = "/v2/network", kind = "rate_limit", every = 2, times = -1, retry_after = "0" }
      local urls = people(6, "storm")
      local out, err, rc = run("linkup invite --account acc-main --retries 4 " .. table.concat(urls, " "))
      assert.equal(0, rc, err)
      for _, r in ipairs(records(out)) do assert.equal("ok", r.outcome) end
      local sent = state("acc-main").sent
      local count = {}
      for _, s in ipairs(sent) do count[s.profile_url] = (count[s.profile_url] or 0) + 1 end
      for _, u in ipairs(urls) do assert.equal(1, count[u], u) end
      assert.is_true(server:stats().requests > 6)
    end)

    it("stops at an error every other invite would meet too", function()
      local out, err, rc = run("linkup invite --account acc-broke " .. table.concat(people(3), " "))
      assert.equal(1, rc)
      assert.equal(1, #records(out))
      assert.matches("^linkup: stopped: INSUFFICIENT_CREDITS would fail every other step too; 2 not attempted\n", err)
      assert.equal(1, server:stats().requests)
    end)

    it("Ctrl-C: exit 130, the invite in flight recorded uncertain, nothing after it sent", function()
      server:config{ latency = 0.5 }
      local pid, finish = bed:start(server, "linkup invite --account acc-main " .. table.concat(people(6, "int"), " "))
      assert.is_true(C.wait_for(function() return #C.writes(server) >= 2 end))
      H.sh("kill -INT " .. pid)
      local out, err, rc = finish()
      assert.equal(130, rc, err)
      local got = records(out)
      local sent = #C.writes(server)
      assert.equal(sent, #got)                        -- every invite sent has its record
      assert.equal("uncertain", got[#got].outcome)
      assert.equal("interrupted while it was being sent", got[#got].error)
      for i = 1, #got - 1 do assert.equal("ok", got[i].outcome) end
      assert.matches("^linkup: interrupted\nlinkup: %d not attempted\nlinkup: %d ok, 0 failed, 1 uncertain", err)
      H.sleep(0.6)
      assert.equal(sent, #C.writes(server))           -- and nothing went after it
    end)
  end)

  describe("accept and decline", function()
    for _, v in ipairs{ { "v2", "--account acc-inv-7" }, { "v1", "--token tok-inv-7" } } do
      it("accept --all reads the list whole, then accepts each once: " .. v[1], function()
        local who = v[2]:match("%S+$")
        local out, err, rc = run("linkup accept --all --dry-run " .. v[2])
        assert.equal(0, rc, err)
        assert.equal(7, #records(out))
        assert.matches("^linkup: 7 accepts planned, 7 credits %(reading cost %d credits?%)\n$", err)
        assert.equal(0, #C.writes(server))
        out, err, rc = run("linkup accept --all " .. v[2])
        assert.equal(0, rc, err)
        local got = records(out)
        assert.equal(7, #got)
        assert.equal("https://www.linkedin.com/in/inviter-6", got[7].profile_url)
        for _, r in ipairs(got) do assert.equal("ok", r.outcome) end
        assert.equal(7, #C.writes(server))
        local st = state(who, v[1] == "v1")
        assert.equal(0, #st.received)
        assert.equal(7, #st.accepted)
      end)
    end

    it("accept one by --urn and --secret; decline is v2 only; the options are checked first", function()
      local inv = state("acc-inv-3").received[2]
      local out, err, rc = run("linkup accept --account acc-inv-3 --urn " .. inv.entity_urn .. " --secret "
        .. inv.shared_secret)
      assert.equal(0, rc, err)
      assert.same({ action = "accept", outcome = "ok", credits = 1, entity_urn = inv.entity_urn }, records(out)[1])
      out, err, rc = run("linkup decline --all --account acc-inv-3")
      assert.equal(0, rc, err)
      assert.equal(2, #records(out))
      assert.equal(2, #state("acc-inv-3").declined)
      server:reset()
      for args, want in pairs{
        ["accept --account a"] = "give %-%-all, or %-%-urn URN %-%-secret SECRET",
        ["accept --account a --urn u"] = "give %-%-all, or %-%-urn URN %-%-secret SECRET",
        ["accept --account a --all --urn u --secret s"] = "not both",
        ["decline --token t --all"] = "decline is for API v2 only",
      } do
        out, err, rc = run("linkup " .. args)
        assert.equal("", out)
        assert.equal(2, rc, args)
        assert.matches(want, err, 1, false, args)
      end
      assert.equal(0, server:stats().requests)
    end)
  end)

  describe("withdraw", function()
    -- The ages linkup reads from v1's text: a lower bound (LinkedIn rounds down).
    local function v1_age(days)
      local unit = days < 7 and 1 or days < 30 and 7 or days < 365 and 30 or 365
      return math.floor(days / unit) * unit
    end

    for _, v in ipairs{ { "v2", "--account acc-sent-12" }, { "v1", "--token tok-sent-12" } } do
      it("--older-than withdraws exactly the old ones, by their exact ids, even where a double rounds: " .. v[1],
        function()
        server:config{ lie = { bigint = true } }    -- ids in pairs: one a double cannot hold, then its rounding
        local who, is_v1 = v[2]:match("%S+$"), v[1] == "v1"
        local want = {}
        for _, s in ipairs(state(who, is_v1).sent) do
          if (is_v1 and v1_age(s.sent_time_days) or s.sent_time_days) > 5 then want[#want + 1] = s.invitation_id end
        end
        assert.is_true(#want >= 6)
        local out, err, rc = run("linkup withdraw --older-than 5 --dry-run " .. v[2])
        assert.equal(0, rc, err)
        assert.equal(#want, #records(out))
        assert.equal(0, #C.writes(server))
        out, err, rc = run("linkup withdraw --older-than 5 " .. v[2])
        assert.equal(0, rc, err)
        local got = {}
        for i, r in ipairs(records(out)) do
          assert.equal("ok", r.outcome)
          assert.is_true(r.age_days > 5)
          got[i] = r.invitation_id
        end
        assert.same(want, got)
        local st = state(who, is_v1)
        table.sort(want)
        table.sort(st.withdrawn)
        assert.same(want, st.withdrawn)
        assert.equal(12 - #want, #st.sent)
      end)
    end

    it("--id withdraws one; an item with neither id nor urn asks check_invitation", function()
      local sent = state("acc-sent-3").sent
      local out, err, rc = run("linkup withdraw --account acc-sent-3 --id " .. sent[3].invitation_id)
      assert.equal(0, rc, err)
      assert.same({ action = "withdraw", outcome = "ok", credits = 1, invitation_id = sent[3].invitation_id },
        records(out)[1])
      -- a list_sent page whose item has no entity_urn
      local body = cjson.encode{ success = true, metadata = { credits_consumed = 1 }, data = {
        invitations = { { recipient = { first_name = "Ada", linkedin_url = sent[1].profile_url }, sent_time = "2w",
                          sent_time_days = 14, invitation_type = "CONNECTION" } },
        total_available_results = 1, pagination = { offset = 0, count = 50, next_offset = 1, has_more = false } } }
      server:fault{ path = "/v2/network", match = { action = "list_sent" }, kind = "body", status = 200,
                    content_type = "application/json", body = body }
      out, err, rc = run("linkup withdraw --account acc-sent-3 --older-than 10")
      assert.equal(0, rc, err)
      local r = records(out)[1]
      assert.equal(sent[1].invitation_id, r.invitation_id)
      assert.equal("ok", r.outcome)
      assert.equal(1, #state("acc-sent-3").sent)
      out, err, rc = run("linkup withdraw --account acc-sent-3")
      assert.equal("", out)
      assert.equal(2, rc)
      assert.matches("give %-%-older%-than DAYS or %-%-id ID", err)
      out, err, rc = run("linkup withdraw --account acc-sent-3 --id 12ab")
      assert.equal("", out)
      assert.equal(2, rc)
      assert.matches("^linkup: %-%-id: linkup%.withdraw: ", err)
    end)
  end)

  it("reads an invitation's age from v2's number and compact text and from v1's free text", function()
    local age = require "linkup.cli.age"
    local cases = {
      { { sent_time_days = 12, sent_time = "1w" }, 12 }, { { sent_time = "3d" }, 3 }, { { sent_time = "2w" }, 14 },
      { { sent_time = "1mo" }, 30 }, { { sent_time = "5h" }, 0 }, { { sent_time = "Sent today" }, 0 },
      { { sent_time = "Sent yesterday" }, 1 }, { { sent_time = "1 day ago" }, 1 }, { { sent_time = "Sent 3 days ago" }, 3 },
      { { sent_time = "1 week ago" }, 7 }, { { sent_time = "Sent 3 weeks ago" }, 21 }, { { sent_time = "a month ago" }, 30 },
      { { sent_time = "2 months ago" }, 60 }, { { sent_time = "1 year ago" }, 365 }, { { sent_time = "2 hours ago" }, 0 },
      { { sent_time = "whenever" }, nil }, { {}, nil },
    }
    for _, c in ipairs(cases) do assert.equal(c[2], age.days(c[1]), cjson.encode(c[1])) end
  end)

  it("check prints the status of each URL, both versions", function()
    for _, who in ipairs{ "--account acc-sent-3", "--token tok-sent-3" } do
      local out, err, rc = run("linkup check " .. who .. " https://www.linkedin.com/in/invitee-1 "
        .. "https://www.linkedin.com/in/nobody")
      assert.equal(0, rc, err)
      local got = records(out)
      assert.equal("SENT", got[1].invitation_type)
      assert.equal("PENDING", got[1].invitation_state)
      assert.matches("^%d+$", got[1].invitation_id)
      assert.equal(1, got[1].credits)
      assert.equal("NO_INVITATION", got[2].invitation_state)
      assert.equal("https://www.linkedin.com/in/nobody", got[2].profile_url)
    end
    local _, err, rc = run("linkup check --account acc-broke https://www.linkedin.com/in/x")
    assert.equal(1, rc)
    assert.matches("INSUFFICIENT_CREDITS", err)
  end)
end)
