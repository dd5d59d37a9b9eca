-- spec/store_helpers.lua: what the store specs share (beside spec/helpers.lua).
-- The database is read back with the sqlite3 command, never through the
-- store under test.
local H = require "helpers"
local assert = require "luassert"

local SH = {}

SH.LUA = os.getenv("LINKUP_LUA") or "lua5.4"

-- A fresh database path in a fresh directory; SH.cleanup removes them all.
local dirs = {}
function SH.tmpdir()
  local d = H.sh("mktemp -d /tmp/linkup-store.XXXXXX"):gsub("%s+$", "")
  dirs[#dirs + 1] = d
  return d
end
function SH.tmpdb() return SH.tmpdir() .. "/linkup.db" end
function SH.cleanup()
  for _, d in ipairs(dirs) do
    -- a spec that failed half way may have left a tmpfs mounted here
    H.sh("mountpoint -q " .. H.q(d) .. " && umount " .. H.q(d) .. "; chmod -R u+w " .. H.q(d) .. " 2>/dev/null; rm -rf "
      .. H.q(d))
  end
  dirs = {}
end

-- Runs SQL with the sqlite3 command; returns its output without the
-- trailing newline. (-bail: stop at the first error.)
function SH.sql(db, sql)
  local out = H.sh("sqlite3 -bail " .. H.q(db) .. " " .. H.q(sql) .. " 2>&1")
  return (out:gsub("\n$", ""))
end
function SH.num(db, sql) return tonumber(SH.sql(db, sql)) end

-- Wall-clock seconds (os.clock is CPU time).
function SH.now()
  return tonumber((H.sh("date +%s.%N")))
end

-- The environment a child interpreter needs: the suite's module paths
-- and the fake API's address.
function SH.child_env(server, extra)
  return string.format("env LUA_PATH=%s LUA_CPATH=%s LINKUP_API_KEY=%s LINKUP_BASE_URL=%s %s",
    H.q(package.path), H.q(package.cpath), H.q(H.API_KEY), H.q(server.url), extra or "")
end

-- The item URLs the fake server holds for persons [from, to], as the
-- store keys them (no trailing slash).
function SH.person_keys(from, to)
  local t = {}
  for i = from, to do t[#t + 1] = "https://www.linkedin.com/in/person-" .. i end
  return t
end

-- A sqlite3 process holding the write lock of db for `seconds`; returns
-- once it holds it.
function SH.hold_write_lock(db, seconds)
  local script = os.tmpname()
  local f = assert(io.open(script, "w"))
  f:write("BEGIN IMMEDIATE;\nINSERT INTO runs (account, kind, mode, started_at, status) "
    .. "VALUES ('holder', 'connections', 'full', 't', 'done');\n")
  f:close()
  H.sh(string.format("(cat %s; sleep %s; echo 'COMMIT;'; rm -f %s) | sqlite3 %s >/dev/null 2>&1 &", script,
    tostring(seconds), script, H.q(db)))
  for _ = 1, 500 do -- up to 10 s: a loaded machine starts sqlite3 slowly
    local out = H.sh("sqlite3 " .. H.q(db) .. " '.timeout 0' 'BEGIN IMMEDIATE;' 'ROLLBACK;' 2>&1")
    if out:find("locked") then return true end
    H.sleep(0.02)
  end
  error("the sqlite3 holder never took the lock")
end

-- Asserts that the database holds every person from..to once, and no one
-- else (a resumed sync: no duplicate, no gap).
function SH.assert_people(db, from, to)
  local n = to - from + 1
  assert.same({ n, n }, { SH.num(db, "SELECT count(*) FROM connections"),
                          SH.num(db, "SELECT count(DISTINCT profile_url) FROM connections") })
  local keys = {}
  for k in SH.sql(db, "SELECT profile_url FROM connections ORDER BY profile_url"):gmatch("[^\n]+") do
    keys[#keys + 1] = k
  end
  local want = SH.person_keys(from, to)
  table.sort(want)
  assert.same(want, keys)
end

-- A real client whose transport forwards to the fake server with the
-- curl command and renumbers every person by `shift` in the answers: the
-- fake generates item i from i, so over acc-size-N this is the same list
-- without its `shift` newest people (persons shift .. N + shift - 1).
function SH.shifted_client(server, account_id, shift)
  return (H.client(server, { account_id = account_id, max_retries = 0, transport = function(req)
    local body = os.tmpname()
    local f = assert(io.open(body, "wb"))
    f:write(req.body)
    f:close()
    local out = H.sh(string.format("curl -sS --max-time 10 -X POST -H %s -H 'content-type: application/json' "
      .. "--data-binary @%s -w '\\n%%{http_code}' %s", H.q("x-api-key: " .. req.headers["x-api-key"]), body,
      H.q(req.url)))
    os.remove(body)
    local text, status = out:match("^(.*)\n(%d+)$")
    if not text then return nil, "curl failed" end
    text = text:gsub("person%-(%d+)", function(n) return "person-" .. (tonumber(n) + shift) end)
    return tonumber(status), text, { ["content-type"] = "application/json" }
  end }))
end

-- A stand-in for a client, ONLY for what the fake server and this
-- branch's client do not have yet (invitations, sent invitations,
-- invite): each_page over fixed pages, with API.md's meta (first,
-- credits, credits_spent), offset resume, a failure raised at page
-- `fail_at` (an error object, or opts.raise as is), and opts.before_page
-- (n, list) to change the list under the walk.
function SH.stand_in(opts)
  local c = { calls = {}, version = opts.version or 2 }
  function c:info() return { version = self.version, account_id = opts.account_id } end
  function c:each_page(kind, wopts)
    self.calls[#self.calls + 1] = { kind = kind, opts = wopts }
    local list = opts.lists[kind]
    assert(list, "stand-in: no list for " .. kind)
    local size = (wopts and wopts.page_size) or opts.page_size or 10
    local pos, spent, pages = (wopts and wopts.offset) or 0, 0, 0
    local done = false
    return function()
      if done then return nil end
      pages = pages + 1
      if opts.fail_at and pages == opts.fail_at then
        done, opts.fail_at = true, nil   -- once
        if opts.raise then error(opts.raise, 0) end
        error(setmetatable({ kind = "api", status = 500, code = "INTERNAL_ERROR", message = "boom",
          resume = { offset = pos } }, { __tostring = function() return "stand-in api error" end }), 0)
      end
      if opts.before_page then opts.before_page(pages, list) end
      local page = {}
      for i = pos + 1, math.min(pos + size, #list) do page[#page + 1] = list[i] end
      local first = pos + 1
      pos = pos + #page
      spent = spent + 1
      if #page < size then done = true end
      return { invitations = page, total_available_results = #list,
               pagination = { has_more = pos < #list } },
             { first = first, credits = 1, credits_spent = spent, last = done }
    end
  end
  return c
end

return SH
