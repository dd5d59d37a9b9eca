-- linkup.private: each client's private state (options, secrets, the
-- transport, the limiter, the pause after a 429, credits spent), kept in a
-- weak table keyed by the client, out of reach of anything that prints or
-- dumps the client table (inspect, a debugger's locals view): the API key
-- and the tokens live only here.

local check = require "linkup.check"

local M = {}

local states = setmetatable({}, { __mode = "k" })

--- set(client, p): attaches the private state p to a new client.
function M.set(client, p)
  states[client] = p
end

--- peek(client) -> p or nil, closed or not (for close, __tostring, __gc).
function M.peek(client)
  return states[client]
end

--- get(client, level) -> p. Raises at the user's line unless client is an
-- open linkup client.
function M.get(client, level)
  local p = states[client]
  if not p then check.misuse(level + 1, "client: not a linkup client (call client:method, not client.method)") end
  if p.closed then check.misuse(level + 1, "client: the client is closed") end
  return p
end

return M
