/* linkup.h: what the C files of the linkup core share. */
#ifndef LINKUP_H
#define LINKUP_H

#include <stdint.h>

#include "compat.h"

#define LINKUP_VERSION "0.1.0"

/* luaopen_linkup is the only visible symbol. The Makefile builds with
 * -fvisibility=hidden, but LuaRocks' builtin build cannot add flags, so the
 * internal functions say it themselves. */
#if defined(__GNUC__)
#  define LINKUP_EXPORT __attribute__((visibility("default")))
#  define LINKUP_HIDDEN __attribute__((visibility("hidden")))
#else
#  define LINKUP_EXPORT
#  define LINKUP_HIDDEN
#endif

/* A userdata class: methods under __index; close is also __gc and __close
 * (idempotent, so a closed object may be collected or closed again). */
LINKUP_HIDDEN void lk_new_class(lua_State *L, const char *name, const luaL_Reg *methods,
                                lua_CFunction close);

/* Each concept file adds its functions to the core table on top of the stack. */
LINKUP_HIDDEN void lk_easy_init(lua_State *L);  /* lkeasy.c: one transfer */
LINKUP_HIDDEN void lk_multi_init(lua_State *L); /* lkmulti.c: many at once */
LINKUP_HIDDEN void lk_time_init(lua_State *L);  /* lktime.c: clocks, sleep */
LINKUP_HIDDEN void lk_json_init(lua_State *L);  /* lkjson.c: decode, encode */
LINKUP_HIDDEN void lk_hash_init(lua_State *L);  /* lkhash.c: sha256, the seen window */
LINKUP_HIDDEN void lk_rand_init(lua_State *L);  /* lkrand.c: jitter */
LINKUP_HIDDEN void lk_bigint_init(lua_State *L); /* lkbigint.c: big integers stay exact */

/* Deeper JSON than this is refused (cjson's decode_max_depth): the API's
 * documents are 4 levels deep, and a bound keeps cjson and the C walks
 * over decoded values (normalize, fingerprints, the big-integer pass) off
 * the C stack's edge. lkbigint.c tracks one bit per level in 64 bits. */
#define LK_JSON_MAX_DEPTH 64

/* splitmix64's finaliser: a cheap, well-mixing 64-bit permutation
 * (fingerprints, and jitter's fallback seed). */
static inline uint64_t lk_mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/* lkbigint.c: pushes the JSON text s[0..len) with its bare integers beyond
 * 2^53 quoted and returns 1, or pushes nothing and returns 0 when it has
 * none. May raise a memory error. */
LINKUP_HIDDEN int lk_bigint_quote(lua_State *L, const char *s, size_t len);

#endif
