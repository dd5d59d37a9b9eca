/* lkjson.c: JSON for linkup.
 *
 * Decoding is lua-cjson's decoder, called from C on a private instance made
 * with cjson.new(), so the user's own cjson settings are never read or
 * changed. Before it, lkbigint.c quotes bare integers beyond 2^53 so that
 * they come back as exact strings. After decoding, one walk over the result:
 *   - whole numbers become Lua integers (5.3+): Debian's lua-cjson 2.1.0
 *     decodes every number as a float;
 *   - JSON null as a field of an object is removed (the field reads as nil);
 *     inside an array it stays as the null sentinel, so indexes do not shift;
 *   - the documented "N/A" placeholders (job_title, profile_picture) are
 *     removed the same way.
 * Encoding (request bodies) is done here, not by cjson: cjson 2.1.0 prints
 * numbers with "%.14g", and our integers must stay integers on the wire.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linkup.h"

/* A request body is a small flat object: this bounds the key sort array. */
#define LK_ENCODE_MAX_KEYS 64
#define LK_ENCODE_MAX_DEPTH 16

/* Upvalue 1 of decode: the private cjson instance's decode function. */

static int is_na_field(const char *k, size_t len) {
  return (len == 9 && memcmp(k, "job_title", 9) == 0) ||
         (len == 15 && memcmp(k, "profile_picture", 15) == 0);
}

/* Walks the table at idx, rewriting fields in place. Only existing fields are
 * assigned or cleared, which lua_next allows during a traversal. */
static void normalize(lua_State *L, int idx, int depth) {
  idx = lua_absindex(L, idx);
  luaL_checkstack(L, 4, "JSON too deep");
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    /* stack: key value */
    int vt = lua_type(L, -1);
    int key_is_string = lua_type(L, -2) == LUA_TSTRING;
    if (vt == LUA_TTABLE) {
      if (depth < LK_JSON_MAX_DEPTH) normalize(L, -1, depth + 1);
    } else if (vt == LUA_TLIGHTUSERDATA) { /* cjson.null */
      if (key_is_string) {
        lua_pushvalue(L, -2);
        lua_pushnil(L);
        lua_rawset(L, idx);
      }
    } else if (vt == LUA_TSTRING && key_is_string && lua_rawlen(L, -1) == 3) {
      /* the hot path: most strings are not 3 bytes long, and are left
       * without converting or comparing anything */
      size_t kl = 0;
      const char *v = lua_tostring(L, -1), *k;
      if (memcmp(v, "N/A", 3) == 0 && (k = lua_tolstring(L, -2, &kl)) != NULL && is_na_field(k, kl)) {
        lua_pushvalue(L, -2);
        lua_pushnil(L);
        lua_rawset(L, idx);
      }
    }
#if LUA_VERSION_NUM >= 503
    else if (vt == LUA_TNUMBER && !lua_isinteger(L, -1)) {
      lua_Number n = lua_tonumber(L, -1);
      /* 2^53: past it a double no longer holds every integer exactly. */
      if (n == floor(n) && n >= -9007199254740992.0 && n <= 9007199254740992.0) {
        lua_pushvalue(L, -2);
        lua_pushinteger(L, (lua_Integer)n);
        lua_rawset(L, idx);
      }
    }
#endif
    lua_pop(L, 1); /* keep the key for lua_next */
  }
}

/* Runs under lua_pcall: cjson raises on bad input, and so may the walk
 * (out of stack) and any allocation (out of memory). Arg 1: the body;
 * upvalue 1: cjson decode. */
static int decode_protected(lua_State *L) {
  size_t len;
  const char *s = lua_tolstring(L, 1, &len);
  lua_pushvalue(L, lua_upvalueindex(1));
  if (!lk_bigint_quote(L, s, len)) lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  if (lua_type(L, -1) == LUA_TTABLE) normalize(L, -1, 1);
  return 1;
}

/* decode(body) -> value | nil, message. Never raises for bad JSON; raises
 * again whatever else went wrong inside (out of memory above all): that is
 * the interpreter's trouble, not the body's, and a caller that took it for
 * a decode error would retry or report the wrong thing. */
