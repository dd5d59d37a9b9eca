-- linkup.ngx: a transport for OpenResty / lua-nginx-module, on cosockets.
--
--   local client = linkup.new{ api_key = ..., transport = "ngx" }
--
-- libcurl blocks the calling thread, and in nginx that thread is a worker
-- serving every request: the default transport would stall them all while a
-- page loads. This transport speaks HTTP/1.1 over ngx.socket.tcp, which
-- yields to nginx's event loop while it waits, and pauses between retries
-- with ngx.sleep. JSON decoding, errors, retries and pagination stay the
-- module's own (C and linkup.client); only the bytes move differently.
--
-- Cosockets work in rewrite_by_lua*, access_by_lua*, content_by_lua* and
-- ngx.timer callbacks; not in init_by_lua*, set_by_lua*, header/body
-- filters or log_by_lua* (nginx's rule, not ours).
--
-- Connections go back to nginx's per-worker keep-alive pool after each
-- complete response. TLS is verified (lua_ssl_trusted_certificate must name
-- the CA bundle in nginx.conf) with SNI set to the host.

local ngx = ngx
local tonumber, concat, pairs, lower, min = tonumber, table.concat, pairs, string.lower, math.min

local M = {}

local function parse_url(url)
  local scheme, host, port, path = url:match("^(https?)://([^/:]+):?(%d*)(.*)$")
  if not scheme then return nil end
  if path == "" then path = "/" end
  port = tonumber(port) or (scheme == "https" and 443 or 80)
  return scheme, host, port, path
end

local function kind_of(err)
  return (err == "timeout") and "timeout" or "network"
end

-- Reads a chunked body; returns body or nil, err.
local function read_chunked(sock, max_bytes)
  local parts, total = {}, 0
  while true do
    local line, err = sock:receive("*l")
    if not line then return nil, err end
    local size = tonumber(line:match("^%s*(%x+)"), 16)
    if not size then return nil, "bad chunk size" end
    if size == 0 then
      repeat -- trailers, up to the empty line
        line, err = sock:receive("*l")
        if not line then return nil, err end
      until line == ""
      return concat(parts)
    end
    total = total + size
    if total > max_bytes then return nil, "too_large" end
    local data
    data, err = sock:receive(size)
    if not data then return nil, err end
    parts[#parts + 1] = data
    line, err = sock:receive("*l") -- the CRLF after the chunk
    if not line then return nil, err end
  end
end

-- One exchange on a connected socket. Returns status, body, headers,
-- reusable; or nil, message, kind, answered (true once a status line came).
local function exchange(sock, req, hostport, path, deadline)
  local body = req.body or ""
  local lines = {
    req.method .. " " .. path .. " HTTP/1.1",
    "Host: " .. hostport,
    "Connection: keep-alive",
    "Content-Length: " .. #body,
  }
  for k, v in pairs(req.headers) do
    local lk = lower(k)
    -- nginx would have to gunzip in Lua; ask for plain bodies instead
    if lk ~= "host" and lk ~= "content-length" and lk ~= "accept-encoding" and lk ~= "connection" then
      lines[#lines + 1] = k .. ": " .. v
    end
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = body
  local ok, err = sock:send(concat(lines, "\r\n"))
  if not ok then return nil, "send: " .. tostring(err), kind_of(err), false end

  local function left()
    local ms = (deadline - ngx.now()) * 1000
    if ms < 1 then ms = 1 end
    sock:settimeout(ms)
  end

  left()
  local line
  line, err = sock:receive("*l")
  if not line then return nil, "receive: " .. tostring(err), kind_of(err), false end
  local status = tonumber(line:match("^HTTP/%d%.%d (%d%d%d)"))
  if not status then return nil, "bad status line", "network", true end
  local headers = {}
  while true do
    left()
    line, err = sock:receive("*l")
    if not line then return nil, "receive: " .. tostring(err), kind_of(err), true end
    if line == "" then break end
    local name, value = line:match("^([^:]+):%s*(.-)%s*$")
    if name then
      name = lower(name)
      headers[name] = headers[name] and (headers[name] .. ", " .. value) or value
    end
  end

  local max_bytes = req.max_bytes or 16 * 1024 * 1024
  local resp, reusable = "", true
  local te, cl = headers["transfer-encoding"], tonumber(headers["content-length"])
  left()
  if te and te:lower():find("chunked", 1, true) then
    resp, err = read_chunked(sock, max_bytes)
  elseif cl then
    if cl > max_bytes then return nil, "response body exceeds max_response_bytes", "too_large", true end
    if cl > 0 then resp, err = sock:receive(cl) end
  else
    reusable = false
    resp, err = sock:receive("*a")
    if resp and #resp > max_bytes then resp, err = nil, "too_large" end
  end
  if not resp then
    if err == "too_large" then return nil, "response body exceeds max_response_bytes", "too_large", true end
    return nil, "receive body: " .. tostring(err), kind_of(err), true
  end
  if headers["connection"] and headers["connection"]:lower():find("close", 1, true) then reusable = false end
  return status, resp, headers, reusable
end

--- transport{ pool_size = 32, keepalive_timeout = 60 } -> function(req)
function M.transport(opts)
  opts = opts or {}
  local pool_size = opts.pool_size or 32
  local keepalive_ms = (opts.keepalive_timeout or 60) * 1000
  return function(req)
    local scheme, host, port, path = parse_url(req.url)
    if not scheme then return nil, "bad url", "network" end
    local hostport = (port == 80 and scheme == "http" or port == 443 and scheme == "https")
                     and host or (host .. ":" .. port)
    local deadline = ngx.now() + req.timeout
    -- A pooled connection may have been closed by the server meanwhile: if
    -- a reused one fails before any answer, try once more on a fresh one.
    for try = 1, 2 do
      local sock = ngx.socket.tcp()
      local ct = (req.connect_timeout or req.timeout) * 1000
      sock:settimeouts(min(ct, req.timeout * 1000), req.timeout * 1000, req.timeout * 1000)
      local ok, err = sock:connect(host, port, { pool = scheme .. ":" .. host .. ":" .. port, pool_size = pool_size })
      if not ok then return nil, "connect: " .. tostring(err), kind_of(err) end
      local reused = sock:getreusedtimes() > 0
      if scheme == "https" and not reused then
        ok, err = sock:sslhandshake(nil, host, true)
        if not ok then
          sock:close()
          return nil, "tls: " .. tostring(err), "network"
        end
      end
      local status, a, b, c = exchange(sock, req, hostport, path, deadline)
      if status then -- a, b, c: body, headers, reusable
        if c then sock:setkeepalive(keepalive_ms, pool_size) else sock:close() end
        return status, a, b
      end
      sock:close() -- a, b, c: message, kind, answered
      if not (reused and try == 1 and not c and b ~= "timeout") then
        return nil, a, b
      end
    end
  end
end

--- many(transport) -> function(reqs): several requests at once, one light
-- thread each (ngx.thread.spawn), for client:batch and concurrent walks.
function M.many(transport)
  return function(reqs)
    local threads, out = {}, {}
    for i = 1, #reqs do threads[i] = ngx.thread.spawn(transport, reqs[i]) end
    for i = 1, #threads do
      local ok, a, b, c, d = ngx.thread.wait(threads[i])
      out[i] = ok and { a, b, c, d } or { nil, "light thread failed: " .. tostring(a), "network" }
    end
    return out
  end
end

--- sleep(seconds): yields to nginx for the pause between retries.
function M.sleep(s)
  ngx.sleep(s)
end

return M
