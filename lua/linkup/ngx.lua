-- linkup.ngx: a transport for OpenResty / lua-nginx-module, on cosockets.
--
--   local client = linkup.new{ api_key = ..., transport = "ngx" }
--
-- libcurl blocks the calling thread, and in nginx that thread is a worker
-- serving every request: the default transport would stall them all while a
-- page loads. This transport speaks HTTP/1.1 over ngx.socket.tcp, which
-- yields to nginx's event loop while it waits, and pauses between retries
-- with ngx.sleep. JSON decoding, errors, retries and pagination stay the
-- module's own; only the bytes move differently.
--
-- Cosockets work in rewrite_by_lua*, access_by_lua*, content_by_lua* and
-- ngx.timer callbacks; not in init_by_lua*, set_by_lua*, header/body
-- filters or log_by_lua* (nginx's rule, not ours).
--
-- What it promises, like the curl transport (the upstream is not trusted):
--
--   * one deadline per attempt, req.timeout seconds, over connect, TLS,
--     send, status line, headers, body and trailers: what is left is
--     computed before every socket operation, so bytes trickling in one at a
--     time cannot stretch it (req.connect_timeout bounds the connect too);
--   * the body limit, req.max_bytes, enforced while reading: a Content-Length
--     over it is refused before a byte of body is read, chunked and
--     until-close bodies stop the moment the total passes it (kind too_large);
--   * bounded heads (LIMITS below), parsed in linear time;
--   * a write (req.write) is sent once at most: on a fresh connection, never
--     a pooled one, never resent here, and never pooled afterwards; a read
--     that meets a pooled connection the server closed while idle goes once
--     more on a fresh one, inside the same deadline;
--   * every failure is `nil, message, kind, status, sent`, never a raised
--     error: kind is "timeout", "network" or "too_large"; status the final
--     status when one was read; sent false only when the request certainly
--     did not leave (a bad URL or header, connect or TLS failed).
--
-- Where control can leave: every socket call and the yield below may park
-- the light thread in nginx's event loop; the engine may kill it there
-- (Run:close), and then the socket is simply dropped (never pooled: that
-- happens only after a complete answer) and nginx closes it when the
-- request ends. Nothing here raises on what the network sends; what can
-- raise is misuse of nginx (ngx.socket.tcp outside a cosocket context),
-- which the engine's pcall turns into a network error.
--
-- The exchange is written against a small socket interface (settimeout,
-- connect, getreusedtimes, sslhandshake, send, receiveany, setkeepalive,
-- close) and a clock given to M.transport, not the globals, so that
-- spec/16-ngx_parser_spec.lua runs it on a fake socket and a fake clock.
--
-- Connections go back to nginx's per-worker keep-alive pool after each
-- complete response. TLS is verified (lua_ssl_trusted_certificate must name
-- the CA bundle in nginx.conf) with SNI set to the host.

local ngx = ngx -- nil outside OpenResty: only the defaults of M.transport use it
local tonumber, tostring, type, pairs, concat = tonumber, tostring, type, pairs, table.concat
local find, sub, lower, match, gsub, byte, char, format = string.find, string.sub, string.lower, string.match,
                                                          string.gsub, string.byte, string.char, string.format
local min, ceil, floor = math.min, math.ceil, math.floor

local M = {}

-- Limits on what the server may send before the body. A head is bytes
-- nobody needs in bulk: LinkupAPI answers with about 20 header lines, 2 KiB,
-- and even a CDN in front adds a few dozen. The budget covers, for one
-- attempt, every status line, header line and blank line of the 1xx
-- responses and of the final one, and the chunked trailers: so a server
-- cannot make up for a short head with endless 100 Continue's or endless
-- trailers. 256 lines and 64 KiB is about ten times a large real head (nginx
-- takes 4 x 8 KiB for a request's; Node 16 KiB; libcurl 300 KiB), and small
-- enough that the worst case costs one table of 256 strings. A single line
-- can be no longer than what is left of the bytes, so an endless header line
-- is an error after 64 KiB.
M.LIMITS = {
  head_lines = 256,
  head_bytes = 64 * 1024,
  -- a chunk-size line: the hex size and any extensions (which nobody sends
  -- in practice); the CRLF after a chunk's data is checked apart.
  chunk_line = 4096,
  -- the most asked of one receiveany (nginx gives at most its
  -- lua_socket_buffer_size anyway, 4-8 KiB by default)
  piece = 64 * 1024,
  -- A cosocket read that finds data does not yield, so a fast server could
  -- keep the worker busy with us alone until the deadline (a body in
  -- one-byte chunks costs about 35 ms of CPU per MiB). After this many
  -- bytes, the worker goes back to nginx for a turn (M.transport's yield).
  yield_every = 1024 * 1024,
}
local LIMITS = M.LIMITS

local DEFAULT_MAX_BYTES = 16 * 1024 * 1024

---------------------------------------------------------------------------
-- the request
---------------------------------------------------------------------------

local function unescape(s)
  return (gsub(s, "%%(%x%x)", function(h) return char(tonumber(h, 16)) end))
end

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = byte(s, i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local d1, d2, d3, d4 = floor(n / 262144), floor(n / 4096) % 64, floor(n / 64) % 64, n % 64
    out[#out + 1] = sub(B64, d1 + 1, d1 + 1) .. sub(B64, d2 + 1, d2 + 1) ..
      (b and sub(B64, d3 + 1, d3 + 1) or "=") .. (c and sub(B64, d4 + 1, d4 + 1) or "=")
  end
  return concat(out)
end

-- url -> { scheme, host, port, path, hostport, auth } or nil. user:password@
-- becomes Basic authorization, as libcurl does.
local function parse_url(url)
  if type(url) ~= "string" then return nil end
  local scheme, authority, path = match(url, "^(https?)://([^/?#]*)(.*)$")
  if not scheme then return nil end
  local auth
  local userinfo, hostpart = match(authority, "^(.*)@([^@]*)$")
  if userinfo then
    authority = hostpart
    auth = "Basic " .. base64(unescape(userinfo))
  end
  local host, port = match(authority, "^%[([%x:.]+)%]:?(%d*)$") -- [IPv6]
  if not host then host, port = match(authority, "^([^:]+):?(%d*)$") end
  if not host or find(host, "[%[%]%s@]") then return nil end
  port = tonumber(port) or (scheme == "https" and 443 or 80)
  if port < 1 or port > 65535 then return nil end
  if path == "" then path = "/" elseif sub(path, 1, 1) ~= "/" then path = "/" .. path end
  path = gsub(path, "#.*$", "")
  if find(path, "[%z%s]") then return nil end -- it would split the request line
  local default = (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
  local hostname = find(host, ":", 1, true) and ("[" .. host .. "]") or host
  return { scheme = scheme, host = host, port = port, path = path, auth = auth,
           hostport = default and hostname or (hostname .. ":" .. port) }
end

-- The request's bytes, or nil, why (a header that would split the request).
local function request_bytes(req, u, close)
  local body = req.body or ""
  if type(body) ~= "string" then return nil, "request body is not a string" end
  local lines = {
    tostring(req.method or "GET") .. " " .. u.path .. " HTTP/1.1",
    "Host: " .. u.hostport,
    close and "Connection: close" or "Connection: keep-alive",
  }
  if body ~= "" or req.method == "POST" or req.method == "PUT" then
    lines[#lines + 1] = "Content-Length: " .. #body
  end
  if u.auth then lines[#lines + 1] = "Authorization: " .. u.auth end
  for k, v in pairs(req.headers or {}) do
    k, v = tostring(k), tostring(v)
    local lk = lower(k)
    -- framing is ours; and nginx would have to gunzip in Lua: ask for plain
    -- bodies (by not asking for anything else)
    if lk ~= "host" and lk ~= "content-length" and lk ~= "accept-encoding" and lk ~= "connection"
       and lk ~= "transfer-encoding" and not (u.auth and lk == "authorization") then
      if find(k, "[^%w!#$%%&'*+.^_`|~-]") or find(v, "[%z\r\n]") then
        return nil, "request header " .. k .. " holds a forbidden character"
      end
      lines[#lines + 1] = k .. ": " .. v
    end
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = body
  return concat(lines, "\r\n")
end

---------------------------------------------------------------------------
-- reading: a buffer over receiveany, bounded lines, bounded bodies
---------------------------------------------------------------------------
-- r = { sock, now, deadline, yield, buf, pos, got, since_yield }
-- r.buf[r.pos..] is what came and was not used yet. Every wait on the
-- socket goes through fill(), which sets the socket's timeout to what is
-- left of the deadline: that is the only place time passes while reading.

local function ms(seconds)
  local n = ceil(seconds * 1000)
  -- 0 would mean "nginx's default" to settimeout; never ask for less than 1
  return n < 1 and 1 or n
end

-- Reads up to max bytes into r.buf (after the old ones are used). Returns
-- true, or nil, err ("timeout", "closed", or the socket's message).
local function fill(r, max)
  local left = r.deadline - r.now()
  if left <= 0 then return nil, "timeout" end
  local sock = r.sock
  sock:settimeout(ms(left))
  local data, err = sock:receiveany(max)
  if type(data) ~= "string" or data == "" then
    -- an empty string is no progress: taking it for data could loop forever
    return nil, (data == nil and err) and tostring(err) or "closed"
  end
  r.buf, r.pos = data, 1
  r.got = r.got + #data
  r.since_yield = r.since_yield + #data
  if r.since_yield >= LIMITS.yield_every then
    r.since_yield = 0
    r.yield()
  end
  return true
end

-- Reads one line ending in LF (a CR before it is dropped; a bare LF is a
-- line end too, as RFC 9112 lets a recipient accept). limit: the most bytes
-- the line may take, its end included. Returns line, bytes; or nil, err,
-- where err "long" means the limit was reached first. Linear: each byte is
-- searched once, and a line that comes in pieces is joined once.
local function readline(r, limit)
  local parts, n, len = nil, 0, 0
  while true do
    local buf, pos = r.buf, r.pos
    local nl = find(buf, "\n", pos, true)
    local stop = nl or #buf
    if len + (stop - pos + 1) > limit then return nil, "long" end
    if nl then
      local piece = sub(buf, pos, nl - 1)
      len = len + (nl - pos + 1)
      r.pos = nl + 1
      if parts then
        parts[n + 1] = piece
        piece = concat(parts)
      end
      if byte(piece, -1) == 13 then piece = sub(piece, 1, -2) end
      return piece, len
    end
    if pos <= #buf then
      parts = parts or {}
      n = n + 1
      parts[n] = pos == 1 and buf or sub(buf, pos)
      len = len + (#buf - pos + 1)
    end
    r.buf, r.pos = "", 1
    local ok, err = fill(r, LIMITS.piece)
    if not ok then return nil, err end
  end
end

-- A body under construction: small pieces are joined 256 at a time, so a
-- body that came in a million one-byte chunks costs a few copies of itself,
-- not a million strings.
local function sink() return { big = {}, small = {}, size = 0 } end
local function put(s, piece)
  local small = s.small
  small[#small + 1] = piece
  s.size = s.size + #piece
  if #small >= 256 then
    s.big[#s.big + 1] = concat(small)
    s.small = {}
  end
end
local function drain(s)
  s.big[#s.big + 1] = concat(s.small)
  return concat(s.big)
end

-- Moves exactly n bytes into sink s. Never asks the socket for more than
-- is owed, so that nothing past the body is read.
local function read_n(r, n, s)
  while n > 0 do
    if r.pos > #r.buf then
      local ok, err = fill(r, min(n, LIMITS.piece))
      if not ok then return nil, err end
    end
    local buf, pos = r.buf, r.pos
    local take = #buf - pos + 1
    if take > n then take = n end
    put(s, (pos == 1 and take == #buf) and buf or sub(buf, pos, pos + take - 1))
    r.pos = pos + take
    n = n - take
  end
  return true
end

---------------------------------------------------------------------------
-- the response
---------------------------------------------------------------------------

local TOKEN = "^[%w!#$%%&'*+.^_`|~-]+$"

-- An error of the exchange: message, kind. err is fill's or readline's.
local function failed(what, err, timeout)
  if err == "timeout" then
    return format("timeout: no complete answer within %s s (%s)", tostring(timeout), what), "timeout"
  end
  if err == "closed" then return "connection closed by the server " .. what, "network" end
  return what .. ": " .. tostring(err), "network"
end

-- Reads header lines up to the blank one, inside the head budget. Fields
-- go to fields[name] = { values } (names lower-cased). Returns true, or
-- nil, message, kind.
local function read_fields(r, budget, fields, timeout, what)
  local last -- the list of the last field, for an obsolete folded line
  while true do
    if budget.lines <= 0 then
      return nil, "more than " .. LIMITS.head_lines .. " lines in the response head", "network"
    end
    local line, len = readline(r, budget.bytes)
    if not line then
      if len == "long" then return nil, "response head over " .. LIMITS.head_bytes .. " bytes", "network" end
      return nil, failed(what, len, timeout)
    end
    budget.lines, budget.bytes = budget.lines - 1, budget.bytes - len
    if line == "" then return true end
    if find(line, "[%z\r]") then return nil, "bad header line (control character)", "network" end
    local b = byte(line, 1)
    if b == 32 or b == 9 then -- obs-fold: a continuation of the previous field (RFC 9112 5.2)
      if not last then return nil, "bad header line (continuation of nothing)", "network" end
      last[#last] = last[#last] .. " " .. match(line, "^[ \t]*(.-)[ \t]*$")
    else
      local name, value = match(line, "^([^:]*):[ \t]*(.-)[ \t]*$")
      if not name or not find(name, TOKEN) then return nil, "bad header line", "network" end
      name = lower(name)
      last = fields[name]
      if not last then
        last = {}
        fields[name] = last
      end
      last[#last + 1] = value
    end
  end
end

-- Does the comma-separated header hold token tok?
local function has_token(values, tok)
  if not values then return false end
  for i = 1, #values do
    for t in string.gmatch(lower(values[i]), "[^,%s]+") do
      if t == tok then return true end
    end
  end
  return false
end

-- Content-Length: nil (absent), a number, or false (malformed). Repeats
-- are allowed only when they agree (RFC 9110 8.6).
local function content_length(values)
  if not values then return nil end
  local n
  for i = 1, #values do
    for v in string.gmatch(values[i], "[^,]+") do
      v = match(v, "^[ \t]*(%d+)[ \t]*$")
      if not v then return false end
      v = gsub(v, "^0+(%d)", "%1")
      -- 16 digits are more than any limit (max_response_bytes is at most
      -- 2^40); say "huge" without trusting a float with them
      local x = #v > 15 and math.huge or tonumber(v)
      if n and n ~= x then return false end
      n = x
    end
  end
  return n or false
end

-- Reads a chunked body into s. Returns true, or nil, message, kind.
local function read_chunked(r, s, max_bytes, budget, timeout)
  while true do
    local line, err = readline(r, LIMITS.chunk_line)
    if not line then
      if err == "long" then return nil, "chunk-size line over " .. LIMITS.chunk_line .. " bytes", "network" end
      return nil, failed("reading a chunk size", err, timeout)
    end
    -- chunk-size [ chunk-ext ]: hex digits, then nothing or ";" extensions
    local hex, rest = match(line, "^(%x+)(.*)$")
    if not hex or not (rest == "" or find(rest, "^[ \t]*;")) then
      return nil, "bad chunk size line", "network"
    end
    hex = gsub(hex, "^0+(%x)", "%1")
    local size = #hex > 12 and math.huge or tonumber(hex, 16) -- 12 hex digits: 2^48, past any limit
    if size == 0 then break end
    if s.size + size > max_bytes then return nil, "too_large" end
    local ok
    ok, err = read_n(r, size, s)
    if not ok then return nil, failed("reading a chunk", err, timeout) end
    -- the CRLF (or LF) that ends the data
    line, err = readline(r, 2)
    if line ~= "" then
      if line or err == "long" then return nil, "chunk data longer than its size", "network" end
      return nil, failed("reading a chunk", err, timeout)
    end
  end
  -- trailers, in the head's budget, then thrown away
  local ok, msg, kind = read_fields(r, budget, {}, timeout, "reading the trailers")
  if not ok then return nil, msg, kind end
  return true
end

-- Reads until the server closes, into s, at most max_bytes.
local function read_to_close(r, s, max_bytes, timeout)
  if r.pos <= #r.buf then
    put(s, sub(r.buf, r.pos))
    r.pos = #r.buf + 1
  end
  while s.size <= max_bytes do
    local ok, err = fill(r, LIMITS.piece)
    if not ok then
      if err == "closed" then return true end
      return nil, failed("reading the body", err, timeout)
    end
    put(s, r.buf)
    r.pos = #r.buf + 1
  end
  return nil, "too_large"
end

-- One exchange on a connected socket: send, then read the answer.
-- Returns status, body, headers, reusable; or nil, message, kind, status.
-- r.sent tells whether send was tried, r.got how many bytes came.
local function exchange(r, payload, req)
  local timeout, max_bytes = req.timeout, req.max_bytes or DEFAULT_MAX_BYTES
  local left = r.deadline - r.now()
  if left <= 0 then return nil, failed("before sending", "timeout", timeout) end
  r.sock:settimeout(ms(left))
  r.sent = true -- from here on, some of it may have left
  local ok, err = r.sock:send(payload)
  if not ok then return nil, failed("sending the request", err, timeout) end

  local budget = { lines = LIMITS.head_lines, bytes = LIMITS.head_bytes }
  local status, minor, fields
  repeat -- 1xx answers (100 Continue, 103 Early Hints) come before the real one
    if budget.lines <= 0 then
      return nil, "more than " .. LIMITS.head_lines .. " lines in the response head", "network"
    end
    local line, len = readline(r, budget.bytes)
    if not line then
      if len == "long" then return nil, "response head over " .. LIMITS.head_bytes .. " bytes", "network" end
      return nil, failed("waiting for the status line", len, timeout)
    end
    budget.lines, budget.bytes = budget.lines - 1, budget.bytes - len
    -- HTTP/1.x, one space, three digits, then the end or a space and a reason
    local m, s = match(line, "^HTTP/1%.(%d) ([1-9]%d%d)")
    local after = sub(line, 13, 13)
    if not m or not (after == "" or after == " ") then return nil, "bad status line", "network" end
    minor, status, fields = tonumber(m), tonumber(s), {}
    local msg, kind
    ok, msg, kind = read_fields(r, budget, fields, timeout, "reading the headers")
    if not ok then return nil, msg, kind, status end
    if status == 101 then return nil, "unexpected 101 Switching Protocols", "network", status end
  until status >= 200

  local headers = {}
  for name, values in pairs(fields) do headers[name] = concat(values, ", ") end
  local reusable = not has_token(fields.connection, "close")
                   and (minor >= 1 or has_token(fields.connection, "keep-alive"))

  local s = sink()
  local body_ok, msg, kind = true, nil, nil
  if req.method == "HEAD" or status == 204 or status == 304 then -- luacheck: ignore 542
    -- no body, whatever the headers say (RFC 9112 6.3)
  elseif fields["transfer-encoding"] then
    local codings = lower(concat(fields["transfer-encoding"], ","))
    if match(codings, "([^,%s]+)[,%s]*$") == "chunked" then
      body_ok, msg, kind = read_chunked(r, s, max_bytes, budget, timeout)
      -- both framings given: a smuggling attempt or a broken proxy; do not reuse
      if fields["content-length"] then reusable = false end
    else -- the last coding is not chunked: the body runs to the close (RFC 9112 6.3)
      reusable = false
      body_ok, msg, kind = read_to_close(r, s, max_bytes, timeout)
    end
  else
    local cl = content_length(fields["content-length"])
    if cl == false then return nil, "bad Content-Length", "network", status end
    if cl then
      if cl > max_bytes then body_ok, msg = nil, "too_large"
      else
        body_ok, msg = read_n(r, cl, s)
        if not body_ok then msg, kind = failed("reading the body", msg, timeout) end
      end
    else
      reusable = false
      body_ok, msg, kind = read_to_close(r, s, max_bytes, timeout)
    end
  end
  if not body_ok then
    if msg == "too_large" then
      return nil, "response body exceeds max_response_bytes (" .. max_bytes .. ")", "too_large", status
    end
    return nil, msg, kind, status
  end
  -- bytes past the end of the answer: the server is out of step with us
  if r.pos <= #r.buf then reusable = false end
  return status, drain(s), headers, reusable
end

---------------------------------------------------------------------------
-- the transport
---------------------------------------------------------------------------

local function socket_kind(err)
  return err == "timeout" and "timeout" or "network"
end

-- One attempt of req: see the promises at the top. env: the socket
-- constructor, clock, yield and pool settings of M.transport.
local function request(env, req)
  local u = parse_url(req.url)
  if not u then return nil, "bad url", "network", nil, false end
  local timeout = req.timeout
  if type(timeout) ~= "number" or timeout <= 0 then return nil, "bad timeout", "network", nil, false end
  -- a write goes on a connection of its own and is never tried twice here:
  -- a pooled connection the server has meanwhile closed would leave us
  -- unable to tell "not received" from "received, then the server died"
  local write = req.write or req.fresh
  local payload, why = request_bytes(req, u, write)
  if not payload then return nil, why, "network", nil, false end
  local now = env.now
  local deadline = now() + timeout
  local key = u.scheme .. ":" .. u.host .. ":" .. u.port
  local fresh, sent = write, false
  -- sent: whether this request may have left on an earlier try
  local function give_up(msg, kind, status) return nil, msg, kind, status, sent end
  for _ = 1, 2 do
    local left = deadline - now()
    if left <= 0 then return give_up(failed("before connecting", "timeout", timeout)) end
    local sock, err = env.tcp()
    if not sock then return give_up("cannot make a socket: " .. tostring(err), "network") end
    local ct = req.connect_timeout
    sock:settimeout(ms((ct and ct < left) and ct or left))
    -- A fresh connection is one no connection is ever put back under: the
    -- pool named "linkup-fresh:..." stays empty, since sockets connected
    -- under it are always closed.
    local ok
    if fresh then
      ok, err = sock:connect(u.host, u.port, { pool = "linkup-fresh:" .. key })
    else
      ok, err = sock:connect(u.host, u.port, { pool = "linkup:" .. key, pool_size = env.pool_size })
    end
    if not ok then
      sock:close()
      return give_up(format("connect to %s: %s", u.hostport, tostring(err)), socket_kind(err))
    end
    local reused = not fresh and (tonumber(sock:getreusedtimes()) or 0) > 0
    if u.scheme == "https" and not reused then
      left = deadline - now()
      if left <= 0 then
        sock:close()
        return give_up(failed("before the TLS handshake", "timeout", timeout))
      end
      sock:settimeout(ms(left))
      -- pcall (LuaJIT yields through it): when the handshake completes at
      -- once and then fails verification, lua-nginx-module 0.10.23 says
      -- NGX_OK and lua-resty-core 0.1.25 (Debian 12's) raises "assertion
      -- failed!" instead of returning the reason. Only the reason is lost.
      local done, res, herr = pcall(sock.sslhandshake, sock, nil, u.host, true)
      if done then
        ok, err = res, herr
      else
        ok, err = nil, "handshake failed, the reason lost (" .. tostring(res) .. ")"
      end
      if not ok then
        sock:close()
        return give_up("tls: " .. tostring(err), socket_kind(err))
      end
    end
    local r = { sock = sock, now = now, deadline = deadline, yield = env.yield, buf = "", pos = 1, got = 0,
                since_yield = 0, sent = false }
    local status, a, b, c = exchange(r, payload, req)
    if status then -- a, b, c: body, headers, reusable
      if c and not fresh then
        ok = sock:setkeepalive(env.keepalive_ms, env.pool_size)
        if not ok then sock:close() end
      else
        sock:close()
      end
      return status, a, b
    end
    sock:close() -- a, b, c: message, kind, status
    sent = sent or r.sent
    -- A pooled connection the server closed while it sat idle fails before
    -- any answer; a read is then tried once more on a fresh connection.
    -- Never a write (it is never on a pooled connection anyway), never
    -- after a timeout (the deadline is the attempt's, and it has passed).
    if not (reused and not write and r.got == 0 and b == "network") then return give_up(a, b, c) end
    fresh = true
  end
  return give_up("no answer", "network") -- not reached: the second try is on a fresh connection
end

--- transport{ pool_size = 32, keepalive_timeout = 60 } -> function(req)
-- req: method, url, headers, body, timeout, connect_timeout, max_bytes,
-- write. For tests, opts may also give tcp (a socket constructor), now (a
-- clock in seconds) and yield (a turn for the scheduler); they default to
-- ngx.socket.tcp, ngx.now (updated) and ngx.sleep(0.001).
function M.transport(opts)
  opts = opts or {}
  local env = {
    pool_size = opts.pool_size or 32,
    keepalive_ms = (opts.keepalive_timeout or 60) * 1000,
    tcp = opts.tcp or function() return ngx.socket.tcp() end,
    now = opts.now or function()
      ngx.update_time() -- ngx.now() alone is the time of the last event-loop turn
      return ngx.now()
    end,
    -- not sleep(0): without OpenResty's delayed-events patch (Debian's
    -- nginx) it logs a warning each time; 1 ms once per MiB is nothing
    yield = opts.yield or function() ngx.sleep(0.001) end,
  }
  return function(req) return request(env, req) end
end

--- sleep(seconds): yields to nginx for the pause between retries.
function M.sleep(s)
  -- nginx's timers count milliseconds: a shorter pause would be
  -- ngx.sleep(0), which stock nginx warns about on every call
  ngx.sleep(s > 0.001 and s or 0.001)
end

return M
