-- A busted output handler: busted's usual terminal output, plus the counts
-- written to $LINKUP_SUMMARY ("passed failed") so spec/run.sh can add up
-- several runs and print the one `N passed, N failed` line CI reads.
local inner = require("busted.outputHandlers." .. (os.getenv("LINKUP_BUSTED_OUTPUT") or "plainTerminal"))

return function(options)
  local busted = require "busted"
  local handler = inner(options)
  busted.subscribe({ "suite", "end" }, function()
    local path = os.getenv("LINKUP_SUMMARY")
    if path then
      local f = assert(io.open(path, "w"))
      f:write(handler.successesCount, " ", handler.failuresCount + handler.errorsCount, "\n")
      f:close()
    end
    return nil, true
  end)
  return handler
end
