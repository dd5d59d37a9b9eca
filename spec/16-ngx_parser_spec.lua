-- The ngx transport's HTTP/1.1 client on a fake socket and a fake clock,
-- under plain LuaJIT (no nginx): lua/linkup/ngx.lua takes its socket
-- constructor, clock and yield from M.transport's options, so the whole
-- exchange (connect, pool, TLS, send, status line, headers, body, trailers)
-- runs here against scripted servers.
--
-- The fake socket honours timeouts against the fake clock: a read that
-- would wait past its timeout moves the clock by the timeout and fails with
-- "timeout", as a cosocket does. Time passes nowhere else, so "fake time
-- never past the deadline" proves one deadline per attempt.
--
-- Then thousands of generated responses, valid and broken (seeded:
-- LINKUP_FUZZ_SEED=n, or "random"; LINKUP_FUZZ_COUNT=n), each checked for:
-- no raised error, a bounded number of socket calls, the clock within the
-- deadline, every socket closed or pooled exactly once, and exactly one
-- outcome: the encoded status, headers and body, or nil, message, kind with
-- the kind the generator expects.
local H = require "helpers"

if (os.getenv("LINKUP_SUITE") or "luajit") ~= "luajit" then return end

local NGX = require "linkup.ngx"
local LIMITS = NGX.LIMITS
local concat, floor, min, max = table.concat, math.floor, math.min, math.max
local char, rep, format = string.char, string.rep, string.format
local unpack = table.unpack or unpack -- luacheck: ignore 113

---------------------------------------------------------------------------
-- the fake world: a clock, pools, scripted connections
---------------------------------------------------------------------------
-- A script is what the server does on one connection:
--   segments = { { delay = s, data = "..." }, ... }  delays after the request came
--   eof = "close" | "hang" | "reset"   after the last segment (eof_delay later)
--   connect = nil | "refused" | seconds (a connect that takes that long)
--   tls = nil | "an error", send_err = nil | "an error"

local Sock = {}
Sock.__index = Sock