static int lk_decode(lua_State *L) {
  size_t len;
  int rc;
  luaL_checklstring(L, 1, &len);
  if (len == 0) {
    lua_pushnil(L);
    lua_pushliteral(L, "empty body");
    return 2;
  }
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushcclosure(L, decode_protected, 1);
  lua_pushvalue(L, 1);
  rc = lua_pcall(L, 1, 1, 0);
  if (rc != LUA_OK && rc != LUA_ERRRUN) {
    /* LUA_ERRMEM (and 5.2/5.3's LUA_ERRGCMM): the same error object goes
     * on up. lua_error needs no allocation, so it cannot fail in turn. */
    return lua_error(L);
  }
  if (rc != LUA_OK) {
    lua_pushnil(L);
    lua_insert(L, -2); /* nil, message */
    if (lua_type(L, -1) != LUA_TSTRING) {
      lua_pop(L, 1);
      lua_pushliteral(L, "invalid JSON");
    }
    return 2;
  }
  return 1;
}

/* ---- encoding ---------------------------------------------------------- */

/* The output buffer lives in a userdata so that a Lua error raised while
 * encoding (a bad value, out of memory) cannot leak it: __gc frees it. */
typedef struct {
  char *data;
  size_t len, cap;
} lk_buf;

/* __gc of an encode buffer: frees its bytes (after a raise, too). */
static int buf_gc(lua_State *L) {
  lk_buf *b = (lk_buf *)lua_touserdata(L, 1);
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  return 0;
}

/* Appends n bytes; raises when out of memory (the userdata still owns
 * what it had, so nothing leaks). */
static void buf_add(lua_State *L, lk_buf *b, const char *s, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    char *p;
    while (cap < b->len + n) cap *= 2;
    p = (char *)realloc(b->data, cap);
    if (p == NULL) luaL_error(L, "linkup: out of memory encoding JSON");
    b->data = p;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
}

#define buf_lit(L, b, s) buf_add((L), (b), "" s, sizeof(s) - 1)

/* The string at idx as a JSON string: quotes, backslashes and control
 * bytes escaped, everything else (UTF-8 included) as it is. */
static void encode_string(lua_State *L, lk_buf *b, int idx) {
  static const char hex[] = "0123456789abcdef";
  size_t len, i, run = 0;
  const char *s = lua_tolstring(L, idx, &len);
  buf_lit(L, b, "\"");
  for (i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    const char *esc = NULL;
    char u[6];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    buf_add(L, b, s + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': esc = "\\\""; break;
      case '\\': esc = "\\\\"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      case '\t': esc = "\\t"; break;
      case '\b': esc = "\\b"; break;
      case '\f': esc = "\\f"; break;
    }
    if (esc) {
      buf_add(L, b, esc, 2);
    } else {
      u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
      u[4] = hex[c >> 4]; u[5] = hex[c & 15];
      buf_add(L, b, u, 6);
    }
  }
  buf_add(L, b, s + run, len - run);
  buf_lit(L, b, "\"");
}

/* The number at idx: integers exact, no NaN or infinity (raises). */
static void encode_number(lua_State *L, lk_buf *b, int idx) {
  char tmp[64];
  int n;
#if LUA_VERSION_NUM >= 503
  if (lua_isinteger(L, idx)) {
    n = snprintf(tmp, sizeof tmp, "%lld", (long long)lua_tointeger(L, idx));
    buf_add(L, b, tmp, (size_t)n);
    return;
  }
#endif
  {
    lua_Number x = lua_tonumber(L, idx);
    if (x != x || x == HUGE_VAL || x == -HUGE_VAL)
      luaL_error(L, "linkup: cannot encode NaN or infinity as JSON");
    /* A whole number is written without a fraction ("25", never "25.0"):
     * on 5.1/LuaJIT every number is a double. */
    if (x == floor(x) && fabs(x) < 9007199254740992.0)
      n = snprintf(tmp, sizeof tmp, "%.0f", (double)x);
    else
      n = snprintf(tmp, sizeof tmp, "%.17g", (double)x);
    buf_add(L, b, tmp, (size_t)n);
  }
}

