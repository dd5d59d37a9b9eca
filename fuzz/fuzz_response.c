/* fuzz_response.c: libFuzzer harness over everything linkup does with a
 * response: status, header block and body -> the C header parser, the C
 * JSON decoder (lua-cjson + normalisation) and the Lua classification into
 * data or a structured error, for v1 and v2, calls and walks.
 *
 * Input layout: byte 0 picks the status from a table of interesting ones,
 * then the raw header block up to the first "\r\n\r\n", then the body.
 * A crash, a sanitizer report, or any raw Lua error escaping a call (linkup
 * must always answer data or nil, err) aborts.
 *
 * The body also goes through core.decode beside a plain cjson instance
 * (same depth limit), which must agree: core.decode accepts exactly what
 * cjson accepts; every string comes back unchanged; a string of digits
 * stands only where cjson read a number beyond 2^53 (lkbigint.c), and is
 * that number's digits; objects lose only null and "N/A" fields. The
 * quoting pass is idempotent.
 */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

int luaopen_linkup(lua_State *L);

static const int statuses[] = {200, 200, 200, 200, 201, 204, 301, 400, 401, 402, 403,
                               404, 429, 500, 502, 503, 504, 100, 299, 599};

static const char *driver =
  "local linkup = ...\n"
  "local core = require('linkup.core')\n"
  "local cur = {}\n"
  "local function transport() return cur.status, cur.body, cur.headers end\n"
  "local clients = {}\n"
  "for _, v in ipairs{1, 2} do\n"
  "  clients[#clients + 1] = linkup.new{ api_key = 'K3Y-s3cr3t-fz', account_id = 'a', login_token = 'T0K-s3cr3t-fz',\n"
  "    version = v, max_retries = 1, transport = transport, sleep = function() end, rate_limit = false }\n"
  "end\n"
  "local function leaks(s) return s:find('K3Y-s3cr3t-fz', 1, true) or s:find('T0K-s3cr3t-fz', 1, true) end\n"
  "local ref = require('cjson').new()\n"
  "ref.decode_max_depth(64)\n"
  "if ref.decode_invalid_numbers then ref.decode_invalid_numbers(false) end\n"
  "local NA = { job_title = true, profile_picture = true }\n"
  "local function same(raw, got, where)\n"
  "  local tr = type(raw)\n"
  "  if tr == 'number' and type(got) == 'string' then\n"
  "    assert(got:find('^%-?[1-9]%d%d%d%d%d%d%d%d%d%d%d%d%d%d%d+$'), 'quoted non-integer at ' .. where .. ': ' .. got)\n"
  "    assert(math.abs(raw) >= 2^53, 'quoted an integer within 2^53 at ' .. where .. ': ' .. got)\n"
  "    assert(tonumber(got .. 'e0') == raw, 'quoted digits differ at ' .. where .. ': ' .. got)\n"
  "    return\n"
  "  end\n"
  "  assert(tr == type(got), 'type ' .. tr .. ' became ' .. type(got) .. ' at ' .. where)\n"
  "  if tr == 'table' then\n"
  "    for k, v in pairs(raw) do\n"
  "      if type(k) == 'string' and (v == ref.null or (v == 'N/A' and NA[k])) then\n"
  "        assert(got[k] == nil, 'kept ' .. k .. ' at ' .. where)\n"
  "      else\n"
  "        same(v, got[k], where .. '.' .. tostring(k))\n"
  "      end\n"
  "    end\n"
  "    for k in pairs(got) do assert(raw[k] ~= nil, 'new key ' .. tostring(k) .. ' at ' .. where) end\n"
  "  elseif tr == 'number' then\n"
  "    assert(got == raw or (got ~= got and raw ~= raw), 'number changed at ' .. where)\n"
  "  else\n"
  "    assert(got == raw, tr .. ' changed at ' .. where)\n"
  "  end\n"
  "end\n"
  "local function check_decode(body)\n"
  "  local q = core._quote_bigints(body)\n"
  "  assert(core._quote_bigints(q) == q, 'quoting is not idempotent')\n"
  "  if #body == 0 then return end\n"
  "  local ok, raw = pcall(ref.decode, body)\n"
  "  local got, err = core.decode(body)\n"
  "  if not ok then assert(got == nil and type(err) == 'string', 'accepted what cjson refuses') return end\n"
  "  assert(got ~= nil, 'refused what cjson accepts: ' .. tostring(err))\n"
  "  same(raw, got, '$')\n"
  "end\n"
  "local function check(d, e)\n"
  "  if d == nil then\n"
  "    assert(linkup.is_error(e), 'not an error object')\n"
  "    local s = tostring(e)\n"
  "    assert(not s:find('\\n') and not leaks(s), 'bad error line: ' .. s)\n"
  "    for k, v in pairs(e) do assert(not leaks(tostring(v)), 'secret in err.' .. k) end\n"
  "  else\n"
  "    assert(type(d) == 'table' and type(e) == 'table')\n"
  "  end\n"
  "end\n"
  "return function(status, raw, body)\n"
  "  check_decode(body)\n"
  "  cur.status, cur.body, cur.headers = status, body, core._parse_headers(raw)\n"
  "  for _, c in ipairs(clients) do\n"
  "    check(c:connections{})\n"
  "    check(c:recommendations{})\n"
  "    local ok, err = pcall(function() for _ in c:each_connection{ limit = 30 } do end end)\n"
  "    if not ok then assert(linkup.is_error(err), tostring(err)) end\n"
  "  end\n"
  "end\n";

static lua_State *L;

static int init(void) {
  L = luaL_newstate();
  luaL_openlibs(L);
  /* the Lua half of linkup from the source tree */
  lua_getglobal(L, "package");
  lua_pushstring(L, getenv("LINKUP_LUA_PATH") ? getenv("LINKUP_LUA_PATH") : "lua/?.lua");
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  luaL_requiref(L, "linkup", luaopen_linkup, 0);
  if (luaL_loadstring(L, driver) != LUA_OK) return 0;
  lua_insert(L, -2);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    fprintf(stderr, "driver: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_setglobal(L, "fuzz_one");
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = (const char *)data, *sep;
  size_t hlen;
  if (L == NULL && !init()) abort();
  if (size < 1) return 0;
  lua_getglobal(L, "fuzz_one");
  lua_pushinteger(L, statuses[data[0] % (sizeof statuses / sizeof statuses[0])]);
  p++;
  size--;
  sep = memmem(p, size, "\r\n\r\n", 4);
  /* the block without its last CRLF: the parser must not read past a
   * final line that has no terminator */
  hlen = sep ? (size_t)(sep - p) : 0;
  /* a Lua string is an exact-size allocation: ASan sees a read past it */
  lua_pushlstring(L, p, hlen);
  if (sep) {
    lua_pushlstring(L, sep + 4, size - hlen - 4);
  } else {
    lua_pushlstring(L, p, size);
  }
  if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
    fprintf(stderr, "raw Lua error escaped: %s\n", lua_tostring(L, -1));
    abort();
  }
  lua_settop(L, 0);
  return 0;
}
