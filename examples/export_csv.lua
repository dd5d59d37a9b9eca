-- Export every connection to a CSV file (RFC 4180: quoted fields, CRLF).
--
--   LINKUP_API_KEY=... LINKUP_ACCOUNT_ID=... lua5.4 examples/export_csv.lua connections.csv
--
-- The walk fetches pages only as it writes them, so memory stays flat for
-- any network size. (bin/linkup does the same with --format csv.)
local linkup = require "linkup"

local path = arg[1] or "connections.csv"
local client = linkup.new{ account_id = os.getenv("LINKUP_ACCOUNT_ID") }

local function field(v)
  if v == nil then return "" end
  if v:find('[",\r\n]') then return '"' .. v:gsub('"', '""') .. '"' end
  return v
end

local out = assert(io.open(path, "wb"))
out:write("name,job_title,profile_url,profile_picture\r\n")
local ok, err = pcall(function()
  for i, p in client:each_connection{ page_size = 500 } do
    out:write(field(p.name), ",", field(p.job_title), ",", field(p.profile_url), ",",
              field(p.profile_picture), "\r\n")
    if i % 1000 == 0 then io.stderr:write(i, " written\r") end
  end
end)
out:close()
if not ok then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
print(("wrote %s (%d credits)"):format(path, client:info().credits_spent))
