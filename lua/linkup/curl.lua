-- linkup.curl: the default transport, libcurl's multi interface driven
-- from Lua (csrc/lkmulti.c).
--
-- One multi handle per client owns the client's connection cache; easy
-- handles come from a pool and are attached for one attempt each. Several
-- engine runs (two walks interleaved, say) may share the client: each only
-- looks at its own handles, and a handle left attached by a run that was
-- abandoned (an error, a break) is reclaimed once that run is collected.

local core = require "linkup.core"

local setmetatable = setmetatable

local M = {}

local Curl = {}
Curl.__index = Curl

--- new{ user_agent, ca_file } -> transport
function M.new(http_opts)
  return setmetatable({ multi = core.multi_new(), free = {}, http_opts = http_opts,
                        -- handle -> the run using it; weak, so an abandoned run frees its handles
                        owner = setmetatable({}, { __mode = "v" }), all = {} }, Curl)
end

--- t:start(run, req) -> handle. Attaches an idle handle with req (read by
-- field name; may raise on a malformed request, before anything is sent).
function Curl:start(run, req)
  local h = table.remove(self.free)
  if not h then
    -- reclaim a handle whose run was collected, else make one
    for x in pairs(self.all) do
      if self.owner[x] == nil and x:state() ~= "idle" then
        x:cancel()
        h = x
        break
      end
    end
    if not h then
      h = core.http_new(self.http_opts)
      self.all[h] = true
    end
  end
  self.owner[h] = run
  local ok, err = pcall(self.multi.start, self.multi, h, req)
  if not ok then
    self.owner[h] = nil
    self.free[#self.free + 1] = h
    error(err, 0)
  end
  return h
end

--- t:wait(seconds) -> ended, running: moves every transfer along until one
-- ends, the time is up, or a signal came.
function Curl:wait(seconds)
  return self.multi:wait(seconds)
end

--- t:finish(h) -> the outcome of h's finished transfer; h goes back to the pool.
function Curl:finish(h)
  local a, b, c, d, e = h:result()
  self.owner[h] = nil
  self.free[#self.free + 1] = h
  return a, b, c, d, e
end

--- t:cancel(h): abandons h's transfer; h goes back to the pool.
function Curl:cancel(h)
  h:cancel()
  self.owner[h] = nil
  self.free[#self.free + 1] = h
end

--- t:close(): every handle and the multi (and so every connection).
function Curl:close()
  for h in pairs(self.all) do h:close() end
  self.multi:close()
  self.all, self.free = {}, {}
end

return M
