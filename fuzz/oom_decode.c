/* oom_decode.c: core.decode when memory runs out, at every point.
 *
 * Lua 5.4 offers no allocation limit from Lua, so this program gives a
 * state an allocator that, once armed with a count n, allows n more
 * allocations and then refuses every one (a refusal of only one would be
 * absorbed: Lua collects and tries again). For n = 0, 1, 2, ... it decodes
 * valid JSON (big integers, nulls, "N/A", nesting: every pass of
 * lkjson.c and lkbigint.c) under pcall, until a decode completes within
 * the budget. At every n the outcome must be a table, or a raised
 * "not enough memory": never nil plus "not enough memory", which is the
 * memory error taken for a decode error. Built and run by `make oom-test`
 * (ASan + UBSan), which spec/30 runs.
 *
 * Leak checks are off: lua-cjson 2.1.0 leaks its scratch buffer when a
 * Lua error unwinds through json_decode (its strbuf is malloc'd and freed
 * only on its own error paths), which is not ours to fix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

int luaopen_linkup(lua_State *L);

static int armed;
static long allowed;
static int refused;

/* The allocator: plain realloc, but once armed only `allowed` more
 * allocations or growths succeed. Frees and shrinks always do. */
static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  (void)ud;
  if (nsize == 0) {
    free(ptr);
    return NULL;
  }
  if (armed && (ptr == NULL || nsize > osize)) {
    if (allowed <= 0) {
      refused = 1;
      return NULL;
    }
    allowed--;
  }
  return realloc(ptr, nsize);
}

static const char *docs[] = {
  "{\"status\": \"success\", \"data\": {\"total_results\": 3, \"invitations\": ["
  "{\"name\": \"A \\\"q\\\" \\\\ b\", \"invitation_id\": 7331558767219683329, \"message\": null,"
  " \"entity_urn\": \"urn:li:fsd_invitation:7331558767219683329\", \"job_title\": \"N/A\"},"
  "{\"name\": \"B\", \"invitation_id\": -7453486530700017665, \"n\": 12.5, \"e\": 1e300, \"list\": [1, null, 3]},"
  "{\"name\": \"C\", \"invitation_id\": 9007199254740993, \"deep\": {\"a\": {\"b\": {\"c\": [[[9007199254740992]]]}}}}"
  "]}}",
  "{\"success\": true, \"data\": {\"connections\": [{\"name\": \"x\", \"profile_picture\": \"N/A\"}],"
  " \"total_available_results\": 1, \"has_more\": false}, \"metadata\": {\"credits_consumed\": 1}}",
};

/* Sweeps one document; returns the number of failures. */
static int sweep(lua_State *L, const char *doc) {
  long n;
  int failures = 0;
  for (n = 0; n < 100000; n++) {
    int status;
    lua_getglobal(L, "decode");
    lua_pushstring(L, doc);
    refused = 0;
    allowed = n;
    armed = 1;
    status = lua_pcall(L, 1, 2, 0);
    armed = 0;
    if (status == LUA_OK) {
      if (lua_type(L, -2) != LUA_TTABLE) {
        fprintf(stderr, "oom_decode: budget %ld: decode returned %s, \"%s\" (a memory error taken for a decode error)\n",
                n, luaL_typename(L, -2), lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
        failures++;
      } else if (!refused) {
        printf("oom_decode: %ld failure points, each raised \"not enough memory\" or still decoded\n", n);
        lua_settop(L, 0);
        return failures;
      }
    } else {
      const char *msg = lua_tostring(L, -1);
      if (!refused || msg == NULL || strstr(msg, "not enough memory") == NULL) {
        fprintf(stderr, "oom_decode: budget %ld: raised \"%s\" (refused: %d)\n", n, msg ? msg : "?", refused);
        failures++;
      }
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
  }
  fprintf(stderr, "oom_decode: never decoded within 100000 allocations\n");
  return failures + 1;
}

int main(void) {
  lua_State *L = lua_newstate(limited_alloc, NULL);
  size_t i;
  int failures = 0;
  if (L == NULL) return 2;
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_pushstring(L, getenv("LINKUP_LUA_PATH") ? getenv("LINKUP_LUA_PATH") : "lua/?.lua");
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  luaL_requiref(L, "linkup", luaopen_linkup, 0);
  if (luaL_dostring(L, "decode = require('linkup.core').decode") != LUA_OK) {
    fprintf(stderr, "oom_decode: %s\n", lua_tostring(L, -1));
    return 2;
  }
  lua_settop(L, 0);
  for (i = 0; i < sizeof docs / sizeof docs[0]; i++) failures += sweep(L, docs[i]);
  lua_close(L);
  if (failures) fprintf(stderr, "oom_decode: %d failures\n", failures);
  return failures ? 1 : 0;
}
