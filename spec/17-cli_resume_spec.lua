-- bin/linkup: a stopped export (an API failure, Ctrl-C) prints a resume
-- command; run as printed (sh -c), it completes the output so that it is
-- byte for byte what one uninterrupted export writes, in every format.
-- `linkup` runs from PATH here, as it does for users.
local H = require "helpers"
local resume = require "linkup.cli.resume"

local C = require "cli_helpers"
local LUA, CLI = C.LUA, C.CLI
local sanitizers, slurp, spit = C.sanitizers, C.slurp, C.spit

describe("resuming a stopped export", function()
  local server, dir

  setup(function()
    server = H.start_server()
    dir = H.sh("mktemp -d /tmp/linkup-resume.XXXXXX"):gsub("\n$", "")
    H.sh("mkdir " .. H.q(dir .. "/bin"))
    -- `linkup` on PATH: the command under test, with the module just built
    spit(dir .. "/bin/linkup", string.format("#!/bin/sh\nexec env %sLUA_PATH=%s LUA_CPATH=%s %s %s \"$@\"\n",
      sanitizers(), H.q(package.path), H.q(package.cpath), LUA, H.q(CLI)))
    H.sh("chmod +x " .. H.q(dir .. "/bin/linkup"))
  end)
  teardown(function()
    server:stop()
    H.sh("rm -rf " .. H.q(dir))
  end)
  before_each(function() server:reset() end)

  -- The environment of every run: linkup on PATH, the key, the fake.
  local function env(extra)
    return string.format("env PATH=%s:\"$PATH\" LINKUP_API_KEY=%s LINKUP_BASE_URL=%s LINKUP_ACCOUNT_ID= " ..
      "LINKUP_LOGIN_TOKEN= COLUMNS=100 %s", H.q(dir .. "/bin"), H.q(H.API_KEY), H.q(server.url), extra or "")
  end

  -- Runs a shell command line (sh -c); returns stdout, stderr, exit code.
  local function run(line, extra_env)
    local errf = os.tmpname()
    local out = H.sh(env(extra_env) .. " sh -c " .. H.q(line) .. " 2>" .. errf .. "; echo \"exit=$?\"")
    local e = assert(io.open(errf)):read("*a")
    os.remove(errf)
    local body, rc = out:match("^(.*)exit=(%d+)\n$")
    assert.not_matches("S3CRET", body .. e)
    return body, e, tonumber(rc)
  end

  local function hint_of(err)
    local hint = err:match("resume with: (.-)\n")
    assert(hint, "no resume command in: " .. err)
    return hint
  end

  -- A file name to trip a careless shell: spaces, quotes, $, a backslash.
  local function odd_name(ext)
    return dir .. "/it's a \"$HOME\" `x` \\ file." .. ext
  end

  describe("after an API failure mid-export", function()
    for _, fmt in ipairs{ "jsonl", "json", "csv", "table" } do
      it("gives the same bytes as one clean export: " .. fmt, function()
        local clean = dir .. "/clean." .. fmt
        local args = "linkup connections --account acc-size-450 --page-size 100 --retries 0 -f " .. fmt
        local _, err, rc = run(args .. " -o " .. H.q(clean))
        assert.equal(0, rc, err)
        server:reset()
        server:fault{ path = "/v2/network", kind = "v2_error", status = 500, code = "INTERNAL_ERROR",
                      message = "upstream broke", skip = 2 }
        local path = odd_name(fmt)
        _, err, rc = run(args .. " -o " .. H.q(path))
        assert.equal(1, rc)
        assert.matches("^linkup: api error %(HTTP 500, INTERNAL_ERROR%): upstream broke", err)
        local hint = hint_of(err)
        assert.equal("linkup connections --offset 200 --api-version 2 --account acc-size-450 --retries 0 " ..
          "--page-size 100 --format " .. fmt .. " --output " .. resume.quote(path) .. " --append", hint)
        assert.matches("\nlinkup: 200 items written; resume with: ", err)
        -- what is there so far is a head of the clean file, ending between records
        local part, want = slurp(path), slurp(clean)
        assert.equal(want:sub(1, #part), part)
        _, err, rc = run(hint)
        assert.equal(0, rc, err)
        assert.equal("", err)
        assert.equal(want, slurp(path))
        os.remove(path)
        os.remove(clean)
      end)
    end

    it("carries the credit budget left and the limit left", function()
      -- each case binds by what the hint must carry: dropped, the resumed
      -- export would write more than the clean one
      local cases = {
        { "--limit 350 --max-credits 7", 350, " %-%-limit 150 .* %-%-max%-credits 3 " }, -- 2+2+2+1 credits
        { "--max-credits 8", 400, " %-%-max%-credits 4 " },                            -- 4 pages of 2
      }
      for _, case in ipairs(cases) do
        local clean = dir .. "/budget-clean.jsonl"
        local args = "linkup connections --account acc-size-1000 --page-size 100 " .. case[1]
        server:reset()
        local _, err, rc = run(args .. " -o " .. H.q(clean))
        assert.equal(0, rc, err)
        assert.equal(case[2], select(2, slurp(clean):gsub("\n", "")))
        server:reset()
        server:fault{ path = "/v2/network", kind = "v2_error", status = 402, code = "INSUFFICIENT_CREDITS", skip = 2 }
        local path = dir .. "/budget.jsonl"
        _, err, rc = run(args .. " -o " .. H.q(path))
        assert.equal(1, rc)
        local hint = hint_of(err)
        assert.matches(case[3], hint)
        _, err, rc = run(hint)
        assert.equal(0, rc, err)
        assert.equal(slurp(clean), slurp(path), case[1])
        os.remove(path)
        os.remove(clean)
      end
    end)

    it("carries a fractional budget exactly", function()
      local clean = dir .. "/frac-clean.csv"
      local args = "linkup connections --account acc-size-1000 --page-size 100 --max-credits 5 -f csv"
      server:config{ lie = { credits = "fractional" } }  -- every page says 1.5
      local _, err, rc = run(args .. " -o " .. H.q(clean))
      assert.equal(0, rc, err)
      server:reset()
      server:config{ lie = { credits = "fractional" } }
      server:fault{ path = "/v2/network", kind = "v2_error", status = 402, code = "INSUFFICIENT_CREDITS", skip = 1 }
      local path = dir .. "/frac.csv"
      _, err, rc = run(args .. " -o " .. H.q(path))
      assert.equal(1, rc)
      local hint = hint_of(err)
      assert.matches(" %-%-max%-credits 3%.5 ", hint)
      _, err, rc = run(hint)
      assert.equal(0, rc, err)
      assert.equal(slurp(clean), slurp(path))
      os.remove(path)
      os.remove(clean)
    end)

    it("on v1 resumes by offset and never shows the token", function()
      local token = "tok-S3CRET-size-95"
      local clean = dir .. "/v1-clean.csv"
      local _, err, rc = run("linkup connections -f csv --country FR -o " .. H.q(clean), "LINKUP_LOGIN_TOKEN=" .. token)
      assert.equal(0, rc, err)
      server:reset()
      server:fault{ path = "/v1/network/connections", kind = "v1_error", message = "Insufficient credits available",
                    skip = 3 }
      local path = dir .. "/v1.csv"
      _, err, rc = run("linkup connections -f csv --country FR -o " .. H.q(path), "LINKUP_LOGIN_TOKEN=" .. token)
      assert.equal(1, rc)
      local hint = hint_of(err)
      assert.equal("linkup connections --offset 30 --api-version 1 --country FR --format csv --output "
        .. resume.quote(path) .. " --append", hint)
      _, err, rc = run(hint, "LINKUP_LOGIN_TOKEN=" .. token)
      assert.equal(0, rc, err)
      assert.equal(slurp(clean), slurp(path))
      -- given on the command line, the token is still left out, and said so
      server:fault{ path = "/v1/network/connections", kind = "v1_error", message = "Insufficient credits available" }
      _, err, rc = run("linkup connections --token " .. token .. " -o /dev/null")
      assert.equal(1, rc)
      assert.matches("resume with: linkup connections %-%-offset 0 %-%-api%-version 1 %-%-format jsonl "
        .. "%-%-output /dev/null %-%-append\nlinkup: %(add %-%-token TOKEN to it", err)
      os.remove(path)
      os.remove(clean)
    end)
  end)

  describe("--append by hand", function()
    it("goes on with a closed JSON array and writes no second CSV header", function()
      for _, fmt in ipairs{ "json", "csv", "table", "jsonl" } do
        local clean, path = dir .. "/whole." .. fmt, dir .. "/halves." .. fmt
        local args = "linkup recommendations --account acc-main -f " .. fmt
        local _, err, rc = run("linkup connections --account acc-size-300 -f " .. fmt .. " -o " .. H.q(clean))
        assert.equal(0, rc, err)
        run("linkup connections --account acc-size-300 --limit 150 -f " .. fmt .. " -o " .. H.q(path))
        local half = slurp(path)
        if fmt == "json" then assert.matches("}\n%]\n$", half) end   -- complete, valid
        -- nothing to add leaves it as it is
        _, err, rc = run("linkup connections --account acc-size-300 --offset 300 -f " .. fmt .. " --append -o "
          .. H.q(path))
        assert.equal(0, rc, err)
        assert.equal(half, slurp(path))
        _, err, rc = run("linkup connections --account acc-size-300 --offset 150 -f " .. fmt .. " --append -o "
          .. H.q(path))
        assert.equal(0, rc, err)
        assert.equal(slurp(clean), slurp(path), fmt)
        -- appending to a file that does not exist starts it
        os.remove(path)
        _, err, rc = run(args .. " --limit 3 --append -o " .. H.q(path))
        assert.equal(0, rc, err)
        local fresh = slurp(path)
        _, _, rc = run(args .. " --limit 3 -o " .. H.q(path))
        assert.equal(0, rc)
        assert.equal(slurp(path), fresh)
        os.remove(path)
        os.remove(clean)
      end
    end)

    it("refuses a file that does not end where a record does (exit 2, untouched)", function()
      local path = dir .. "/torn.jsonl"
      spit(path, '{"name":"x"}\n{"na')
      local _, err, rc = run("linkup connections --account acc-size-5 --append -o " .. H.q(path))
      assert.equal(2, rc)
      assert.matches("^linkup: %-%-append: cannot go on after what .* holds: it does not end with a whole line\n$", err)
      assert.equal('{"name":"x"}\n{"na', slurp(path))
      spit(path, "[1,2]")
      _, err, rc = run("linkup connections --account acc-size-5 -f json --append -o " .. H.q(path))
      assert.equal(2, rc)
      assert.matches("does not end like a JSON array", err)
      assert.equal(0, server:stats().requests)
      os.remove(path)
    end)
  end)

  describe("after Ctrl-C", function()
    -- Starts an export in the background; returns its pid and a function
    -- that waits for its end and returns stderr and the exit code.
    local function start(line)
      local pidf, rcf, errf = os.tmpname(), os.tmpname(), os.tmpname()
      os.remove(pidf)
      os.remove(rcf)
      H.sh(string.format("( %s sh -c %s 2>%s & echo $! >%s; wait $!; echo $? >%s ) </dev/null >/dev/null 2>&1 &",
        env(), H.q("exec " .. line), errf, pidf, rcf))
      local pid
      for _ = 1, 100 do
        pid = slurp(pidf)
        if pid and pid:find("%d\n") then break end
        H.sleep(0.05)
      end
      os.remove(pidf)
      return pid:match("%d+"), function()
        local rc
        for _ = 1, 200 do
          rc = slurp(rcf)
          if rc and rc:find("%d") then break end
          H.sleep(0.05)
        end
        local err = slurp(errf)
        os.remove(rcf)
        os.remove(errf)
        assert.not_matches("S3CRET", err)
        return err, tonumber(rc)
      end
    end

    for _, fmt in ipairs{ "jsonl", "json", "csv" } do
      it("stops at a record, exits 130, and the printed command completes the file: " .. fmt, function()
        local clean = dir .. "/sig-clean." .. fmt
        local args = "linkup connections --account acc-size-1000 --page-size 100 -f " .. fmt
        local _, err, rc = run(args .. " -o " .. H.q(clean))
        assert.equal(0, rc, err)
        server:reset()
        server:config{ latency = 0.3 }
        local path = odd_name(fmt)
        local pid, finish = start(args .. " -o " .. H.q(path))
        for _ = 1, 100 do
          if server:stats().requests >= 3 then break end
          H.sleep(0.05)
        end
        H.sh("kill -INT " .. pid)
        err, rc = finish()
        assert.equal(130, rc, err)
        assert.matches("^linkup: interrupted\nlinkup: %d+ items written; resume with: linkup connections ", err)
        assert.not_matches("traceback", err)
        local asked = server:stats().requests
        assert.is_true(asked >= 3 and asked < 10, "requests: " .. asked)
        local part, want = slurp(path), slurp(clean)
        assert.equal(want:sub(1, #part), part)
        assert.is_true(#part < #want)
        server:config{ latency = 0 }
        _, err, rc = run(hint_of(err))
        assert.equal(0, rc, err)
        assert.equal(want, slurp(path))
        os.remove(path)
        os.remove(clean)
      end)
    end

    -- kill -9 prints no hint: every record is one write(2), so the file
    -- still ends where a record does, and --offset (the records it holds)
    -- with --append completes it, as docs/cli.md says.
    for _, fmt in ipairs{ "jsonl", "json" } do
      it("kill -9: the file ends at a record; --offset N --append completes it: " .. fmt, function()
        local clean = dir .. "/k9-clean." .. fmt
        local args = "linkup connections --account acc-size-1000 --page-size 100 -f " .. fmt
        local _, err, rc = run(args .. " -o " .. H.q(clean))
        assert.equal(0, rc, err)
        server:reset()
        server:config{ latency = 0.3 }
        local path = odd_name(fmt)
        local pid, finish = start(args .. " -o " .. H.q(path))
        for _ = 1, 100 do
          if server:stats().requests >= 3 then break end
          H.sleep(0.05)
        end
        H.sh("kill -9 " .. pid)
        _, rc = finish()
        assert.equal(137, rc)
        local part, want = slurp(path), slurp(clean)
        assert.equal(want:sub(1, #part), part)
        assert.is_true(#part < #want)
        local n = fmt == "jsonl" and select(2, part:gsub("\n", ""))
          or tonumber((H.sh("python3 -c 'import json,sys; print(len(json.loads(open(sys.argv[1]).read() + \"]\")))' "
                           .. H.q(path))))
        assert.is_true(n > 0 and n < 1000, "records: " .. tostring(n))
        server:config{ latency = 0 }
        _, err, rc = run(args .. " --offset " .. n .. " --append -o " .. H.q(path))
        assert.equal(0, rc, err)
        assert.equal(want, slurp(path))
        os.remove(path)
        os.remove(clean)
      end)
    end
  end)

  it("quotes every word for a POSIX shell", function()
    local words = { "plain", "two words", "it's", '"dq"', "$HOME", "`id`", "a\\b", "", "tab\there", "new\nline",
                    "*.csv", "~", "-o", "é中🚀" }
    local line = "printf '%s|' "
    for _, w in ipairs(words) do line = line .. resume.quote(w) .. " " end
    assert.equal(table.concat(words, "|") .. "|", H.sh(line))
    assert.equal("3.5", resume.number(3.5))
    assert.equal("0.1", resume.number(0.1))
    assert.equal("12", resume.number(12.0))
    assert.equal(0.1 + 0.2, tonumber(resume.number(0.1 + 0.2)))
  end)
end)
