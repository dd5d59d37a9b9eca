-- linkup.items: what the store keeps of one item, for each kind.
--
-- The four kinds come in two API shapes (linkupapi/NETWORK.md): v1 items
-- are flat (`profile_url`, `name`, `subtitle`), v2 invitations nest the
-- person (`sender` / `recipient` with `linkedin_url`, `first_name`,
-- `last_name`, `headline`). row() reads either into the same columns; the
-- whole item is kept as JSON beside them.

local type, tostring, pcall = type, tostring, pcall
local floor = math.floor

local M = {}

-- table: where rows go; list: the key of data that holds the page's items;
-- removable: a full sync marks what it did not see (recommendations are a
-- suggestion list: they are never "removed", they get invited_at instead).
M.KINDS = {
  connections      = { table = "connections", list = "connections", removable = true },
  invitations      = { table = "invitations", list = "invitations", removable = true, invitation = true },
  sent_invitations = { table = "sent_invitations", list = "invitations", removable = true, invitation = true },
  recommendations  = { table = "recommendations", list = "recommendations", removable = false },
}

--- items.list(kind, data) -> the page's array of items (or an empty one)
function M.list(kind, data)
  local t = type(data) == "table" and (data[M.KINDS[kind].list] or data[kind])
  if type(t) ~= "table" then return {} end
  return t
end

local function str(v)
  if type(v) == "string" and v ~= "" then return v end
  if type(v) == "number" then
    if v == floor(v) and v < 2^63 and v >= -2^63 then return string.format("%d", v) end
    return tostring(v)
  end
  return nil
end

--- items.key(url) -> the profile URL as the store keys it, or nil
-- One person, one key, however the URL was written: surrounding blanks,
-- query and fragment, trailing slashes dropped; scheme and host lower case,
-- http as https; for LinkedIn (whose public ids ignore case) the host is
-- www.linkedin.com (linkedin.com, fr.linkedin.com ...) and the path lower
-- case too.
function M.key(url)
  if type(url) ~= "string" then return nil end
  url = url:match("^%s*(.-)%s*$"):gsub("[?#].*$", ""):gsub("/+$", "")
  local scheme, host, rest = url:match("^(%a[%w+.-]*)://([^/]*)(.*)$")
  if scheme then
    scheme, host = scheme:lower(), host:lower()
    if scheme == "http" then scheme = "https" end
    if host == "linkedin.com" or host:match("^[%w-]+%.linkedin%.com$") then
      host, rest = "www.linkedin.com", rest:lower()
    end
    url = scheme .. "://" .. host .. rest
  end
  if url == "" then return nil end
  return url
end

--- items.row(kind, item) -> the columns of one item, or nil when it has no
-- key. The key is the person's profile URL; an invitation without one
-- (a page, a newsletter) is keyed by its entity_urn instead.
function M.row(kind, item)
  if type(item) ~= "table" then return nil end
  local person = type(item.sender) == "table" and item.sender
              or type(item.recipient) == "table" and item.recipient or nil
  local p = person or {}
  local url = item.profile_url or item.linkedin_url or p.linkedin_url or p.profile_url
  local key = M.key(url)
  if not key and M.KINDS[kind].invitation then key = str(item.entity_urn) end
  if not key then return nil end
  local name = str(item.name)
  if not name and (p.first_name or p.last_name) then
    name = ((str(p.first_name) or "") .. " " .. (str(p.last_name) or "")):match("^%s*(.-)%s*$")
  end
  local r = {
    profile_url = key,
    name = name,
    headline = str(item.job_title) or str(item.subtitle) or str(item.headline) or str(p.headline),
    picture = str(item.profile_picture) or str(item.profile_picture_url)
              or str(p.profile_picture) or str(p.profile_picture_url),
  }
  if M.KINDS[kind].invitation then
    r.entity_urn = str(item.entity_urn)
    r.invitation_id = str(item.invitation_id)
    r.invitation_type = str(item.invitation_type)
    r.sent_time = str(item.sent_time)
  end
  return r
end

---------------------------------------------------------------------------
-- JSON
---------------------------------------------------------------------------

-- linkup's own JSON: big integers stay exact, the user's cjson untouched.
local linkup = require "linkup"
local encode, decode = linkup.json_encode, linkup.json_decode

--- items.encode(item) -> JSON text | nil, message (never raises)
function M.encode(item)
  local ok, s = pcall(encode, item)
  if ok and type(s) == "string" then return s end
  return nil, tostring(s)
end

--- items.decode(json) -> the item table, or nil when the text is not JSON
function M.decode(s)
  local ok, v = pcall(decode, s)
  if ok then return v end
  return nil
end

return M
