-- bin/linkup's store commands against the fake LinkupAPI: sync (full,
-- new-only, all, budgets, failures, Ctrl-C, kill -9, two at once, a busy,
-- read-only or full database), changes in every format, invite --db (once
-- per person, a daily cap across runs, Ctrl-C recorded), check --db, and
-- examples/cron_daily.sh. The database is read back with sqlite3.
local H = require "helpers"
local C = require "cli_helpers"
local SH = require "store_helpers"
local cjson = require "cjson"

local records, sql, num = C.records, SH.sql, SH.num
local IS_ROOT = H.sh("id -u"):match("^0") ~= nil

describe("linkup store commands", function()
  local server, bed
  setup(function()
    server = H.start_server()
    bed = C.bed()
  end)
  teardown(function()
    server:stop()
    bed:cleanup()
    SH.cleanup()
  end)
  before_each(function() server:reset() end)

  local function run(line, env) return bed:run(server, line, env) end

  describe("sync", function()
    it("full, then new-only: one JSON line per kind, what new-only saved, changes since the first run", function()
      local db = SH.tmpdb()
      local out, err, rc = run("linkup sync --db " .. db .. " --account acc-size-300")
      assert.equal(0, rc, err)
      local s = records(out)[1]
      assert.same({ "connections", 1, "full", true, 300, 300, 0, 6 }, { s.kind, s.run, s.mode, s.complete, s.seen,
        s.added, s.removed, s.credits })
      assert.equal("linkup: connections: run 1 (full): 300 seen, 300 added, 0 removed, 6 credits\n", err)
      out, err, rc = run("linkup sync connections --db " .. db .. " --account acc-size-300 --new-only")
      assert.equal(0, rc, err)
      s = records(out)[1]
      assert.same({ 2, "new-only", 100, 0, 2, 6, 4 }, { s.run, s.mode, s.seen, s.added, s.credits,
        s.full_walk_credits, s.saved_credits })
      assert.matches("%(a full walk: 6, saved 4%)", err)
      assert.equal(300, num(db, "SELECT count(DISTINCT profile_url) FROM connections"))
      out, err, rc = run("linkup changes --db " .. db .. " --since 1 -f csv --fields change,run,profile_url")
      assert.equal(0, rc, err)
      assert.equal(301, select(2, out:gsub("\r\n", "")))
      assert.matches("^change,run,profile_url\r\nadded,1,https://www.linkedin.com/in/person%-", out)
      out = run("linkup changes --db " .. db .. " --since 2")
      assert.equal("", out)                       -- the new-only run added nobody
    end)

    it("all: every kind in turn; v1 needs --account-key, checked before any request", function()
      local db = SH.tmpdb()
      local out, err, rc = run("linkup sync all --db " .. db .. " --token tok-size-30-inv-12-sent-14")
      assert.equal(2, rc)
      assert.equal("", out)
      assert.matches("^linkup: API v1 needs %-%-account%-key NAME", err)
      assert.equal(0, server:stats().requests)
      out, err, rc = run("linkup sync all --db " .. db .. " --token tok-size-30-inv-12-sent-14 --account-key me")
      assert.equal(0, rc, err)
      local got = records(out)
      assert.equal(4, #got)
      local seen = {}
      for _, s in ipairs(got) do
        seen[s.kind] = s.seen
        assert.equal("me", s.account)
        assert.is_true(s.complete)
      end
      assert.same({ connections = 30, invitations = 12, sent_invitations = 14, recommendations = 30 }, seen)
      assert.equal("", sql(db, "SELECT json FROM connections WHERE json LIKE '%S3CRET%' OR json LIKE '%tok-size%'"))
      assert.equal(0, num(db, "SELECT count(*) FROM runs WHERE account LIKE 'tok%'"))
      out, err, rc = run("linkup sync --db " .. db .. " --account a --known-run 3")
      assert.equal(2, rc)
      assert.equal("", out)
      assert.matches("%-%-known%-run goes with %-%-new%-only", err)
      out, err, rc = run("linkup sync --account a")
      assert.equal(2, rc)
      assert.equal("", out)
      assert.matches("sync needs %-%-db FILE", err)
    end)

    it("stopped by --max-credits: exit 1, says how to resume; the same command finishes the same run", function()
      local db = SH.tmpdb()
      local line = "linkup sync --db " .. db .. " --account acc-size-500 --max-credits 5"
      local out, err, rc = run(line)
      assert.equal(1, rc)
      local s = records(out)[1]
      assert.same({ false, 200, 4 }, { s.complete, s.seen, s.credits })
      assert.matches("\nlinkup: stopped by %-%-max%-credits at offset 200 of 500\n", err)
      assert.matches("\nlinkup: the sync of connections did not finish; run the same command again to resume it "
        .. "%(run 1%)\n$", err)
      out, err, rc = run((line:gsub(" %-%-max%-credits 5", "")))
      assert.equal(0, rc, err)
      s = records(out)[1]
      assert.same({ 1, true, true, 300 }, { s.run, s.resumed, s.complete, s.seen })
      assert.equal(500, num(db, "SELECT count(DISTINCT profile_url) FROM connections"))
      assert.equal(500, num(db, "SELECT count(*) FROM connections"))
    end)

    it("a failed request: exit 1, the error, a record, and the same command resumes the run", function()
      local db = SH.tmpdb()
      server:fault{ path = "/v2/network", kind = "v2_error", status = 500, code = "INTERNAL_ERROR", message = "down",
                    skip = 2 }
      local line = "linkup sync --db " .. db .. " --account acc-size-400 --retries 0"
      local out, err, rc = run(line)
      assert.equal(1, rc)
      local r = records(out)[1]
      assert.same({ "connections", 1, false, "failed" }, { r.kind, r.run, r.complete, r.status })
      -- the store resumes by itself: no walk's "resume at offset" to mislead
      assert.equal("linkup: api error (HTTP 500, INTERNAL_ERROR): down [1 attempt, retryable]", r.error)
      assert.matches("^linkup: api error %(HTTP 500, INTERNAL_ERROR%): down", err)
      assert.matches("run the same command again to resume it %(run 1%)\n$", err)
      out, err, rc = run(line)
      assert.equal(0, rc, err)
      assert.same({ 1, 200 }, { records(out)[1].run, records(out)[1].seen })
      assert.equal(400, num(db, "SELECT count(*) FROM connections"))
    end)

    it("Ctrl-C: exit 130, the run kept; kill -9: the database intact; the same command finishes both", function()
      local slow = H.start_server("--latency 0.05")
      finally(function() slow:stop() end)
      local db = SH.tmpdb()
      local line = "linkup sync --db " .. db .. " --account acc-size-3000"
      local function offset()
        return io.open(db) and (num(db, "SELECT coalesce(max(next_offset), 0) FROM runs") or 0) or 0
      end
      local pid, finish = bed:start(slow, line)
      assert.is_true(C.wait_for(function() return offset() >= 300 end))
      H.sh("kill -INT " .. pid)
      local out, err, rc = finish()
      assert.equal(130, rc, err)
      assert.equal("interrupted", records(out)[1].status)
      assert.matches("^linkup: interrupted\nlinkup: the sync of connections did not finish; run the same command "
        .. "again to resume it %(run 1%)\n$", err)
      -- again, and this time kill -9 it
      local at = offset()
      pid, finish = bed:start(slow, line)
      assert.is_true(C.wait_for(function() return offset() >= at + 300 end))
      H.sh("kill -9 " .. pid)
      out, err, rc = finish()
      assert.equal("", out .. err)                -- kill -9: no last word
      assert.equal(137, rc)
      assert.equal("ok", sql(db, "PRAGMA integrity_check"))
      at = num(db, "SELECT next_offset FROM runs")
      assert.equal(at, num(db, "SELECT count(*) FROM connections"))
      slow:config{ latency = 0 }
      out, err, rc = bed:run(slow, line)
      assert.equal(0, rc, err)
      local s = records(out)[1]
      assert.same({ 1, true, true, 3000 - at }, { s.run, s.resumed, s.complete, s.seen })
      assert.equal("ok", sql(db, "PRAGMA integrity_check"))
      SH.assert_people(db, 0, 2999)
    end)

    it("two at once: one finishes, the other stops with a clear error; no row twice", function()
      local slow = H.start_server("--latency 0.05")
      finally(function() slow:stop() end)
      local db = SH.tmpdb()
      local line = "linkup sync --db " .. db .. " --account acc-size-1500"
      local pid1, finish1 = bed:start(slow, line)
      assert.is_true(C.wait_for(function()
        return io.open(db) and (num(db, "SELECT coalesce(max(next_offset), 0) FROM runs") or 0) >= 200
      end))
      local _, finish2 = bed:start(slow, line)
      local out1, err1, rc1 = finish1()
      local out2, err2, rc2 = finish2()
      assert.truthy(pid1)
      -- the second takes the run up where it stands; the first then finds it taken
      assert.same({ 0, 1 }, { math.min(rc1, rc2), math.max(rc1, rc2) }, err1 .. err2)
      local failed = rc1 == 1 and err1 or err2
      assert.matches("^linkup: store error %(TAKEN%): another linkup", failed)
      local done = records(rc1 == 0 and out1 or out2)[1]
      assert.is_true(done.complete)
      assert.equal("failed", records(rc1 == 1 and out1 or out2)[1].status)
      assert.equal("ok", sql(db, "PRAGMA integrity_check"))
      assert.same({ 1500, 1500 }, { num(db, "SELECT count(*) FROM connections"),
                                    num(db, "SELECT count(DISTINCT profile_url) FROM connections") })
    end)

    it("a busy database: waits, then one clear line, exit 1, no request", function()
      local db = SH.tmpdb()
      local _, err, rc = run("linkup sync --db " .. db .. " --account acc-size-30")
      assert.equal(0, rc, err)
      server:reset()
      -- another writer holds the lock past linkup's 5 s wait
      SH.hold_write_lock(db, 7)
      local out
      out, err, rc = run("linkup sync --db " .. db .. " --account acc-size-30")
      assert.equal(1, rc)
      assert.matches("^linkup: store error %(BUSY%): the database is busy: another linkup may be running", err)
      assert.equal(1, select(2, err:gsub("\n", "")))
      assert.equal("failed", records(out)[1].status)
      assert.equal(0, server:stats().requests)
    end)

    it("a read-only file system, then a full disk: one clear line each, exit 1; room again, the run goes on", function()
      if not IS_ROOT then return pending("needs root to mount a tmpfs") end
      local dir = SH.tmpdir()
      local _, ok = H.sh("mount -t tmpfs -o size=512k tmpfs " .. H.q(dir) .. " 2>&1")
      if not ok then return pending("mount -t tmpfs is not allowed here") end
      finally(function() H.sh("umount " .. H.q(dir) .. " 2>/dev/null") end)
      local db = dir .. "/linkup.db"
      local _, err, rc = run("linkup sync --db " .. db .. " --account acc-size-30")
      assert.equal(0, rc, err)
      H.sh("mount -o remount,ro " .. H.q(dir))
      server:reset()
      _, err, rc = run("linkup sync --db " .. db .. " --account acc-size-30")
      assert.equal(1, rc)
      assert.matches("^linkup: store error %(READONLY%): cannot write the database %(Read%-only file system%)", err)
      assert.equal(1, select(2, err:gsub("\n", "")))
      assert.equal(0, server:stats().requests)
      H.sh("mount -o remount,rw " .. H.q(dir))
      local out
      out, err, rc = run("linkup sync --db " .. db .. " --account acc-size-5000 --page-size 1000")
      assert.equal(1, rc)
      assert.matches("^linkup: store error %(FULL%): the disk is full", err)
      assert.equal("failed", records(out)[1].status)
      assert.equal("ok", sql(db, "PRAGMA integrity_check"))
      H.sh("mount -o remount,size=16m " .. H.q(dir))
      out, err, rc = run("linkup sync --db " .. db .. " --account acc-size-5000 --page-size 1000")
      assert.equal(0, rc, err)
      assert.is_true(records(out)[1].resumed)
      assert.equal(5000, num(db, "SELECT count(DISTINCT profile_url) FROM connections WHERE account = 'acc-size-5000'"))
    end)
  end)

  describe("changes", function()
    -- A database where run 1 saw persons 0-29 and run 2 (a full sync of a
    -- list without its 5 newest) marked them removed.
    local db
    setup(function()
      db = SH.tmpdb()
      server:reset()
      assert.equal(0, select(3, run("linkup sync --db " .. db .. " --account acc-size-30")))
      -- the same account's list, now persons 5..34: the fake numbers from 0, so shift
      local store = assert(require("linkup.store").open(db))
      assert(store:sync(SH.shifted_client(server, "acc-size-30", 5), "connections", { account = "acc-size-30" }))
      store:close()
    end)

    it("in every format, with a change field", function()
      local out, err, rc = run("linkup changes --db " .. db .. " --since 2")
      assert.equal(0, rc, err)
      local got = records(out)
      assert.equal(10, #got)
      local n = { added = 0, removed = 0 }
      for _, r in ipairs(got) do
        n[r.change] = n[r.change] + 1
        assert.equal(2, r.run)
        assert.is_table(r.item)
        assert.is_nil(r.json)
      end
      assert.same({ added = 5, removed = 5 }, n)
      out, err, rc = run("linkup changes --db " .. db .. " --since 2 -f json --fields change,name,item.job_title")
      assert.equal(0, rc, err)
      local doc = cjson.decode(out)
      assert.equal(10, #doc)
      assert.equal("added", doc[1].change)
      assert.is_string(doc[1].name)
      out, err, rc = run("linkup changes --db " .. db .. " --since 2 -f csv")
      assert.equal(0, rc, err)
      assert.matches("^change,run,name,headline,profile_url,removed_at\r\n", out)
      out, err, rc = run("linkup changes --db " .. db .. " --since 2 -f table --fields change,profile_url")
      assert.equal(0, rc, err)
      assert.matches("^%s+# change +profile_url\n%s+1 added ", out)
      assert.matches("\n%s+10 removed ", out)
      local path = bed:path("changes.csv")
      out, err, rc = run("linkup changes --db " .. db .. " --since 1970-01-01 -f csv -o " .. H.q(path))
      assert.equal(0, rc, err)
      assert.equal("", out)
      assert.equal(41, select(2, C.slurp(path):gsub("\r\n", "")))  -- 35 added (30 + 5), 5 removed, the header
    end)

    it("refuses a bad --since, an unknown field, a missing --db; a database that cannot be opened is exit 1", function()
      for args, want in pairs{
        ["--since yesterday"] = "since must be a run id or a date",
        ["--since 1 --fields nmae"] = "unknown field 'nmae' for changes of connections; the fields are: change, run,",
        ["--since 1 --kind sent --fields item.sender.headline"] = "unknown field 'item.sender.headline'",
      } do
        local out, err, rc = run("linkup changes --db " .. db .. " " .. args)
        assert.equal(2, rc, args)
        assert.equal("", out)
        assert.matches(want, err, 1, true)
      end
      local _, err, rc = run("linkup changes --since 1")
      assert.equal(2, rc)
      assert.matches("changes needs %-%-db FILE", err)
      _, err, rc = run("linkup changes --since 1 --db /nonexistent/dir/x.db")
      assert.equal(1, rc)
      assert.matches("^linkup: store error %(OPEN%): cannot open the database", err)
    end)
  end)

  describe("invite --db", function()
    local function urls(n)
      local t = {}
      for i = 1, n do t[i] = "https://www.linkedin.com/in/guarded-" .. i end
      return table.concat(t, " ")
    end

    it("never invites a person twice across runs, and caps invites per UTC day across runs", function()
      local db = SH.tmpdb()
      local base = "linkup invite --account acc-main --db " .. db .. " --max-per-day 3 "
      local out, err, rc = run(base .. "--dry-run " .. urls(2))
      assert.equal(2, #records(out))
      assert.equal(0, rc, err)
      assert.equal(0, num(db, "SELECT count(*) FROM invite_attempts"))   -- a plan records nothing
      out, err, rc = run(base .. urls(2))
      assert.equal(0, rc, err)
      assert.same({ "ok", "ok" }, { records(out)[1].outcome, records(out)[2].outcome })
      -- again, with more people: the two are skipped, one more fits under the cap, then it stops
      out, err, rc = run(base .. urls(5))
      assert.equal(0, rc, err)
      local got = records(out)
      assert.equal(4, #got)
      assert.same({ "skipped", "skipped", "ok", "skipped" }, { got[1].outcome, got[2].outcome, got[3].outcome,
        got[4].outcome })
      assert.matches("was already invited by acc%-main %(attempt %d+: ok%)", got[1].reason)
      assert.matches("reached its cap of 3 invitations for %d+%-%d+%-%d+ %(UTC%)", got[4].reason)
      assert.matches("^linkup: stopped: the daily cap %(%-%-max%-per%-day%) is reached; 1 not attempted\n", err)
      local n = {}
      for _, e in ipairs(C.writes(server)) do
        local u = cjson.decode(e.body).params.profile_url
        n[u] = (n[u] or 0) + 1
      end
      for u, k in pairs(n) do assert.equal(1, k, u) end
      assert.equal(3, #C.writes(server))
      assert.equal("3|ok", sql(db, "SELECT count(*), outcome FROM invite_attempts GROUP BY outcome"))
      -- a dry run under the cap plans nothing more
      out, err, rc = run(base .. "--dry-run https://www.linkedin.com/in/guarded-9")
      assert.equal(0, rc, err)
      assert.equal("skipped", records(out)[1].outcome)
    end)

    it("Ctrl-C: the invite in flight is uncertain in the log and in the database; check --db settles it", function()
      local db = SH.tmpdb()
      server:config{ latency = 0.5 }
      local pid, finish = bed:start(server, "linkup invite --account acc-main --db " .. db .. " " .. urls(5))
      assert.is_true(C.wait_for(function() return #C.writes(server) >= 2 end))
      H.sh("kill -INT " .. pid)
      local out, err, rc = finish()
      assert.equal(130, rc, err)
      local got = records(out)
      local last = got[#got]
      assert.equal("uncertain", last.outcome)
      assert.matches("see what it did with: linkup check " .. last.profile_url:gsub("%p", "%%%0")
        .. " %-%-account acc%-main %-%-db ", err)
      assert.equal("uncertain", sql(db, "SELECT outcome FROM invite_attempts WHERE profile_url = '"
        .. last.profile_url .. "'"))
      server:config{ latency = 0 }
      -- the fake applies the invite once its latency is over, answered or not
      assert.is_true(C.wait_for(function()
        for _, st in ipairs(server:control("GET", "/_state?account=acc-main").sent) do
          if st.profile_url == last.profile_url then return true end
        end
      end, 3))
      -- the next run skips that person: maybe invited
      out, err, rc = run("linkup invite --account acc-main --db " .. db .. " " .. last.profile_url)
      assert.equal(0, rc, err)
      assert.equal("skipped", records(out)[1].outcome)
      -- check says it went out: settled ok
      out, err, rc = run("linkup check --account acc-main --db " .. db .. " " .. last.profile_url)
      assert.equal(0, rc, err)
      assert.equal("ok", records(out)[1].settled)
      assert.equal("ok", sql(db, "SELECT outcome FROM invite_attempts WHERE profile_url = '" .. last.profile_url .. "'"))
    end)

    it("an uncertain invite that did not go out is settled failed by check --db, and may be sent again", function()
      local db = SH.tmpdb()
      server:fault{ path = "/v2/network", match = { action = "invite" }, kind = "refuse" }
      local url = "https://www.linkedin.com/in/refused-1"
      local out, err, rc = run("linkup invite --account acc-main --db " .. db .. " " .. url)
      assert.equal(1, rc)
      assert.matches("1 uncertain", err)
      assert.equal("uncertain", records(out)[1].outcome)
      out, err, rc = run("linkup check --account acc-main --db " .. db .. " " .. url)
      assert.equal(0, rc, err)
      assert.same({ "NO_INVITATION", "failed" }, { records(out)[1].invitation_state, records(out)[1].settled })
      out, err, rc = run("linkup invite --account acc-main --db " .. db .. " " .. url)
      assert.equal(0, rc, err)
      assert.equal("ok", records(out)[1].outcome)
    end)
  end)

  it("examples/cron_daily.sh: syncs, reports the changes since it last ran, and invites under a cap", function()
    local db = SH.tmpdb()
    local leads = bed:path("leads.csv")
    C.spit(leads, "profile_url\nhttps://www.linkedin.com/in/lead-1\nhttps://www.linkedin.com/in/lead-2\n"
      .. "https://www.linkedin.com/in/lead-3\n")
    local line = "sh examples/cron_daily.sh " .. H.q(db)
    local env = "LINKUP_ACCOUNT_ID=acc-size-40-inv-4 INVITE_FROM=" .. H.q(leads) .. " INVITES_PER_DAY=2"
    local out, err, rc = run(line, env)
    assert.equal(0, rc, err)
    assert.matches("^== %d+%-%d+%-%d+T", out)
    assert.matches("\n%-%- connections since run 1\n", out)
    assert.equal(44, select(2, out:gsub("\n%s+%d+ added ", "")))   -- 40 connections, 4 invitations
    assert.matches("\n%-%- invitations since run 1\n", out)
    assert.equal(2, select(2, out:gsub('"outcome":"ok"', "")))
    assert.matches('"outcome":"skipped","profile_url":"https://www.linkedin.com/in/lead%-3","reason":"acc%-size%-40%-inv%-4 '
      .. 'reached its cap of 2 invitations', out)
    -- the next day's run (same UTC day here): nothing new, nobody invited twice
    out, err, rc = run(line, env)
    assert.equal(0, rc, err)
    assert.matches("\n%-%- connections since run 3\n", out)
    assert.not_matches(" added ", out)
    assert.not_matches('"outcome":"ok"', out)
    assert.equal(2, #C.writes(server))
  end)
end)
