-- bin/linkup: formats, exit codes, progress, resume hints; run as a real
-- child process against the fake LinkupAPI.
local H = require "helpers"
local cjson = require "cjson"

local LUA = os.getenv("LINKUP_LUA") or "lua5.4"

describe("bin/linkup", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  -- Runs the command; returns stdout, stderr, exit code.
  local function run(args, env)
    local errf = os.tmpname()
    local cmd = string.format("env LUA_PATH=%s LUA_CPATH=%s LINKUP_API_KEY=%s LINKUP_BASE_URL=%s %s %s bin/linkup %s 2>%s",
      H.q(package.path), H.q(package.cpath), H.q(H.API_KEY), H.q(server.url), env or "", LUA, args, errf)
    local out = H.sh(cmd .. "; echo \"exit=$?\"", true)
    local e = assert(io.open(errf)):read("*a")
    os.remove(errf)
    local body, rc = out:match("^(.*)exit=(%d+)\n$")
    assert.not_matches("S3CRET", body .. e)
    return body, e, tonumber(rc)
  end

  local function python(script, input_path)
    return H.sh("python3 -c " .. H.q(script) .. " " .. H.q(input_path))
  end

  it("prints help and its version, exit 0", function()
    local out, _, rc = run("--help")
    assert.equal(0, rc)
    assert.matches("usage: linkup <command>", out)
    out, _, rc = run("connections --help")
    assert.equal(0, rc)
    assert.matches("%-%-format FMT", out)
    assert.matches("%-%-max%-credits", out)
    out, _, rc = run("--version")
    assert.equal(0, rc)
    assert.matches("^linkup %d", out)
    assert.equal(0, server:stats().requests)
  end)

  it("exits 2 on usage errors, with one line and no traceback", function()
    for _, args in ipairs{ "connections --bogus", "connections --limit x", "invitations", "connections -f xml",
                           "connections --country XX --account a", "connections --limit 0 --account a",
                           "connections" --[[ no account ]], "connections --append" } do
      local out, err, rc = run(args)
      assert.equal(2, rc, args .. ": " .. err)
      assert.equal("", out, args)
      assert.matches("^linkup: [^\n]+\n$", err, args)
      assert.not_matches("traceback", err)
    end
    local _, err, rc = run("connections --account a", "LINKUP_API_KEY=")
    assert.equal(2, rc)
    assert.matches("LINKUP_API_KEY", err)
    assert.equal(0, server:stats().requests)
  end)

  it("exits 1 on an API error, with the error's one line", function()
    local _, err, rc = run("connections --account acc-broke")
    assert.equal(1, rc)
    assert.matches("^linkup: api error %(HTTP 402, INSUFFICIENT_CREDITS%)", err)
    assert.not_matches("traceback", err)
  end)

  it("writes JSON lines that a JSON tool reads back", function()
    local path = os.tmpname()
    local _, _, rc = run("connections --account acc-size-120 -o " .. path)
    assert.equal(0, rc)
    local out = python("import json,sys\nrows=[json.loads(l) for l in open(sys.argv[1],encoding='utf-8')]\n" ..
      "print(len(rows)); print(rows[3]['name']); print('job_title' in rows[3])", path)
    os.remove(path)
    local want = server:expected("connections", 2, 120, 0, 120)
    assert.equal("120\n" .. want[4].name .. "\nFalse\n", out)   -- item 3 has no job title (N/A)
  end)

  it("writes one JSON array", function()
    local path = os.tmpname()
    local _, _, rc = run("recommendations --account acc-main --limit 7 -f json -o " .. path)
    assert.equal(0, rc)
    local doc = cjson.decode(assert(io.open(path)):read("*a"))
    os.remove(path)
    assert.equal(7, #doc)
    assert.equal(server:expected("recommendations", 2, 60, 0, 7)[7].profile_url, doc[7].profile_url)
    -- and an empty walk is still valid JSON
    local out = run("connections --account acc-size-0 -f json")
    assert.same({}, cjson.decode(out))
  end)

  it("writes RFC 4180 CSV that Python's csv module reads back exactly", function()
    local path = os.tmpname()
    local _, _, rc = run("connections --account acc-size-60 -f csv -o " .. path)
    assert.equal(0, rc)
    local raw = assert(io.open(path, "rb")):read("*a")
    assert.matches("^name,job_title,profile_url,profile_picture\r\n", raw)
    local out = python("import csv,json,sys\nrows=list(csv.DictReader(open(sys.argv[1],newline='',encoding='utf-8')))\n" ..
      "print(json.dumps(rows))", path)
    os.remove(path)
    local rows = cjson.decode(out)
    local want = server:expected("connections", 2, 60, 0, 60)
    assert.equal(60, #rows)
    for i, w in ipairs(want) do
      assert.equal(w.name, rows[i].name)                          -- quotes, commas, newlines, emoji
      assert.equal(w.job_title == "N/A" and "" or w.job_title, rows[i].job_title)
      assert.equal(w.profile_url, rows[i].profile_url)
    end
  end)

  it("fits a table to the terminal width", function()
    local out, _, rc = run("connections --account acc-size-30 -f table --fields name,job_title", "COLUMNS=60")
    assert.equal(0, rc)
    local lines = 0
    for line in out:gmatch("[^\n]+") do
      lines = lines + 1
      local _, cont = line:gsub("[\128-\191]", "")
      assert.is_true(#line - cont <= 60, line)
    end
    assert.equal(31, lines)                                       -- header + 30 rows, newlines flattened
    assert.matches("^%s+# name", out)
  end)

  it("keeps v1 options: token, country, start page", function()
    local out, _, rc = run("connections --token tok-size-45 --country DE --start-page 3")
    assert.equal(0, rc)
    local n = 0
    for _ in out:gmatch("[^\n]+") do n = n + 1 end
    assert.equal(25, n)
    for _, b in ipairs(server:bodies()) do
      assert.equal("DE", b.country)
      assert.equal("tok-size-45", b.login_token)
    end
  end)

  it("stops within --max-credits and --limit", function()
    local out, _, rc = run("connections --account acc-size-1000 --page-size 100 --max-credits 5")
    assert.equal(0, rc)
    local n = select(2, out:gsub("\n", ""))
    assert.equal(200, n)
    out = run("connections --account acc-size-1000 --limit 7")
    assert.equal(7, select(2, out:gsub("\n", "")))
  end)

  it("says how to resume an interrupted export", function()
    server:fault{ path = "/v2/network", kind = "v2_error", status = 402, code = "INSUFFICIENT_CREDITS", skip = 2 }
    local path = os.tmpname()
    local _, err, rc = run("connections --account acc-size-500 --page-size 100 --retries 0 -o " .. path)
    assert.equal(1, rc)
    assert.matches("200 items written; resume with: linkup connections %-%-offset 200 ", err)
    -- the printed command finishes the job
    local cmd = err:match("resume with: linkup (.-)\n")
    _, err, rc = run(cmd)
    assert.equal(0, rc, err)
    local n = 0
    for _ in io.lines(path) do n = n + 1 end
    os.remove(path)
    assert.equal(500, n)
  end)

  it("shows progress only on a terminal", function()
    local _, err = run("connections --account acc-size-300 --page-size 100 -o /dev/null")
    assert.equal("", err)                                         -- stderr is a file here
    local _, forced = run("connections --account acc-size-300 --page-size 100 -o /dev/null --progress")
    assert.matches("\r300 items, 3 pages, 6 credits", forced)
    -- in a pseudo-terminal (script(1) from util-linux), without asking; only
    -- the linkup process gets the sanitizer runtimes the suite may preload
    local pre = ""
    for _, v in ipairs{ "LD_PRELOAD", "ASAN_OPTIONS", "LSAN_OPTIONS", "UBSAN_OPTIONS" } do
      if os.getenv(v) then pre = pre .. v .. "=" .. H.q(os.getenv(v)) .. " " end
    end
    local cmd = string.format("env %sLUA_PATH=%s LUA_CPATH=%s LINKUP_API_KEY=%s LINKUP_BASE_URL=%s %s bin/linkup " ..
      "connections --account acc-size-300 --page-size 100 -o /dev/null",
      pre, H.q(package.path), H.q(package.cpath), H.q(H.API_KEY), H.q(server.url), LUA)
    local tty = H.sh("script -qfec " .. H.q(cmd) .. " /dev/null")
    assert.matches("300 items, 3 pages, 6 credits", tty)
  end)
end)
