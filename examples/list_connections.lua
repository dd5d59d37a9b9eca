-- List connections and "people you may know" with linkup.
--
--   LINKUP_API_KEY=... LINKUP_ACCOUNT_ID=... lua5.4 examples/list_connections.lua [limit]
--
-- LINKUP_BASE_URL points it elsewhere (make demo points it at the fake API).
local linkup = require "linkup"
local width = require "linkup.cli.width"     -- display columns: CJK and emoji take two
local visible = require "linkup.cli.visible" -- controls in the data shown, never sent to the terminal

-- s in exactly `cols` terminal columns (cut with "…", or padded).
local function cell(s, cols) return width.fit(visible.text(s), cols) end

local limit = tonumber(arg and arg[1]) or 25
local client = linkup.new{
  account_id = os.getenv("LINKUP_ACCOUNT_ID") or "acc-demo",
}

-- One call: one page, as plain tables.
local data, meta = client:connections{ count = 5 }
if not data then
  io.stderr:write(tostring(meta), "\n")   -- one readable line; err.kind, err.code ... for code
  os.exit(1)
end
print(string.format("%d connections in all; first page cost %d credit(s)",
  data.total_available_results, meta.credits))

-- A walk: every item, fetched page by page only as the loop needs them.
print(("\nThe first %d connections:"):format(limit))
local ok, err = pcall(function()
  for i, person in client:each_connection{ limit = limit, page_size = 10 } do
    print(string.format("%4d  %s %s", i, cell(person.name, 34), visible.text(person.job_title or "(no title)")))
  end
end)
if not ok then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end

print("\nPeople you may know, with 20 or more mutual connections:")
for _, rec in client:each_recommendation{ limit = 30 } do
  local mutual = tonumber((rec.insight or ""):match("(%d+) other mutual"))
  if mutual and mutual >= 20 then
    print(string.format("  %s %s", cell(rec.name, 34), visible.text(rec.insight)))
  end
end

print(("\ncredits spent by this client: %d"):format(client:info().credits_spent))
client:close()