local function World()
  local w = { t = 0, pools = {}, socks = {}, scripts = {}, yields = 0, calls = 0 }
  w.now = function() return w.t end
  w.yield = function() w.yields = w.yields + 1 end
  w.tcp = function()
    local s = setmetatable({ w = w, timeout = nil, released = 0, sent = {}, reads = 0 }, Sock)
    w.socks[#w.socks + 1] = s
    return s
  end
  w.transport = function(opts)
    opts = opts or {}
    opts.tcp, opts.now, opts.yield = w.tcp, w.now, w.yield
    return NGX.transport(opts)
  end
  return w
end

local function use(self)
  self.w.calls = self.w.calls + 1
  assert(self.released == 0, "a socket used after close or setkeepalive")
  assert(self.w.calls < 2000000, "runaway: too many socket calls")
end

function Sock:settimeout(ms)
  assert(type(ms) == "number" and ms >= 1 and ms == floor(ms), "settimeout(" .. tostring(ms) .. ")")
  self.timeout = ms / 1000
end

function Sock:connect(host, port, opts)
  use(self)
  assert(self.timeout, "connect before settimeout")
  self.host, self.port, self.opts = host, port, opts
  local idle = self.w.pools[opts.pool]
  if idle and #idle > 0 then
    local e = table.remove(idle)
    self.script, self.reused = e.script, e.reused + 1
    return 1
  end
  local script = table.remove(self.w.scripts, 1)
  assert(script, "a connection nobody scripted")
  self.script, self.reused = script, 0
  if script.connect == "refused" then return nil, "connection refused" end
  if type(script.connect) == "number" then
    if script.connect > self.timeout then
      self.w.t = self.w.t + self.timeout
      return nil, "timeout"
    end
    self.w.t = self.w.t + script.connect
  end
  return 1
end

function Sock:getreusedtimes() return self.reused end

function Sock:sslhandshake(_, name, verify)
  use(self)
  self.sni, self.verify = name, verify
  if self.script.tls_raise then error(self.script.tls_raise) end
  if self.script.tls then return nil, self.script.tls end
  return true
end

function Sock:send(data)
  use(self)
  local sc = self.script
  self.sent[#self.sent + 1] = data
  if sc.send_err then return nil, sc.send_err end
  self.t0 = self.w.t -- the answer's clock starts when the request is out
  self.seg, self.off, self.cum = 1, 0, 0
  return #data
end

function Sock:receiveany(n)
  use(self)
  assert(type(n) == "number" and n >= 1, "receiveany(" .. tostring(n) .. ")")
  assert(self.t0, "receive before send")
  self.reads = self.reads + 1
  local w, sc = self.w, self.script
  if self.eof then return nil, self.eof end
  local seg = sc.segments[self.seg]
  while seg and seg.data == "" do -- nothing to deliver: only its delay counts
    self.cum = self.cum + (seg.delay or 0)
    self.seg = self.seg + 1
    seg = sc.segments[self.seg]
  end
  local at
  if seg then
    at = self.t0 + self.cum + (self.off == 0 and (seg.delay or 0) or 0)
  else
    at = sc.eof == "hang" and math.huge or self.t0 + self.cum + (sc.eof_delay or 0)
  end
  if at > w.t + self.timeout then
    w.t = w.t + self.timeout
    return nil, "timeout"
  end
  if at > w.t then w.t = at end
  if not seg then
    self.eof = sc.eof == "reset" and "connection reset by peer" or "closed"
    return nil, self.eof
  end
  if self.off == 0 then self.cum = self.cum + (seg.delay or 0) end
  local take = min(n, #seg.data - self.off)
  local out = seg.data:sub(self.off + 1, self.off + take)
  self.off = self.off + take
  if self.off >= #seg.data then self.seg, self.off = self.seg + 1, 0 end
  return out
end

function Sock:setkeepalive(ms, size)
  use(self)
  self.released = self.released + 1
  self.kept = { ms = ms, size = size }
  local pool = self.w.pools[self.opts.pool] or {}
  self.w.pools[self.opts.pool] = pool
  -- what the server does with it next: by default, it closes it while idle
  pool[#pool + 1] = { script = self.w.next_idle or { segments = {}, eof = "close" }, reused = self.reused }
  return 1
end

function Sock:close()
  self.released = self.released + 1
  return 1
end

local function script(stream, eof, more)
  local s = { segments = { { delay = 0, data = stream } }, eof = eof or "close" }
  for k, v in pairs(more or {}) do s[k] = v end
  return s
end

local function req(over)
  local r = { method = "POST", url = "http://api.test:8080/v2/network", headers = { ["x-api-key"] = "k" },
              body = "{}", timeout = 10, connect_timeout = 5, max_bytes = 1024 * 1024 }
  for k, v in pairs(over or {}) do r[k] = v end
  return r
end

local function run(w, r, opts)
  local t = w.transport(opts)
  local out = { pcall(t, r) }
  assert(out[1], "the transport raised: " .. tostring(out[2]))
  return unpack(out, 2, 6)
end

local OK200 = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"

describe("ngx transport outside OpenResty", function()
  it("transport = \"ngx\" is refused at linkup.new under plain LuaJIT", function()
    assert.is_nil(rawget(_G, "ngx"))
    local ok, err = pcall(function()
      local c = H.linkup.new{ api_key = H.API_KEY, account_id = "a", transport = "ngx" }
      return c -- not a tail call: the error names this line
    end)
    assert.is_false(ok)
    assert.matches("needs OpenResty", err)
    -- pointing at the caller's line, not into linkup
    assert.matches("16%-ngx_parser_spec", err)
  end)

  it("loads without ngx, and has no many()", function()
    assert.is_function(NGX.transport)
    assert.is_function(NGX.sleep)
    assert.is_nil(NGX.many)
  end)
end)

describe("ngx transport: requests and connections (fake socket)", function()
  it("sends one well-formed request and pools the connection", function()
    local w = World()
    w.scripts[1] = script(OK200, "hang")
    local status, body, headers = run(w, req())
    assert.equal(200, status)
    assert.equal("{}", body)
    assert.equal("2", headers["content-length"])
    local s = w.socks[1]
    local sent = concat(s.sent)
    assert.matches("^POST /v2/network HTTP/1.1\r\n", sent)
    assert.matches("\r\nHost: api.test:8080\r\n", sent)
    assert.matches("\r\nConnection: keep%-alive\r\n", sent)
    assert.matches("\r\nContent%-Length: 2\r\n", sent)
    assert.matches("\r\nx%-api%-key: k\r\n", sent)
    assert.matches("\r\n\r\n{}$", sent)
    assert.equal("linkup:http:api.test:8080", s.opts.pool)
    assert.is_table(s.kept)
    assert.equal(60000, s.kept.ms)
    assert.equal(1, s.released)
  end)

  it("a read reuses the pooled connection, and retries once on a fresh one when it was closed while idle", function()
    local w = World()
    w.scripts[1] = script(OK200, "hang")
    w.scripts[2] = script(OK200, "hang")
    local t = w.transport()
    assert.equal(200, (t(req{ write = false })))
    -- the idle pooled connection is stale (the server closed it): the read
    -- goes out on it, fails before any answer, and goes again on a fresh one
    local status, body = t(req{ write = false })
    assert.equal(200, status)
    assert.equal("{}", body)
    assert.equal(3, #w.socks)
    assert.equal(1, w.socks[2].reused)
    assert.equal("linkup-fresh:http:api.test:8080", w.socks[3].opts.pool)
    assert.is_nil(w.socks[3].kept) -- a fresh one is never pooled: its pool must stay empty
    for _, s in ipairs(w.socks) do assert.equal(1, s.released) end
  end)

  it("a write never takes a pooled connection, says Connection: close, and is not pooled", function()
    local w = World()
    w.scripts[1] = script(OK200, "hang")
    w.scripts[2] = script(OK200, "hang")
    local t = w.transport()
    assert.equal(200, (t(req())))                -- a read leaves a pooled connection
    assert.equal(200, (t(req{ write = true })))  -- the write does not take it
    local s = w.socks[2]
    assert.equal("linkup-fresh:http:api.test:8080", s.opts.pool)
    assert.is_nil(s.opts.pool_size)
    assert.equal(0, s.reused)
    assert.matches("\r\nConnection: close\r\n", concat(s.sent))
    assert.is_nil(s.kept)
    assert.equal(1, #w.pools["linkup:http:api.test:8080"]) -- the read's, untouched
  end)

  it("a write the server drops unanswered is sent once, and reported as sent", function()
    local w = World()
    w.scripts[1] = script("", "close")
    w.scripts[2] = script(OK200, "hang") -- would be used by a second try: there must be none
    local status, msg, kind, st, sent = run(w, req{ write = true })
    assert.is_nil(status)
    assert.equal("network", kind)
    assert.matches("closed", msg)
    assert.is_nil(st)
    assert.is_true(sent)
    assert.equal(1, #w.socks)
    assert.equal(1, #w.socks[1].sent)
  end)

  it("sent = false only when the request certainly did not leave", function()
    local cases = {
      { script("", "close", { connect = "refused" }), "network", "connection refused" },
      { script("", "close", { connect = 7 }), "timeout", "timeout" },                -- connect_timeout 5 < 7
      { script("", "close", { tls = "certificate verify failed" }), "network", "certificate" },
      -- lua-resty-core 0.1.25 raises when a handshake fails at once
      { script("", "close", { tls_raise = "resty/core/socket.lua:244: assertion failed!" }), "network",
        "tls: handshake failed, the reason lost" },
    }
    for _, c in ipairs(cases) do
      local w = World()
      w.scripts[1] = c[1]
      local status, msg, kind, _, sent = run(w, req{ url = "https://api.test/v2/network", write = true })
      assert.is_nil(status)
      assert.equal(c[2], kind, msg)
      assert.matches(c[3], msg)
      assert.is_false(sent)
      assert.equal(1, w.socks[1].released)
    end
    -- the connect timed out at connect_timeout, not at timeout
    local w = World()
    w.scripts[1] = script("", "close", { connect = 7 })
    run(w, req())
    assert.equal(5, w.t)
    -- a send that fails may have sent part of it
    w = World()
    w.scripts[1] = script("", "close", { send_err = "broken pipe" })
    local _, _, kind, _, sent = run(w, req{ write = true })
    assert.equal("network", kind)
    assert.is_true(sent)
  end)

  it("TLS: SNI is the host, verification on, not redone on a pooled connection", function()
    local w = World()
    w.scripts[1] = script(OK200, "hang")
    w.next_idle = script(OK200, "hang")
    local t = w.transport()
    assert.equal(200, (t(req{ url = "https://api.linkupapi.com/v2/network" })))
    assert.equal("api.linkupapi.com", w.socks[1].sni)
    assert.is_true(w.socks[1].verify)
    assert.matches("\r\nHost: api.linkupapi.com\r\n", concat(w.socks[1].sent))
    assert.equal(200, (t(req{ url = "https://api.linkupapi.com/v2/network" })))
    assert.equal(1, w.socks[2].reused)
    assert.is_nil(w.socks[2].sni)
  end)

  it("URLs: user:password@ becomes Basic auth, IPv6 literals, bad URLs refused unsent", function()
    local w = World()
    w.scripts[1] = script(OK200, "hang")
    run(w, req{ url = "http://us%40er:p%3Ass@[::1]:9000/base/v2/network" })
    local s = w.socks[1]
    assert.equal("::1", s.host)
    assert.equal(9000, s.port)
    local sent = concat(s.sent)
    assert.matches("^POST /base/v2/network HTTP/1.1\r\n", sent)
    assert.matches("\r\nHost: %[::1%]:9000\r\n", sent)
    assert.matches("\r\nAuthorization: Basic dXNAZXI6cDpzcw==\r\n", sent) -- "us@er:p:ss"
    for _, url in ipairs{ "ftp://x/", "http://", "http://host:99999/", "http://[zz]/", 42,
                          "http://host/a b", "http://host/a\r\nX-Evil: 1" } do
      local st, msg, kind, _, sent2 = run(World(), req{ url = url })
      assert.is_nil(st)
      assert.equal("bad url", msg)
      assert.equal("network", kind)
      assert.is_false(sent2)
    end
  end)

  it("a header value with a line break is refused before anything is sent", function()
    local w = World()
    local st, msg, _, _, sent = run(w, req{ headers = { ["user-agent"] = "x\r\nX-Evil: 1" } })
    assert.is_nil(st)
    assert.matches("forbidden character", msg)
    assert.is_false(sent)
    assert.equal(0, #w.socks)
  end)
end)

describe("ngx transport: hostile answers (fake socket, fake clock)", function()
  local function one(stream, eof, over, segs)
    local w = World()
    local sc = script(stream, eof)
    if segs then sc.segments = segs end
    w.scripts[1] = sc
    local a, b, c, d, e = run(w, req(over))
    return w, a, b, c, d, e
  end

  it("headers at 1 byte/s: one deadline, not one per byte", function()
    local head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    local segs = {}
    for i = 1, #head do segs[i] = { delay = 1, data = head:sub(i, i) } end
    local w, st, msg, kind = one(nil, "hang", { timeout = 2 }, segs)
    assert.is_nil(st)
    assert.equal("timeout", kind)
    assert.matches("within 2 s", msg)
    assert.is_true(w.t <= 2.001, "fake time " .. w.t)
  end)

  it("a slow body: the deadline covers the body too", function()
    local segs = { { delay = 0, data = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" } }
    for i = 2, 101 do segs[i] = { delay = 0.5, data = "x" } end
    local w, st, _, kind = one(nil, "hang", { timeout = 3 }, segs)
    assert.is_nil(st)
    assert.equal("timeout", kind)
    assert.is_true(w.t <= 3.001)
  end)

  it("an endless header line fails at the head's byte limit", function()
    local w, st, msg, kind = one("HTTP/1.1 200 OK\r\nX-Long: " .. rep("a", 200000), "hang")
    assert.is_nil(st)
    assert.equal("network", kind)
    assert.matches("response head over 65536 bytes", msg)
    assert.equal(0, w.t)
  end)

  it("100,000 headers fail at the line limit, after reading a bounded amount", function()
    local lines = { "HTTP/1.1 200 OK" }
    for i = 1, 100000 do lines[#lines + 1] = "X-H" .. i .. ": v" end
    local w, st, msg, kind = one(concat(lines, "\r\n"), "hang")
    assert.is_nil(st)
    assert.equal("network", kind)
    assert.matches("more than 256 lines", msg)
    assert.is_true(w.socks[1].reads <= 2, "reads: " .. w.socks[1].reads)
  end)

  it("endless trailers fail at the head's limits", function()
    local s = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n" .. rep("X-T: 1\r\n", 100000)
    local _, st, msg, kind, status = one(s, "hang")
    assert.is_nil(st)
    assert.equal("network", kind)
    assert.matches("more than 256 lines", msg)
    assert.equal(200, status)
  end)

  it("100 and 103 are skipped; 204 and 304 have no body and do not wait", function()
    local w, st, body = one("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n"
      .. "HTTP/1.1 103 Early Hints\r\n\r\n" .. OK200, "hang")
    assert.equal(200, st)
    assert.equal("{}", body)
    assert.equal(0, w.t)
    for _, code in ipairs{ 204, 304 } do
      local w2, st2, body2, headers = one("HTTP/1.1 " .. code .. " X\r\nContent-Length: 99\r\n\r\n", "hang")
      assert.equal(code, st2)
      assert.equal("", body2)
      assert.equal("99", headers["content-length"])
      assert.equal(0, w2.t)
      assert.is_table(w2.socks[1].kept)
    end
  end)

  it("a non-hex chunk size is one clear error", function()
    for _, bad in ipairs{ "zz", "-1", "0x10", " 5", "5 x", "", "1;", "ffffffffffffffffffffffff" } do
      local _, st, msg, kind, status = one("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" .. bad .. "\r\nabc\r\n0\r\n\r\n", "close")
      assert.is_nil(st)
      if bad == "ffffffffffffffffffffffff" then
        assert.equal("too_large", kind)
      elseif bad == "1;" then -- an empty extension after ";" is still an extension: the size is 1
        assert.equal("network", kind)
        assert.matches("chunk data longer than its size", msg)
      else
        assert.equal("network", kind)
        assert.equal("bad chunk size line", msg)
      end
      assert.equal(200, status)
    end
  end)

  it("Content-Length over the limit is refused before reading the body", function()
    local w, st, msg, kind, status = one("HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n", "hang")
    assert.is_nil(st)
    assert.equal("too_large", kind)
    assert.matches("max_response_bytes", msg)
    assert.equal(200, status)
    assert.equal(0, w.t)
    assert.equal(1, w.socks[1].reads)
  end)

  it("a body without length stops as soon as it passes the limit", function()
    local segs = { { delay = 0, data = "HTTP/1.1 200 OK\r\n\r\n" } }
    for i = 1, 10000 do segs[i + 1] = { delay = 0, data = rep("x", 4096) } end -- 40 MB
    local w, st, _, kind = one(nil, "hang", { max_bytes = 1024 * 1024 }, segs)
    assert.is_nil(st)
    assert.equal("too_large", kind)
    assert.is_true(w.socks[1].reads <= 1024 * 1024 / 4096 + 3, "reads " .. w.socks[1].reads)
  end)

  it("the head limits are exact: 256 lines and 65536 bytes pass, one more fails", function()
    local function head(nlines, trailers)
      -- nlines in all: the 1xx answer (2), the status line, fields, the blank line,
      -- trailers and their blank line
      local t = { "HTTP/1.1 103 Early Hints", "", "HTTP/1.1 200 OK", "Transfer-Encoding: chunked" }
      for i = 1, nlines - 6 - trailers do t[#t + 1] = "X-F" .. i .. ": v" end
      t[#t + 1] = ""
      t[#t + 1] = "2\r\n{}\r\n0"
      for i = 1, trailers do t[#t + 1] = "T" .. i .. ": 1" end
      t[#t + 1] = "\r\n"
      return concat(t, "\r\n")
    end
    for _, trailers in ipairs{ 0, 1, 30 } do
      local _, st, body = one(head(256, trailers), "hang")
      assert.equal(200, st, body)
      assert.equal("{}", body)
      local _, st2, msg = one(head(257, trailers), "hang")
      assert.is_nil(st2)
      assert.matches("more than 256 lines", msg)
    end
    -- bytes: status line (17) + one field + the blank line (2) = 65536
    local function big(total)
      local s = "HTTP/1.1 200 OK\r\nX: "
      return s .. rep("v", total - #s - 4) .. "\r\n\r\n"
    end
    assert.equal(65536, #big(65536))
    local _, st = one(big(65536), "close") -- (no length: the body runs to the close)
    assert.equal(200, st)
    local _, st2, msg = one(big(65537), "hang")
    assert.is_nil(st2)
    assert.matches("response head over 65536 bytes", msg)
    -- a chunk-size line: 4096 bytes with its CRLF pass, 4097 fail
    local function chunk(len)
      local size = "2;" .. rep("e", len - 4)
      return "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" .. size .. "\r\n{}\r\n0\r\n\r\n"
    end
    local _, st3 = one(chunk(4096), "hang")
    assert.equal(200, st3)
    local _, st4, msg4 = one(chunk(4097), "hang")
    assert.is_nil(st4)
    assert.matches("chunk%-size line over 4096 bytes", msg4)
  end)

  it("bytes past the end of the answer: the connection is not pooled", function()
    local w, st = one(OK200 .. "HTTP/1.1 200 OK\r\n", "hang")
    assert.equal(200, st)
    assert.is_nil(w.socks[1].kept)
    w, st = one("HTTP/1.1 204 No Content\r\n\r\nX", "hang")
    assert.equal(204, st)
    assert.is_nil(w.socks[1].kept)
  end)

  it("a body in one-byte chunks: linear, and the worker gets turns", function()
    local n = 400000
    local parts = { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" }
    for i = 1, n do parts[#parts + 1] = "1\r\n" .. char(97 + i % 26) .. "\r\n" end
    parts[#parts + 1] = "0\r\n\r\n"
    local stream = concat(parts)
    local t0 = os.clock()
    local w, st, body = one(stream, "hang")
    local cpu = os.clock() - t0
    print(format("\n  %d one-byte chunks (%d bytes on the wire): %.2f s CPU, %d yields", n, #stream, cpu, w.yields))
    assert.equal(200, st)
    assert.equal(n, #body)
    assert.is_true(w.yields >= floor(#stream / LIMITS.yield_every))
    assert.is_true(cpu < 5)
  end)
end)

---------------------------------------------------------------------------
-- generated responses
---------------------------------------------------------------------------

local seed = os.getenv("LINKUP_FUZZ_SEED")
if seed == "random" or seed == nil or seed == "" then
  seed = (seed == "random") and (os.time() % 1000000) or 20240611
end
seed = tonumber(seed)
local COUNT = tonumber(os.getenv("LINKUP_FUZZ_COUNT") or "") or 6000

-- a small PRNG of our own (Park-Miller, exact in doubles), so a seed means
-- the same cases under any Lua
local function Rng(s)
  local x = (s % 4294967295) + 1
  local R = {}
  local function nxt()
    x = (x * 48271) % 2147483647
    return x
  end
  function R.int(a, b) return a + nxt() % (b - a + 1) end
  function R.chance(p) return nxt() / 2147483647 < p end
  function R.pick(t) return t[R.int(1, #t)] end
  function R.float(a, b) return a + (b - a) * (nxt() / 2147483647) end
  return R
end

local TCHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~"
local function rname(R, n)
  local t = {}
  for i = 1, n or R.int(1, 16) do local k = R.int(1, #TCHARS) t[i] = TCHARS:sub(k, k) end
  return concat(t)
end
-- a field value: visible ASCII, inner spaces and tabs, obs-text; no edge blanks
local function rvalue(R, n)
  n = n or R.pick{ 0, 1, 5, 20, 60, 200 }
  local t = {}
  for i = 1, n do
    local c
    if i > 1 and i < n and R.chance(0.1) then c = R.pick{ " ", "\t" }
    elseif R.chance(0.05) then c = char(R.int(128, 255))
    else c = char(R.int(33, 126)) end
    t[i] = c
  end
  return concat(t)
end
local function rbody(R, n)
  if n == 0 then return "" end
  if n > 4096 then -- big: a random block repeated, cut to size
    local block = rbody(R, 1024)
    return rep(block, floor(n / 1024) + 1):sub(1, n)
  end
  local t = {}
  for i = 1, n do t[i] = char(R.int(0, 255)) end
  return concat(t)
end
local function eol(R) return R.chance(0.15) and "\n" or "\r\n" end
local function ows(R) return R.pick{ "", "", " ", "  ", "\t", " \t" } end

-- Builds a response. Returns a case: stream, the expected outcome
-- (status, body, headers) and what the parser must spend of the head budget.
local function gen_valid(R, max_bytes, opts)
  opts = opts or {}
  local out, lines, bytes = {}, 0, 0
  local function line(s, e)
    e = e or eol(R)
    out[#out + 1] = s .. e
    lines, bytes = lines + 1, bytes + #s + #e
  end
  -- interim answers
  for _ = 1, R.pick{ 0, 0, 0, 1, 1, 2, 3 } do
    line("HTTP/1.1 " .. R.pick{ "100 Continue", "102 Processing", "103 Early Hints", "103" })
    for _ = 1, R.int(0, 3) do line("Link: </" .. rname(R) .. ">; rel=preload") end
    line("")
  end
  local minor = R.chance(0.1) and 0 or 1
  local status = R.pick{ 200, 200, 200, 201, 202, 204, 304, 400, 404, 429, 500, 503 }
  local reason = R.pick{ " OK", " Whatever it is", "", " ", " " .. rvalue(R, 10) }
  line("HTTP/1." .. minor .. " " .. status .. reason)
  local headers, fields = {}, {}
  local function field(name, value, raw_value)
    local lname = name:lower()
    fields[#fields + 1] = lname
    headers[lname] = headers[lname] and (headers[lname] .. ", " .. value) or value
    line(name .. ":" .. ows(R) .. (raw_value or value) .. ows(R))
  end
  local nextra = R.pick{ 0, 2, 5, 10, 20, 40, opts.many or 10 }
  local function extras(k)
    for _ = 1, k do
      local name = R.chance(0.2) and R.pick{ "X-Dup", "Set-Cookie", "Vary" } or rname(R)
      local lname = name:lower()
      if lname ~= "content-length" and lname ~= "transfer-encoding" and lname ~= "connection" then
        if R.chance(0.05) then -- an obsolete folded line: joined with one space
          local v1, v2 = rvalue(R, 8), rvalue(R, 8)
          fields[#fields + 1] = lname
          headers[lname] = headers[lname] and (headers[lname] .. ", " .. v1 .. " " .. v2) or (v1 .. " " .. v2)
          line(name .. ": " .. v1)
          line(R.pick{ " ", "\t", "   " } .. v2 .. ows(R))
        else
          field(name, rvalue(R, R.chance(0.02) and 8000 or nil))
        end
      end
    end
  end
  extras(floor(nextra / 2))
  local size
  if opts.size then size = opts.size
  else
    local r = R.int(1, 10)
    size = r <= 3 and R.int(0, 64) or r <= 8 and R.int(0, max_bytes) or R.int(max_bytes - 16, max_bytes + 16)
  end
  local nobody = status == 204 or status == 304
  if nobody then size = 0 end
  local body = rbody(R, size)
  local framing = opts.framing or R.pick{ "length", "length", "chunked", "chunked", "close" }
  if minor == 0 and framing == "chunked" then framing = "length" end
  local close = R.chance(0.2)
  if close then field("Connection", R.pick{ "close", "Close", "keep-alive, close" }) end
  if minor == 0 and not close and R.chance(0.5) then field("Connection", "keep-alive") end
  local keep = (minor == 1 and not close) or (minor == 0 and headers.connection == "keep-alive")
  if nobody then
    if R.chance(0.3) then field("Content-Length", tostring(R.int(0, 999))) end
  elseif framing == "length" then
    local v = rep("0", R.pick{ 0, 0, 1, 3 }) .. size
    field(R.pick{ "Content-Length", "content-length", "CONTENT-LENGTH" }, v)
    if R.chance(0.1) then field("Content-Length", v) end
  elseif framing == "chunked" then
    field("Transfer-Encoding", R.pick{ "chunked", "Chunked", "gzip, chunked" })
  else
    keep = false
    if R.chance(0.2) then field("Transfer-Encoding", "gzip") end
  end
  extras(nextra - floor(nextra / 2))
  line("")
  local head_end = #concat(out)
  if nobody then -- luacheck: ignore 542
  elseif framing == "length" then
    out[#out + 1] = body
  elseif framing == "chunked" then
    local at = 0
    while at < size do
      local n = min(size - at, R.pick{ 1, 7, 100, 1000, 5000, size })
      local hex = format(R.chance(0.5) and "%x" or "%X", n)
      local ext = R.pick{ "", "", "", ";a=b", ";name=\"v a l\"", " ; x", ";" .. rname(R) }
      out[#out + 1] = rep("0", R.pick{ 0, 0, 2 }) .. hex .. ext .. eol(R) .. body:sub(at + 1, at + n) .. eol(R)
      at = at + n
    end
    out[#out + 1] = R.pick{ "0", "000", "0;end=1" } .. eol(R)
    for _ = 1, R.pick{ 0, 0, 1, 3 } do line(rname(R) .. ": " .. rvalue(R, 10)) end
    line("")
  else
    out[#out + 1] = body
  end
  return { stream = concat(out), status = status, body = body, headers = headers, head_end = head_end,
           until_close = not nobody and framing == "close", keep = keep, lines = lines, bytes = bytes,
           size = size }
end

-- Splits a stream into segments: fast (no delays) or slow (delays summing
-- to about `spread` seconds), or one byte each.
local function segment(R, stream, spread)
  local segs, at = {}, 0
  local n = #stream
  local k = R.pick{ 1, 2, 5, 20, 100, 2000 }
  if k > n then k = max(n, 1) end
  local cuts = {}
  for i = 1, k - 1 do cuts[i] = R.int(1, max(n - 1, 1)) end
  table.sort(cuts)
  cuts[#cuts + 1] = n
  for _, c in ipairs(cuts) do
    if c > at then
      segs[#segs + 1] = { delay = spread > 0 and R.float(0, 2 * spread / k) or 0, data = stream:sub(at + 1, c) }
      at = c
    end
  end
  return segs
end

-- The time the byte at position p arrives.
local function arrival(segs, p)
  local t, at = 0, 0
  for _, s in ipairs(segs) do
    t = t + s.delay
    at = at + #s.data
    if at >= p then return t end
  end
  return t
end

local function rtimeout(R) return R.pick{ 0.5, 1, 2, 5, 10 } end

-- The case kinds: each returns a case with expect = "ok" | kind | "any".
local GEN = {}

function GEN.valid(R)
  local max_bytes = R.pick{ 1024, 4096, 50000, 300000 }
  local c = gen_valid(R, max_bytes)
  c.max_bytes, c.timeout = max_bytes, rtimeout(R)
  local slow = R.chance(0.3)
  local spread = slow and R.float(0, 2 * c.timeout) or 0
  if slow and #c.stream < 3000 and R.chance(0.2) then -- a trickle: byte by byte
    c.segments = {}
    local d = spread / #c.stream
    for i = 1, #c.stream do c.segments[i] = { delay = d, data = c.stream:sub(i, i) } end
  else
    c.segments = segment(R, c.stream, spread)
  end
  -- garbage after a framed answer: still the answer, but not reusable
  if not c.until_close and R.chance(0.1) then
    c.segments[#c.segments].data = c.segments[#c.segments].data .. "HTTP/1.1 200 OK\r\n"
    c.garbage = true
  end
  c.eof = c.until_close and "close" or R.pick{ "close", "hang", "reset" }
  c.eof_delay = R.chance(0.3) and R.float(0, c.timeout) or 0
  local done = arrival(c.segments, #c.stream)
  if c.until_close then done = done + c.eof_delay end
  if c.lines > LIMITS.head_lines or c.bytes > LIMITS.head_bytes then
    c.expect = "network" -- (only "many" headers get there: not generated here)
  elseif c.size > max_bytes then
    c.expect = "too_large"
  elseif done < c.timeout - 0.01 then
    c.expect = "ok"
  elseif done > c.timeout + 0.01 then
    c.expect = "timeout"
  else
    c.expect = "any"
  end
  -- too_large and slow: the decisive byte may come after the deadline
  if c.expect == "too_large" and spread > 0 then c.expect = "any" end
  return c
end

-- A valid answer cut short: the server closes, resets or hangs.
function GEN.cut(R)
  local c = gen_valid(R, 100000, { size = R.int(0, 3000) })
  c.max_bytes, c.timeout = 100000, rtimeout(R)
  local limit = c.until_close and c.head_end or #c.stream
  local p = R.int(0, max(limit - 1, 0))
  c.stream = c.stream:sub(1, p)
  c.segments = segment(R, c.stream, 0)
  c.eof = R.pick{ "close", "hang", "reset" }
  c.expect = c.eof == "hang" and "timeout" or "network"
  return c
end

local function bad_line(R, head, stream_after)
  return { stream = head .. stream_after, max_bytes = 100000, timeout = rtimeout(R), expect = "network" }
end

-- Broken answers, delivered at once: the exact kind is known.
function GEN.broken(R)
  local S = "HTTP/1.1 200 OK\r\n"
  local which = R.int(1, 14)
  local c
  if which == 1 then -- bad status lines
    c = bad_line(R, R.pick{ "HTTP/2 200 OK", "HTTP/1.1 20 OK", "ICY 200 OK", "HTTP/1.1 099 X", "HTTP/1.1 200OK",
      "http/1.1 200 OK", "HTTP/1.1  200 OK", "", rbody(R, 30):gsub("\n", ""), "HTTP/1.12 200 OK" }, "\r\n\r\n")
  elseif which == 2 then -- bad Content-Length
    c = bad_line(R, S, "Content-Length: " .. R.pick{ "abc", "5, 6", "-1", "", "1e3", "0x10", "5 5" } .. "\r\n\r\n12345")
  elseif which == 3 then -- bad chunk size lines
    c = bad_line(R, S, "Transfer-Encoding: chunked\r\n\r\n" .. R.pick{ "zz", "-1", "0x10", " 5", "5 x", "", "+5", "5,",
      "\t5", rbody(R, 5):gsub("[\n%x]", "g") } .. "\r\nhello\r\n0\r\n\r\n")
  elseif which == 4 then -- chunk data longer than its size
    c = bad_line(R, S, "Transfer-Encoding: chunked\r\n\r\n3\r\nabc" .. rep("q", R.int(1, 100)) .. "\r\n0\r\n\r\n")
  elseif which == 5 then -- too many lines (headers, 1xx, or trailers)
    local n = R.pick{ LIMITS.head_lines + 1, LIMITS.head_lines + 2, R.int(LIMITS.head_lines + 1, 3 * LIMITS.head_lines) }
    local mode = R.int(1, 3)
    if mode == 1 then
      c = bad_line(R, S, rep("X-A: b\r\n", n) .. "\r\n")
    elseif mode == 2 then
      c = bad_line(R, rep("HTTP/1.1 100 Continue\r\n\r\n", n), S .. "\r\n")
    else
      c = bad_line(R, S, "Transfer-Encoding: chunked\r\n\r\n0\r\n" .. rep("T: 1\n", n) .. "\r\n")
    end
  elseif which == 6 then -- a line over the byte budget
    c = bad_line(R, S, "X-Long: " .. rep("a", LIMITS.head_bytes + R.int(0, 100000)) .. "\r\n\r\n")
  elseif which == 7 then -- a chunk-size line that never ends
    c = bad_line(R, S, "Transfer-Encoding: chunked\r\n\r\n5;" .. rep("e", LIMITS.chunk_line + R.int(0, 10000)))
  elseif which == 8 then -- bad header lines
    c = bad_line(R, S, R.pick{ "No colon here\r\n", "Bad Name: x\r\n", ": x\r\n", " folded: first\r\n",
      "X-Nul: a\0b\r\n", "X-Cr: a\rb\r\n", "X(: y\r\n" } .. "Content-Length: 0\r\n\r\n")
  elseif which == 9 then
    c = bad_line(R, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n", "\r\n")
  elseif which == 10 then -- too large: Content-Length
    c = bad_line(R, S, "Content-Length: " .. R.pick{ "100001", "99999999999999999999999999", "4294967296",
      "9007199254740993" } .. "\r\n\r\n")
    c.expect = "too_large"
  elseif which == 11 then -- too large: chunked, a huge size or a sum over
    c = bad_line(R, S, "Transfer-Encoding: chunked\r\n\r\n" .. R.pick{
      "ffffffffffffffffffffffffffff\r\n", "186A1\r\n", "FFFF\r\n" .. rep("z", 65535) .. "\r\nFFFF\r\n" })
    c.expect = "too_large"
  elseif which == 12 then -- too large: until close
    c = bad_line(R, S, "\r\n" .. rep("y", 100001 + R.int(0, 50000)))
    c.expect = "too_large"
  elseif which == 13 then -- a 204 or 1xx does not wait; then a broken one after it
    c = bad_line(R, "HTTP/1.1 103 Early Hints\r\n\r\n", "HTTP/1.1 99 Nope\r\n\r\n")
  else -- an empty answer line then garbage
    c = bad_line(R, "\r\n", S .. "\r\n")
  end
  c.segments = segment(R, c.stream, 0)
  c.eof = R.pick{ "close", "hang", "reset" }
  c.fast = true -- decided on bytes already there: no time may pass
  return c
end

-- A valid answer with random damage: any clean outcome.
function GEN.mutant(R)
  local c = GEN.valid(R)
  local s = c.stream
  for _ = 1, R.int(1, 4) do
    local p = R.int(1, max(#s, 1))
    local op = R.int(1, 5)
    if op == 1 then s = s:sub(1, p - 1) .. char(R.int(0, 255)) .. s:sub(p + 1)
    elseif op == 2 then s = s:sub(1, p - 1) .. s:sub(p + 1)
    elseif op == 3 then s = s:sub(1, p) .. R.pick{ "\r", "\n", "\r\n", ":", ";", "0", "f", " ", "\0" } .. s:sub(p + 1)
    elseif op == 4 then s = s:sub(1, p) .. s:sub(max(1, p - R.int(0, 50)), p) .. s:sub(p + 1)
    else s = s:sub(1, p) .. rep(R.pick{ "X-Y: z\r\n", "a", "\r\n", "0\r\n" }, R.int(1, 400)) .. s:sub(p + 1) end
  end
  c.stream = s
  c.segments = segment(R, s, R.chance(0.3) and c.timeout or 0)
  c.expect = "any"
  return c
end

-- Runs one case; returns nil or a description of what went wrong. Notes
-- the outcome, socket calls and fake time taken in seen.
local function check_case(c, R, seen)
  local w = World()
  w.t = R.float(0, 1000) -- the clock does not start at 0
  local t0 = w.t
  local sc = { segments = c.segments, eof = c.eof, eof_delay = c.eof_delay }
  -- sometimes a stale pooled connection first: a read must get past it
  local stale = R.chance(0.1)
  local write = R.chance(0.3)
  if stale then w.pools["linkup:http:api.test:8080"] = { { script = { segments = {}, eof = "close" }, reused = 3 } } end
  w.scripts[1] = sc
  local r = req{ timeout = c.timeout, max_bytes = c.max_bytes, write = write }
  local res = { pcall(w.transport(), r) }
  if not res[1] then return "raised: " .. tostring(res[2]) end
  local status, body, headers, st, sent = res[2], res[3], res[4], res[5], res[6]
  local elapsed = w.t - t0
  seen.outcome, seen.calls, seen.share = status and "ok" or tostring(headers), w.calls, elapsed / c.timeout
  if elapsed > c.timeout + 0.002 then return format("fake time %.4f past the timeout %g", elapsed, c.timeout) end
  if c.fast and elapsed ~= 0 then return format("waited %.4f s on bytes already there", elapsed) end
  local total = 0
  for _, s in ipairs(c.segments) do total = total + #s.data end
  if w.calls > #c.segments + total + 10 then return "too many socket calls: " .. w.calls end
  for i, s in ipairs(w.socks) do
    if s.released ~= 1 then return format("socket %d released %d times", i, s.released) end
  end
  local used = w.socks[#w.socks]
  if stale and not write and (#w.socks ~= 2 or w.socks[1].reused ~= 4) then return "the stale pooled connection was not tried" end
  if write and used.opts.pool:find("^linkup%-fresh:") == nil then return "a write on a pooled connection" end
  if status ~= nil then
    if type(status) ~= "number" or type(body) ~= "string" or type(headers) ~= "table" then
      return "bad success shape"
    end
    if #body > c.max_bytes then return "a body over max_bytes" end
    if c.expect == "any" then return nil end
    if c.expect ~= "ok" then return "answered " .. status .. ", expected " .. c.expect end
    if status ~= c.status then return format("status %d, expected %d", status, c.status) end
    if body ~= c.body then return format("body of %d bytes, expected %d", #body, #c.body) end
    for k, v in pairs(c.headers) do
      if headers[k] ~= v then return format("header %s = %q, expected %q", k, tostring(headers[k]), v) end
    end
    for k in pairs(headers) do if c.headers[k] == nil then return "extra header " .. k end end
    -- (garbage the parser did not read stays in the socket: then nginx's
    -- keep-alive handler drops the idle connection when it turns readable)
    local pooled = used.kept ~= nil
    -- (the fresh connection after a stale one is never pooled, like a write's)
    local want = c.keep and not c.garbage and not write and not stale
    if pooled ~= want and not (c.garbage and pooled) then return format("pooled %s, expected %s", tostring(pooled), tostring(want)) end
    return nil
  end
  if type(body) ~= "string" or body == "" then return "no message" end
  if headers ~= "timeout" and headers ~= "network" and headers ~= "too_large" then
    return "bad kind " .. tostring(headers)
  end
  if st ~= nil and type(st) ~= "number" then return "bad status" end
  if sent ~= true then return "sent is not true after a send" end
  if used.kept then return "a failed connection was pooled" end
  if c.expect == "any" or c.expect == headers then return nil end
  return format("%s (%s), expected %s", headers, body, c.expect)
end

describe("ngx transport: generated responses", function()
  it(format("%d seeded cases (seed %d): one clear outcome each, within the deadline", COUNT, seed), function()
    local R = Rng(seed)
    local kinds = { "valid", "valid", "valid", "cut", "broken", "broken", "mutant", "mutant" }
    local tally, outcomes, most_calls, most_share = {}, {}, 0, 0
    local t0 = os.clock()
    for i = 1, COUNT do
      local kind = kinds[(i - 1) % #kinds + 1]
      local c = GEN[kind](R)
      local seen = {}
      local why = check_case(c, R, seen)
      tally[kind] = (tally[kind] or 0) + 1
      if seen.outcome then
        outcomes[seen.outcome] = (outcomes[seen.outcome] or 0) + 1
        most_calls, most_share = max(most_calls, seen.calls), max(most_share, seen.share)
      end
      if why then
        local f = io.open("/tmp/linkup-ngx-fuzz-case.bin", "wb")
        if f then f:write(c.stream) f:close() end
        error(format("seed %d case %d (%s, expect %s, timeout %g, max %d, %d segments, eof %s): %s " ..
          "(stream in /tmp/linkup-ngx-fuzz-case.bin)", seed, i, kind, c.expect, c.timeout, c.max_bytes,
          #c.segments, tostring(c.eof), why))
      end
    end
    local parts = {}
    for k, v in pairs(outcomes) do parts[#parts + 1] = k .. " " .. v end
    table.sort(parts)
    print(format("\n  ngx parser: seed %d, %d cases (valid %d, cut %d, broken %d, mutant %d) in %.1f s CPU;" ..
      "\n  outcomes: %s; at most %d socket calls in one case; fake time at most %.4f of the timeout",
      seed, COUNT, tally.valid or 0, tally.cut or 0, tally.broken or 0, tally.mutant or 0, os.clock() - t0,
      concat(parts, ", "), most_calls, most_share))
  end)
end)
