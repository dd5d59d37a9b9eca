-- bench/bigint.lua: what keeping big integers exact costs core.decode.
--
--   lua5.4 bench/bigint.lua MODE [PAGES]
--
-- Decodes PAGES (default 20) times one page of 1,000 v1 invitation items,
-- shaped as the fake LinkupAPI serves them, and prints CPU seconds per item.
-- MODE says what the ids are:
--   small    15-digit ids, below 2^53, everywhere: the fast path (no run of
--            16 digits anywhere, nothing copied)
--   strings  19-digit ids only inside strings (entity_urn, a quoted id): the
--            full scan, nothing copied
--   big      19-digit bare invitation_id beyond 2^53 (v1 as it is): the scan
--            and one copy of the text with the ids quoted
-- For instructions per item, run it under callgrind with PAGES and with 0,
-- and divide the difference by PAGES * 1000 (bench/run.sh does not; the
-- README of the C core work gives the figures):
--   valgrind --tool=callgrind --callgrind-out-file=/dev/null lua5.4 bench/bigint.lua big 20
package.path = "lua/?.lua;" .. package.path
package.cpath = "build/5.4/?.so;" .. package.cpath
require "linkup"
local core = require "linkup.core"

local mode, pages = arg[1] or "big", tonumber(arg[2] or "20")
local names = { "Linda K\195\164llqvist", "Jos\195\169 \195\145\195\186\195\177ez", "Sam \240\159\154\128 Lee",
                'Dwayne \\"The Rock\\" Johnson', "Back\\\\slash Bob", "Line\\nBreak" }

local items = {}
for j = 0, 999 do
  local id, bare
  if mode == "small" then
    id = tostring(733155876721968 + 4099 * j)          -- 15 digits: below 2^53
    bare = id
  elseif mode == "strings" then
    id = tostring(7331558767219683329 + 4099 * j)      -- (%d of an integer: exact on 5.3+)
    bare = '"' .. id .. '"'
  else
    id = string.format("%d", 7331558767219683329 + 4099 * j)
    bare = id
  end
  items[#items + 1] = table.concat{
    '{"name": "', names[j % #names + 1], " #", j, '", ',
    '"profile_url": "https://www.linkedin.com/in/inviter-', j, '", ',
    '"subtitle": "Head of \\"Growth\\", EMEA", "sent_time": "', j % 30 + 1, ' days ago", ',
    '"message": ', (j % 3 == 0) and "null" or '"Hi, I\'d like to join your network."', ', ',
    '"invitation_id": ', bare, ', "shared_secret": "zQg9ObYz", ',
    '"shared_connections": "', j % 20, ' mutual connections", "invitation_state": "PENDING", ',
    '"entity_urn": "urn:li:fsd_invitation:', id, '", ',
    '"profile_picture": "https://media.licdn.com/dms/image/v2/inviter-', j, '/p.jpg"}' }
end
local page = '{"status": "success", "data": {"total_results": 1000, "total_available_results": 1000, ' ..
  '"invitations": [' .. table.concat(items, ", ") .. "]}}"

local t0 = os.clock()
local doc
for _ = 1, pages do doc = assert(core.decode(page)) end
local dt = os.clock() - t0
if pages > 0 then
  local first = doc.data.invitations[1].invitation_id
  io.write(string.format("%-8s %d pages of 1,000 items (%d bytes): %.3f us per item; invitation_id is a %s\n",
    mode, pages, #page, dt / (pages * 1000) * 1e6, type(first)))
end