/* qsort order of object keys: byte order. */
static int cmp_keys(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void encode_value(lua_State *L, lk_buf *b, int idx, int depth);

/* The table at idx: an array when its keys are exactly 1..n, else an
 * object with string keys, sorted. Raises on anything JSON cannot hold. */
static void encode_table(lua_State *L, lk_buf *b, int idx, int depth) {
  size_t n = lua_rawlen(L, idx), count = 0, i;
  const char *keys[LK_ENCODE_MAX_KEYS];
  if (depth > LK_ENCODE_MAX_DEPTH) luaL_error(L, "linkup: JSON value nested too deep");
  luaL_checkstack(L, 4, "JSON too deep");
  /* Count the pairs: a table is an array when its keys are exactly 1..n. */
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    count++;
    if (lua_type(L, -2) == LUA_TSTRING && count <= LK_ENCODE_MAX_KEYS)
      keys[count - 1] = lua_tostring(L, -2); /* anchored by the table */
    lua_pop(L, 1);
  }
  if (n > 0 && count == n) {
    buf_lit(L, b, "[");
    for (i = 1; i <= n; i++) {
      if (i > 1) buf_lit(L, b, ",");
      lua_rawgeti(L, idx, (int)i);
      encode_value(L, b, lua_gettop(L), depth + 1);
      lua_pop(L, 1);
    }
    buf_lit(L, b, "]");
    return;
  }
  if (count > LK_ENCODE_MAX_KEYS) luaL_error(L, "linkup: JSON object has too many keys");
  /* An object: string keys only, written sorted so bodies are reproducible. */
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) {
    if (lua_type(L, -2) != LUA_TSTRING)
      luaL_error(L, "linkup: JSON object keys must be strings");
    lua_pop(L, 1);
  }
  qsort(keys, count, sizeof keys[0], cmp_keys);
  buf_lit(L, b, "{");
  for (i = 0; i < count; i++) {
    if (i > 0) buf_lit(L, b, ",");
    lua_pushstring(L, keys[i]);
    encode_string(L, b, lua_gettop(L));
    buf_lit(L, b, ":");
    lua_rawget(L, idx);
    encode_value(L, b, lua_gettop(L), depth + 1);
    lua_pop(L, 1);
  }
  buf_lit(L, b, "}");
}

/* Any value at idx; raises for functions, userdata other than null. */
static void encode_value(lua_State *L, lk_buf *b, int idx, int depth) {
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: encode_string(L, b, idx); break;
    case LUA_TNUMBER: encode_number(L, b, idx); break;
    case LUA_TBOOLEAN:
      if (lua_toboolean(L, idx)) buf_lit(L, b, "true");
      else buf_lit(L, b, "false");
      break;
    case LUA_TTABLE: encode_table(L, b, idx, depth); break;
    case LUA_TLIGHTUSERDATA: buf_lit(L, b, "null"); break;
    default:
      luaL_error(L, "linkup: cannot encode a %s as JSON", luaL_typename(L, idx));
  }
}

/* encode(value) -> JSON text. Raises on values JSON cannot hold. */
static int lk_encode(lua_State *L) {
  lk_buf *b;
  luaL_checkany(L, 1);
  b = (lk_buf *)lua_newuserdatauv(L, sizeof *b, 0);
  memset(b, 0, sizeof *b);
  luaL_setmetatable(L, "linkup.jsonbuf");
  encode_value(L, b, 1, 0);
  lua_pushlstring(L, b->data, b->len);
  return 1;
}

/* Adds decode, encode and null to the core table on top of the stack. */
void lk_json_init(lua_State *L) {
  int core = lua_gettop(L);
  luaL_newmetatable(L, "linkup.jsonbuf");
  lua_pushcfunction(L, buf_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);

  /* local instance = require("cjson").new() */
  lua_getglobal(L, "require");
  lua_pushliteral(L, "cjson");
  lua_call(L, 1, 1);
  lua_getfield(L, -1, "new");
  if (lua_type(L, -1) != LUA_TFUNCTION)
    luaL_error(L, "linkup: the installed cjson has no cjson.new()");
  lua_call(L, 0, 1);
  /* instance.decode_max_depth(LK_JSON_MAX_DEPTH) */
  lua_getfield(L, -1, "decode_max_depth");
  lua_pushinteger(L, LK_JSON_MAX_DEPTH);
  lua_call(L, 1, 0);
  /* instance.decode_invalid_numbers(false): no NaN, Infinity or hex. */
  lua_getfield(L, -1, "decode_invalid_numbers");
  if (lua_type(L, -1) == LUA_TFUNCTION) {
    lua_pushboolean(L, 0);
    lua_call(L, 1, 0);
  } else {
    lua_pop(L, 1);
  }
  lua_getfield(L, -1, "decode");
  lua_pushcclosure(L, lk_decode, 1);
  lua_setfield(L, core, "decode");
  lua_getfield(L, -1, "null");
  lua_setfield(L, core, "null");
  lua_pop(L, 2); /* instance, cjson */

  lua_pushcfunction(L, lk_encode);
  lua_setfield(L, core, "encode");
}
