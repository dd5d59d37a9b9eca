-- linkup.cli.progress: one line on standard error that an export keeps
-- rewriting: items, pages, credits (which may be fractional), items/s.

local linkup = require "linkup"

local format = string.format

local M = {}

local Progress = {}
Progress.__index = Progress

--- shown(show) -> whether to draw a progress line: show (--progress or
-- --no-progress), or nil: only when standard error is a terminal.
function M.shown(show)
  if show ~= nil then return show end
  local ok = os.execute("test -t 2")
  return ok == true or ok == 0 -- 5.2+: true; 5.1 and LuaJIT: the status
end

--- new(show) -> a progress line; show as for shown().
function M.new(show)
  show = M.shown(show)
  return setmetatable({ show = show, t0 = linkup.now(), shown = false }, Progress)
end

--- p:update(items, pages, credits)
function Progress:update(items, pages, credits)
  if not self.show then return end
  local dt = linkup.now() - self.t0
  io.stderr:write(format("\r%d items, %d pages, %g credits, %.0f items/s", items, pages, credits,
    dt > 0 and items / dt or 0))
  self.shown = true
end

--- p:finish(): ends the line, so that what follows starts on its own.
function Progress:finish()
  if self.shown then io.stderr:write("\n") end
  self.shown = false
end

return M
