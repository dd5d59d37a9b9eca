-- bin/linkup: the parser, exit codes, formats, fields, progress and
-- completion; run as a real child process against the fake LinkupAPI.
-- (Stopping and resuming: spec/17-cli_resume; failed writes:
-- spec/17-cli_write; display width: spec/17-cli_width; packaging:
-- spec/17-cli_install.) LINKUP_CLI runs another command in its place.
local H = require "helpers"
local cjson = require "cjson"

local LUA, CLI = require("cli_helpers").LUA, require("cli_helpers").CLI

local sanitizers = require("cli_helpers").sanitizers

describe("bin/linkup", function()
  local server
  setup(function() server = H.start_server() end)
  teardown(function() server:stop() end)
  before_each(function() server:reset() end)

  local function command(args, env)
    return string.format("env %sLUA_PATH=%s LUA_CPATH=%s LINKUP_API_KEY=%s LINKUP_BASE_URL=%s %s %s %s %s",
      sanitizers(), H.q(package.path), H.q(package.cpath), H.q(H.API_KEY), H.q(server.url), env or "", LUA, CLI,
      args)
  end

  -- Runs the command; returns stdout, stderr, exit code.
  local function run(args, env)
    local errf = os.tmpname()
    local out = H.sh(command(args, env) .. " 2>" .. errf .. "; echo \"exit=$?\"")
    local e = assert(io.open(errf)):read("*a")
    os.remove(errf)
    local body, rc = out:match("^(.*)exit=(%d+)\n$")
    assert.not_matches("S3CRET", body .. e)
    return body, e, tonumber(rc)
  end

  local function python(script, input_path)
    return H.sh("python3 -c " .. H.q(script) .. " " .. H.q(input_path))
  end

  -- The next list_connections answers these connections (one page, the end).
  local function serve(connections)
    local body = cjson.encode{ success = true, metadata = { credits_consumed = 1 },
      data = { connections = connections, total_available_results = #connections,
               pagination = { offset = 0, count = 100, next_offset = #connections, has_more = false } } }
    assert.same({ ok = true }, server:fault{ path = "/v2/network", kind = "body", status = 200,
                                             content_type = "application/json", body = body })
  end

  describe("the parser", function()
    it("prints help per command and its version, exit 0", function()
      local out, _, rc = run("--help")
      assert.equal(0, rc)
      assert.matches("^Usage: linkup ", out)
      for _, c in ipairs{ "connections", "recommendations", "invitations", "sent", "accounts", "invite", "accept",
                          "decline", "withdraw", "check", "sync", "changes", "completion" } do
        assert.matches("\n   " .. c, out)
      end
      out, _, rc = run("connections --help")
      assert.equal(0, rc)
      assert.matches("Usage: linkup connections", out)
      for _, o in ipairs{ "%-%-format FMT", "%-%-max%-credits N", "%-%-api%-version 1|2", "%-%-append" } do
        assert.matches(o, out)
      end
      out, _, rc = run("recommendations -h")
      assert.equal(0, rc)
      assert.matches("Usage: linkup recommendations", out)
      out, _, rc = run("--version")
      assert.equal(0, rc)
      assert.matches("^linkup %d+%.%d+%.%d+\n$", out)
      assert.equal(0, server:stats().requests)
    end)

    it("with no arguments prints its usage on standard error and exits 2", function()
      local out, err, rc = run("")
      assert.equal(2, rc)
      assert.equal("", out)
      assert.matches("^Usage: linkup ", err)
      assert.matches("connections", err)
    end)

    it("exits 2 on usage errors, its own and argparse's, with one line and no traceback", function()
      local cases = {
        ["connections --bogus"] = "unknown option '%-%-bogus'",
        ["connections --limit x"] = "%-%-limit wants a whole number, got 'x'",
        ["connections --limit"] = "requires an argument",
        ["connections --limit 0 --account a"] = "%-%-limit must be at least 1",
        ["connections --limit 2.5 --account a"] = "whole number",
        ["connections --timeout 0 --account a"] = "%-%-timeout must be more than 0",
        ["bogus"] = "unknown command 'bogus'",
        ["connections -f xml"] = "must be one of 'jsonl', 'json', 'csv', 'table'",
        ["connections --api-version 3"] = "at most 2",
        ["connections --country XX --token t"] = "%-%-country must be one of BR CA DE",
        ["connections --country DE --account a"] = "%-%-country is for API v1",
        ["connections --api-version 2 --token t"] = "%-%-token is for API v1",
        ["connections --api-version 1 --account a"] = "%-%-account is for API v2",
        ["connections"] = "API v2 needs %-%-account",
        ["connections --api-version 1"] = "API v1 needs %-%-token",
        ["connections --append --account a"] = "%-%-append needs %-%-output",
        ["connections --fields '' --account a"] = "wants a value",
        ["connections --account a extra"] = "too many arguments",
        ["completion tcsh"] = "must be one of 'bash', 'zsh', 'fish'",
        -- the library's own misuse errors (linkup.is_misuse) are usage errors too
        ["connections --account a --offset 3 --start-page 2"] = "linkup%.each_page: give offset or start_page",
        ["connections --token t --page-size 50"] = "linkup%.each_page: v1 pages have a fixed size",
        ["recommendations --account a --offset 5"] = "one%-shot",
      }
      for args, want in pairs(cases) do
        local out, err, rc = run(args, "LINKUP_ACCOUNT_ID= LINKUP_LOGIN_TOKEN=")
        assert.equal(2, rc, args .. ": " .. err)
        assert.equal("", out, args)
        assert.matches("^linkup: [^\n]+\n$", err, args)
        assert.matches(want, err, 1, false, args)
        assert.not_matches("traceback", err)
        assert.not_matches("%.lua:%d+:", err, args)
      end
      local _, err, rc = run("connections --account a", "LINKUP_API_KEY=")
      assert.equal(2, rc)
      assert.matches("LINKUP_API_KEY", err)
      assert.equal(0, server:stats().requests)
    end)

    it("takes --opt=value and the environment's account", function()
      local out, _, rc = run("connections --limit=3 --format=csv", "LINKUP_ACCOUNT_ID=acc-size-50")
      assert.equal(0, rc)
      assert.equal(4, select(2, out:gsub("\r\n", "")))
      assert.equal("acc-size-50", server:bodies()[1].account_id)
    end)
  end)

  it("exits 1 on an API error, with the error's one line", function()
    local _, err, rc = run("connections --account acc-broke")
    assert.equal(1, rc)
    assert.matches("^linkup: api error %(HTTP 402, INSUFFICIENT_CREDITS%)[^\n]*\n", err)
    assert.not_matches("traceback", err)
  end)

  describe("formats", function()
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
      assert.equal("[]\n", out)
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

    it("writes a nested value in CSV as compact JSON, not table: 0x...", function()
      serve{ { name = "Nested", job_title = { roles = { "CTO", "CEO" }, since = 2019 },
               profile_url = "https://www.linkedin.com/in/nested/" } }
      local out, err, rc = run("connections --account acc-main -f csv")
      assert.equal(0, rc, err)
      assert.not_matches("table: ", out)
      assert.equal('name,job_title,profile_url,profile_picture\r\n' ..
        'Nested,"{""roles"":[""CTO"",""CEO""],""since"":2019}",https://www.linkedin.com/in/nested/,\r\n', out)
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

    it("shows the controls and escape sequences of the data in a table, never sends them", function()
      serve{ { name = "Esc \27[31mred\27[0m", job_title = "Title \27]0;pwned\7 bell" },
             { name = "C1 \194\155" .. "2J csi", job_title = "Bidi \226\128\174evil" },
             { name = "DEL \127 NUL \0 end", job_title = "Tab\tand\r\nbreaks" } }
      local out, err, rc = run("connections --account acc-main -f table --fields name,job_title", "COLUMNS=80")
      assert.equal(0, rc, err)
      assert.not_matches("[%z\1-\9\11-\31\127]", out)             -- no control but the line ends
      assert.not_matches("\194[\128-\159]", out)                    -- no C1
      assert.not_matches("\226\128\174", out)                       -- no bidi override
      for _, shown in ipairs{ "Esc \\x1b[31mred\\x1b[0m", "Title \\x1b]0;pwned\\x07 bell", "C1 \\u009b2J csi",
                              "Bidi \\u202eevil", "DEL \\x7f NUL \\x00 end", "Tab and breaks" } do
        assert.truthy(out:find(shown, 1, true), shown)
      end
    end)
  end)

  describe("--fields", function()
    it("refuses an unknown field (exit 2, listing the fields) before any request or any write", function()
      local path = os.tmpname()
      local f = assert(io.open(path, "wb"))
      f:write("kept\n")
      f:close()
      local out, err, rc = run("connections --account acc-main -f csv --fields name,nmae -o " .. path)
      assert.equal(2, rc)
      assert.equal("", out)
      assert.equal("linkup: unknown field 'nmae' for connections; the fields are: "
        .. "name, job_title, profile_url, profile_picture\n", err)
      assert.equal("kept\n", assert(io.open(path, "rb")):read("*a"))
      os.remove(path)
      out, err, rc = run("recommendations --account acc-main --fields job_title")
      assert.equal("", out)
      assert.equal(2, rc)
      assert.matches("subtitle, insight", err)
      assert.equal(0, server:stats().requests)
    end)

    it("writes only the fields asked for, in their order", function()
      local out, _, rc = run("connections --account acc-size-5 --fields profile_url,name")
      assert.equal(0, rc)
      local want = server:expected("connections", 2, 5, 0, 5)
      local i = 0
      for line in out:gmatch("[^\n]+") do
        i = i + 1
        assert.same({ profile_url = want[i].profile_url, name = want[i].name }, cjson.decode(line))
      end
      assert.equal(5, i)
      out = run("connections --account acc-size-2 -f csv --fields ' profile_url , name '")
      assert.equal("profile_url,name\r\nhttps://www.linkedin.com/in/person-0/,Linda Källqvist #0\r\n" ..
        "https://www.linkedin.com/in/person-1/,José Ñúñez #1\r\n", out)
    end)
  end)

  it("keeps v1 options: token, country, start page", function()
    local out, _, rc = run("connections --token tok-size-45 --country de --start-page 3")
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
    assert.equal(200, select(2, out:gsub("\n", "")))
    out = run("connections --account acc-size-1000 --limit 7")
    assert.equal(7, select(2, out:gsub("\n", "")))
  end)

  describe("progress", function()
    it("shows only on a terminal, unless asked", function()
      local _, err = run("connections --account acc-size-300 --page-size 100 -o /dev/null")
      assert.equal("", err)                                         -- stderr is a file here
      local _, forced = run("connections --account acc-size-300 --page-size 100 -o /dev/null --progress")
      assert.matches("\r300 items, 3 pages, 6 credits", forced)
      -- in a pseudo-terminal (script(1) from util-linux), without asking
      local tty = H.sh("script -qfec " .. H.q(command("connections --account acc-size-300 --page-size 100 " ..
        "-o /dev/null")) .. " /dev/null")
      assert.matches("300 items, 3 pages, 6 credits", tty)
      tty = H.sh("script -qfec " .. H.q(command("connections --account acc-size-300 -o /dev/null --no-progress"))
        .. " /dev/null")
      assert.not_matches("items", tty)
    end)

    it("shows fractional credits (%g), where a %d used to crash on Lua 5.3+", function()
      server:config{ lie = { credits = "fractional" } }
      local _, err, rc = run("connections --account acc-size-300 --page-size 100 -o /dev/null --progress")
      assert.equal(0, rc, err)
      assert.matches("\r300 items, 3 pages, 4%.5 credits", err)
    end)
  end)

  describe("completion", function()
    -- Runs bash with the completion script loaded; `words` is the line being
    -- completed (the last word the one under the cursor).
    local function complete(words)
      local script = os.tmpname()
      local out, _, rc = run("completion bash")
      assert.equal(0, rc)
      local f = assert(io.open(script, "w"))
      f:write(out)
      f:close()
      local bash = string.format("source %s; complete -p linkup; COMP_WORDS=(%s); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); " ..
        "[ -n \"${COMP_WORDS[COMP_CWORD]+x}\" ] || COMP_WORDS+=(''); _linkup; printf '%%s\\n' \"${COMPREPLY[@]}\"",
        H.q(script), words)
      local res = H.sh("bash -c " .. H.q(bash))
      os.remove(script)
      return res
    end

    it("completes commands, options and their choices in bash", function()
      local res = complete("linkup ''")
      assert.matches("^complete [^\n]*%-F _linkup linkup\n", res)
      assert.matches("\nconnections\n", res)
      assert.matches("\nrecommendations\n", res)
      assert.matches("\ncompletion\n", res)
      res = complete("linkup con")
      assert.matches("\nconnections\n$", res)
      res = complete("linkup connections --max")
      assert.matches("\n%-%-max%-credits\n$", res)
      res = complete("linkup connections --format ''")
      assert.matches("\njsonl\njson\ncsv\ntable\n$", res)
      res = complete("linkup recommendations --fo")
      assert.matches("\n%-%-format\n$", res)
    end)

    it("prints zsh and fish scripts", function()
      local out, _, rc = run("completion zsh")
      assert.equal(0, rc)
      assert.matches("^#compdef linkup", out)
      assert.matches("%-%-max%-credits", out)
      out, _, rc = run("completion fish")
      assert.equal(0, rc)
      assert.matches("complete %-c linkup", out)
      assert.equal(0, server:stats().requests)
    end)
  end)
end)
