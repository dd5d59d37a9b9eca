-- A walk that survives interruptions: it records its position in a
-- checkpoint file, and a second run resumes where the first stopped, with no
-- duplicate and no gap.
--
--   LINKUP_API_KEY=... LINKUP_ACCOUNT_ID=... lua5.4 examples/resume_walk.lua out.jsonl
--
-- The position is the walk's `i` (v2: resume with offset = i), or, when a
-- request fails, err.resume.offset.
local linkup = require "linkup"

local path = arg[1] or "connections.jsonl"
local checkpoint = path .. ".checkpoint"
local client = linkup.new{ account_id = os.getenv("LINKUP_ACCOUNT_ID"), max_retries = 1 }

local function read_checkpoint()
  local f = io.open(checkpoint)
  if not f then return 0 end
  local n = tonumber(f:read("*l"))
  f:close()
  return n or 0
end

local function save(n)
  local f = assert(io.open(checkpoint .. ".tmp", "w"))
  f:write(n, "\n")
  f:close()
  assert(os.rename(checkpoint .. ".tmp", checkpoint))
end

local start = read_checkpoint()
local out = assert(io.open(path, "ab"))
local last = start
local ok, err = pcall(function()
  for data, meta in client:each_page("connections", { offset = start, page_size = 100 }) do
    for k, p in ipairs(data.connections) do
      out:write(linkup.json_encode{ i = meta.first + k - 1, name = p.name, profile_url = p.profile_url }, "\n")
    end
    out:flush()
    last = meta.first + #data.connections - 1
    save(last)                               -- after the page is safely written
  end
end)
out:close()
if not ok then
  local at = linkup.is_error(err) and err.resume and err.resume.offset or last
  save(at)
  io.stderr:write(tostring(err), "\nstopped at ", at, ": run again to resume\n")
  os.exit(1)
end
os.remove(checkpoint)
print(("done: %d items in %s"):format(last, path))
