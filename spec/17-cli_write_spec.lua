-- bin/linkup: every write is checked. A write that fails (a full device, a
-- full disk, a reader gone with SIGPIPE ignored) stops the export at once,
-- before any further request, exit 1 with the resume command; the output
-- ends at a record boundary and the resume command completes it.
local H = require "helpers"

local C = require "cli_helpers"
local LUA, CLI = C.LUA, C.CLI
local sanitizers, slurp = C.sanitizers, C.slurp

local function lines(s) return select(2, s:gsub("\n", "")) end

describe("a failed write", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  local function command(args)
    return string.format("env %sLUA_PATH=%s LUA_CPATH=%s LINKUP_API_KEY=%s LINKUP_BASE_URL=%s COLUMNS=100 %s %s %s",
      sanitizers(), H.q(package.path), H.q(package.cpath), H.q(H.API_KEY), H.q(server.url), LUA, CLI, args)
  end

  -- Runs linkup; returns stdout, stderr, exit code.
  local function run(args)
    local errf = os.tmpname()
    local out = H.sh(command(args) .. " 2>" .. errf .. "; echo \"exit=$?\"")
    local e = assert(io.open(errf)):read("*a")
    os.remove(errf)
    local body, rc = out:match("^(.*)exit=(%d+)\n$")
    return body, e, tonumber(rc)
  end

  describe("to /dev/full", function()
    it("stops at the first record: one request, exit 1, the resume command", function()
      local out, err, rc = run("connections --account acc-size-500 --page-size 100 -o /dev/full")
      assert.equal(1, rc)
      assert.equal("", out)
      assert.equal("linkup: cannot write /dev/full: No space left on device\n" ..
        "linkup: 0 items written; resume with: linkup connections --offset 0 --api-version 2 " ..
        "--account acc-size-500 --page-size 100 --format jsonl --output /dev/full --append\n", err)
      assert.equal(1, server:stats().requests)   -- was 5, every page paid for
    end)

    it("of help or a completion script exits 1", function()
      for _, args in ipairs{ "--help", "connections --help", "--version", "completion bash" } do
        local _, err, rc = run(args .. " >/dev/full")
        assert.equal(1, rc, args)
        assert.equal("linkup: cannot write standard output: No space left on device\n", err, args)
      end
    end)

    it("of a write command's log (invite, check, sync): exit 1 at the first line, no second request", function()
      -- the log is the only record of writes that changed something: it
      -- goes out line by line (unbuffered), each write checked
      local _, err, rc = run("invite --account acc-main --dry-run https://www.linkedin.com/in/a1 " ..
        "https://www.linkedin.com/in/a2 >/dev/full")
      assert.equal(1, rc, err)
      assert.matches("^linkup: cannot write standard output: No space left on device\n", err)
      _, err, rc = run("invite --account acc-main https://www.linkedin.com/in/a1 " ..
        "https://www.linkedin.com/in/a2 >/dev/full")
      assert.equal(1, rc, err)
      assert.matches("^linkup: cannot write standard output: No space left on device\n", err)
      assert.equal(1, server:stats().requests)   -- the second invite is not sent
      server:reset()
      _, err, rc = run("check --account acc-main https://www.linkedin.com/in/a1 " ..
        "https://www.linkedin.com/in/a2 >/dev/full")
      assert.equal(1, rc, err)
      assert.equal(1, server:stats().requests)
    end)

    it("stops at the header, before any request", function()
      for _, fmt in ipairs{ "csv", "json", "table" } do
        local _, err, rc = run("connections --account acc-size-500 -f " .. fmt .. " -o /dev/full")
        assert.equal(1, rc, fmt)
        assert.matches("^linkup: cannot write /dev/full: No space left on device\n", err)
        assert.equal(0, server:stats().requests, fmt)
      end
    end)
  end)

  describe("to a disk that fills up", function()
    local dir, mounted
    setup(function()
      dir = H.sh("mktemp -d /tmp/linkup-full.XXXXXX"):gsub("\n$", "")
      local _, ok = H.sh("mount -t tmpfs -o size=64k tmpfs " .. H.q(dir) .. " 2>&1")
      mounted = ok
    end)
    teardown(function()
      if mounted then H.sh("umount " .. H.q(dir)) end
      H.sh("rmdir " .. H.q(dir))
    end)

    for _, fmt in ipairs{ "jsonl", "csv" } do
      it("stops on the page that hit it, cut back to whole records, and resumes once there is room: " .. fmt,
        function()
        if not mounted then
          pending("mount -t tmpfs refused here (not root?): nothing to fill")
          return
        end
        H.sh("mount -o remount,size=64k " .. H.q(dir))
        local clean = os.tmpname()
        local args = "connections --account acc-size-1000 --page-size 100 -f " .. fmt .. " -o "
        local _, err, rc = run(args .. clean)
        assert.equal(0, rc, err)
        server:reset()
        local path = dir .. "/out." .. fmt
        H.sh("rm -f " .. H.q(dir) .. "/*")
        _, err, rc = run(args .. H.q(path))
        assert.equal(1, rc)
        assert.matches("^linkup: cannot write " .. dir:gsub("%p", "%%%0") .. "/out%." .. fmt ..
          ": No space left on device\n", err)
        local written = tonumber(err:match("\nlinkup: (%d+) items written; resume with: "))
        local at = tonumber(err:match("resume with: linkup connections %-%-offset (%d+) "))
        assert.equal(written, at)
        local part, want = slurp(path), slurp(clean)
        assert.is_true(#part > 30000 and #part <= 65536, #part)
        assert.equal(want:sub(1, #part), part)                 -- a head of the clean file...
        -- ...of exactly the records the hint counts (CSV: CRLF ends a record, names hold LF)
        local records = fmt == "csv" and select(2, part:gsub("\r\n", "")) - 1 or lines(part)
        assert.equal(at, records)
        assert.equal(want:sub(#part + 1, #part + 1) ~= "" and "\n" or "", part:sub(-1))
        -- no request after the page during which the disk filled
        assert.equal(math.floor(at / 100) + 1, server:stats().requests)
        H.sh("mount -o remount,size=4m " .. H.q(dir))
        _, err, rc = run(err:match("resume with: linkup (.-)\n"))
        assert.equal(0, rc, err)
        assert.equal(want, slurp(path))
        os.remove(path)
        os.remove(clean)
      end)
    end
  end)

  it("to a pipe whose reader is gone, with SIGPIPE ignored (as under systemd): one request, exit 1", function()
    local rcf, errf = os.tmpname(), os.tmpname()
    local line = string.format("trap '' PIPE; (%s 2>%s; echo $? >%s) | head -1",
      command("connections --account acc-size-5000 --page-size 1000"), errf, rcf)
    local out = H.sh("sh -c " .. H.q(line))
    local err = slurp(errf)
    assert.matches('^{"job_title":"Planhat', out)
    assert.equal(1, lines(out))
    assert.equal("1\n", slurp(rcf))
    assert.matches("^linkup: cannot write standard output: Broken pipe\nlinkup: %d+ items written; resume with: ", err)
    assert.equal(1, server:stats().requests)                     -- was 5, every page asked for
    os.remove(rcf)
    os.remove(errf)
  end)
end)
