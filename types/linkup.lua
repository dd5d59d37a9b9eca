---@meta linkup
-- Types of `require "linkup"` for lua-language-server (LuaLS): completion and
-- checks in editors. Plain comments: nothing here runs. The whole reference
-- is docs/reference.md; spec/26-types_spec.lua keeps this file in step with
-- what the module exports.

---@class linkup
---@field _VERSION string "linkup 0.1.0"
---@field null lightuserdata JSON null inside arrays
---@field COUNTRIES table<string, true> the v1 proxy countries
local linkup = {}

---@alias linkup.fail nil

---@class linkup.Options
---@field api_key? string required; default $LINKUP_API_KEY
---@field base_url? string default $LINKUP_BASE_URL or https://api.linkupapi.com
---@field version? 1|2 default: 1 if only login_token is given, else 2
---@field account_id? string v2 account, default for every call
---@field login_token? string v1 LinkedIn cookie, default for every call (a secret)
---@field country? "US"|"UK"|"FR"|"DE"|"NL"|"IT"|"IL"|"CA"|"BR"|"ES"|"IN" v1 proxy country
---@field timeout? number seconds per attempt (30)
---@field connect_timeout? number seconds (10)
---@field max_retries? integer extra attempts after a retryable failure (2)
---@field retry_base? number backoff base, seconds (0.5)
---@field retry_cap? number backoff cap, seconds (8)
---@field max_retry_after? number longest Retry-After waited for (60)
---@field max_response_bytes? integer largest body accepted (16 MiB)
---@field ca_file? string CA bundle for TLS
---@field user_agent? string
---@field transport? "curl"|"ngx"|fun(req: linkup.Request): (integer|nil), string, (table|string|nil), integer?, boolean?
---@field sleep? fun(seconds: number) the pauses between attempts
---@field rate_limit? linkup.RateLimit|false|linkup.RateStore default { requests = 300, per = 60 }
---@field dry_run? boolean writes send nothing
---@field on_event? fun(ev: linkup.Event) called after every attempt

---@class linkup.RateLimit
---@field requests? integer sends allowed in a window (300)
---@field per? number the window, seconds (60)
---@field margin? number added to the window, seconds (per / 100)
---@field shared_dict? string an nginx lua_shared_dict shared by the workers (transport "ngx")

---@class linkup.RateStore
---@field take fun(self: linkup.RateStore, key: string): number 0 when a send is booked, else seconds to wait

---@class linkup.Request
---@field method string
---@field url string
---@field headers table<string, string>
---@field body? string
---@field timeout number
---@field connect_timeout number
---@field max_bytes number
---@field write boolean true for invite, accept, decline, withdraw

---@class linkup.Event
---@field method string
---@field url string
---@field endpoint string
---@field status? integer
---@field duration number
---@field attempt integer
---@field pause? number
---@field error? "network"|"timeout"|"decode"|"api"
---@field message? string

---@class linkup.Error
---@field kind "network"|"timeout"|"decode"|"api"
---@field status? integer
---@field code? string
---@field message? string
---@field retryable boolean
---@field attempts? integer
---@field endpoint? string
---@field uncertain? boolean a write that may have taken effect
---@field retry_after? number
---@field resume? { offset: integer, start_page?: integer } where a failed walk can start again

---@class linkup.Meta
---@field status? integer
---@field credits number
---@field attempts? integer
---@field elapsed? number
---@field headers? table<string, string>
---@field dry_run? boolean

---@class linkup.PageMeta: linkup.Meta
---@field first integer position of the page's first item (1-based)
---@field positions? integer[] positions, when they are not consecutive
---@field offset? integer v2
---@field page? integer v1
---@field credits_spent number the walk's so far
---@field last boolean this page ends the list (not a walk cut short by its budget or limit)

---@class linkup.WalkOptions
---@field limit? integer most items to yield
---@field page_size? integer v2 count per request (100)
---@field offset? integer where to begin
---@field start_page? integer v1 page to begin at
---@field max_credits? number budget
---@field concurrency? integer requests in flight (1)
---@field invitation_type? string
---@field account_id? string
---@field login_token? string
---@field country? string

---@class linkup.ListParams
---@field count? integer v2 (1-1000)
---@field offset? integer v2
---@field total_results? integer v1
---@field start_page? integer v1
---@field end_page? integer v1
---@field invitation_type? string invitation lists
---@field account_id? string
---@field login_token? string
---@field country? string

---@class linkup.InviteParams
---@field profile_url? string exactly one of profile_url and identifier
---@field identifier? string
---@field message? string at most 300 characters
---@field account_id? string

