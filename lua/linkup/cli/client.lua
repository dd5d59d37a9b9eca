-- linkup.cli.client: the API version, the account or token, and the
-- linkup client a command calls with.
--
-- Options win over the environment (LINKUP_ACCOUNT_ID, LINKUP_LOGIN_TOKEN),
-- so `--token T` means v1 even where LINKUP_ACCOUNT_ID is set. An option of
-- the other version is refused rather than ignored.
--
-- A command entry may narrow this down: `versions = { [2] = true }` (a
-- call v1 does not have: v2 is implied, v1 refused), `account = false`
-- (a call that needs no account: the accounts list).

local linkup = require "linkup"
local errors = require "linkup.cli.errors"
local options = require "linkup.cli.options"

local M = {}

local function env(name)
  local v = os.getenv(name)
  if v ~= "" then return v end
end

--- resolve(args, entry) -> version, account (v2), token (v1). Raises a
-- usage error. entry: the command's entry (versions, account), or nil.
function M.resolve(args, entry)
  entry = entry or {}
  local version = args.api_version
  if entry.versions and not entry.versions[1] then
    if version == 1 or args.token or args.country then
      errors.usage("%s is for API v2 only (v1 has no such call)", entry.name)
    end
    version = 2
  end
  if not version then
    if args.token and not args.account then
      version = 1
    elseif args.account then
      version = 2
    else
      version = (env("LINKUP_LOGIN_TOKEN") and not env("LINKUP_ACCOUNT_ID")) and 1 or 2
    end
  end
  if version == 2 then
    if args.token then errors.usage("--token is for API v1 (add --api-version 1)") end
    if args.country then errors.usage("--country is for API v1 (add --api-version 1)") end
    local account = args.account or env("LINKUP_ACCOUNT_ID")
    if not account and entry.account ~= false then
      errors.usage("API v2 needs --account ID (or LINKUP_ACCOUNT_ID)")
    end
    return version, account, nil
  end
  if args.account then errors.usage("--account is for API v2; v1 takes --token") end
  local token = args.token or env("LINKUP_LOGIN_TOKEN")
  if not token then errors.usage("API v1 needs --token TOKEN (or LINKUP_LOGIN_TOKEN)") end
  return version, nil, token
end

--- open(args, entry[, extra]) -> client, { version, account }. The
-- entry's options whose `client` field names a linkup.new option set it;
-- extra: more linkup.new options (dry_run, on_event), which win.
function M.open(args, entry, extra)
  if not env("LINKUP_API_KEY") then errors.usage("set LINKUP_API_KEY to your LinkupAPI key") end
  local version, account, token = M.resolve(args, entry)
  local conf = { version = version, account_id = account, login_token = token, country = args.country }
  for _, o in ipairs(entry.options) do
    if o.client then conf[o.client] = args[options.target(o)] end
  end
  for k, v in pairs(extra or {}) do conf[k] = v end
  return linkup.new(conf), { version = version, account = account }
end

return M