---@class linkup.InvitationParams
---@field entity_urn string
---@field shared_secret string
---@field account_id? string
---@field login_token? string
---@field country? string

---@class linkup.WithdrawParams
---@field invitation_id string|integer digits, or a whole number below 2^53
---@field account_id? string
---@field login_token? string
---@field country? string

---@class linkup.CheckParams
---@field profile_url string
---@field account_id? string
---@field login_token? string
---@field country? string

---@class linkup.AccountsParams
---@field limit? integer page size (1-500)
---@field offset? integer

---@class linkup.Result
---@field [1] table|nil
---@field [2] linkup.Meta|linkup.Error
---@field data? table
---@field meta? linkup.Meta
---@field err? linkup.Error

---@class linkup.Client
local Client = {}

---@param opts? linkup.Options
---@return linkup.Client
function linkup.new(opts) end

---@param x any
---@return boolean
function linkup.is_error(x) end

---@param x any
---@return boolean
function linkup.is_misuse(x) end

---@param x any
---@return boolean
function linkup.is_interrupt(x) end

---@param spec { version?: 1|2, kind?: string, walk?: boolean, limit?: integer, total?: integer, page_size?: integer, offset?: integer, count?: integer, total_results?: integer, start_page?: integer, end_page?: integer }
---@return number|nil credits
---@return string? why
function linkup.estimate_credits(spec) end

---@param value any
---@return string
function linkup.json_encode(value) end

---@param text string
---@return any|nil value
---@return string? message
function linkup.json_decode(text) end

---@return number seconds monotonic
function linkup.now() end

---@param params? linkup.ListParams
---@return table|nil data
---@return linkup.Meta|linkup.Error meta_or_err
function Client:connections(params) end

---@param params? linkup.ListParams
---@return table|nil data
---@return linkup.Meta|linkup.Error meta_or_err
function Client:recommendations(params) end

---@param params? linkup.ListParams
---@return table|nil data
---@return linkup.Meta|linkup.Error meta_or_err
function Client:invitations(params) end

---@param params? linkup.ListParams
---@return table|nil data
---@return linkup.Meta|linkup.Error meta_or_err
function Client:sent_invitations(params) end

---@param params linkup.InviteParams
---@return table|nil data
---@return linkup.Meta|linkup.Error meta_or_err
function Client:invite(params) end

---@param params linkup.InvitationParams
---@return table|nil data
---@return linkup.Meta|linkup.Error meta_or_err
function Client:accept(params) end

---@param params linkup.InvitationParams
---@return table|nil data
---@return linkup.Meta|linkup.Error meta_or_err
function Client:decline(params) end

---@param params linkup.WithdrawParams
---@return table|nil data
---@return linkup.Meta|linkup.Error meta_or_err
function Client:withdraw(params) end

---@param params linkup.CheckParams
---@return table|nil data
---@return linkup.Meta|linkup.Error meta_or_err
function Client:check_invitation(params) end

---@param params? linkup.AccountsParams
---@return table|nil data
---@return linkup.Meta|linkup.Error meta_or_err
function Client:accounts(params) end

---@param account_id string
---@return table|nil data
---@return linkup.Meta|linkup.Error meta_or_err
function Client:account(account_id) end

---@param opts? linkup.WalkOptions
---@return fun(): integer, table
function Client:each_connection(opts) end

---@param opts? linkup.WalkOptions
---@return fun(): integer, table
function Client:each_recommendation(opts) end

---@param opts? linkup.WalkOptions
---@return fun(): integer, table
function Client:each_invitation(opts) end

---@param opts? linkup.WalkOptions
---@return fun(): integer, table
function Client:each_sent_invitation(opts) end

---@param opts? linkup.WalkOptions
---@return fun(): integer, table
function Client:each_account(opts) end

---@param kind "connections"|"recommendations"|"invitations"|"sent_invitations"|"accounts"
---@param opts? linkup.WalkOptions
---@return fun(): table, linkup.PageMeta
function Client:each_page(kind, opts) end

---@param calls { [1]: string, [2]: table }[]
---@param opts? { concurrency?: integer }
---@return linkup.Result[]
function Client:batch(calls, opts) end

---@param kind string
---@param opts? { limit?: integer, total?: integer, page_size?: integer, offset?: integer }
---@return number|nil credits
---@return string? why
function Client:estimate_credits(kind, opts) end

---@return { version: integer, base_url: string, account_id?: string, country?: string, timeout: number, connect_timeout: number, max_retries: integer, user_agent: string, dry_run: boolean, has_login_token: boolean, credits_spent: number, rate_limited: boolean }
function Client:info() end

function Client:close() end

return linkup
