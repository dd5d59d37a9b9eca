/* lkhash.c: hashing. sha256hex() names an API key without revealing it (the
 * key a rate limiter stores). Each item of a page gets a fingerprint that
 * depends on its whole content, so a walk can tell an item it has already
 * yielded whatever fields the item has.
 *
 * A "linkup.seen" window keeps the fingerprints of a walk's recent items
 * and drops what it has seen from each page, all in C: the common page,
 * where nothing repeats, costs one hash and one set lookup per item.
 *
 * SHA-256 is FIPS 180-4, written from the standard; the specs check it
 * against the standard's test vectors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "linkup.h"

/* ---- SHA-256 ------------------------------------------------------------ */

typedef struct {
  uint32_t h[8];
  uint64_t len;      /* bytes so far */
  unsigned char buf[64];
  size_t used;
} sha256;

static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* One 64-byte block through the compression function (FIPS 180-4, 6.2.2). */
static void sha256_block(sha256 *s, const unsigned char *p) {
  uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
  int i;
  for (i = 0; i < 16; i++)
    w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
  for (i = 16; i < 64; i++) {
    uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  a = s->h[0]; b = s->h[1]; c = s->h[2]; d = s->h[3];
  e = s->h[4]; f = s->h[5]; g = s->h[6]; h = s->h[7];
  for (i = 0; i < 64; i++) {
    t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
    t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g; g = f; f = e; e = d + t1;
    d = c; c = b; b = a; a = t1 + t2;
  }
  s->h[0] += a; s->h[1] += b; s->h[2] += c; s->h[3] += d;
  s->h[4] += e; s->h[5] += f; s->h[6] += g; s->h[7] += h;
}

/* The initial hash value (FIPS 180-4, 5.3.3). */
static void sha256_init(sha256 *s) {
  static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, h0, sizeof h0);
  s->len = 0;
  s->used = 0;
}

/* Feeds n bytes, a block at a time. */
static void sha256_add(sha256 *s, const unsigned char *p, size_t n) {
  s->len += n;
  while (n > 0) {
    size_t take = 64 - s->used;
    if (take > n) take = n;
    memcpy(s->buf + s->used, p, take);
    s->used += take;
    p += take;
    n -= take;
    if (s->used == 64) {
      sha256_block(s, s->buf);
      s->used = 0;
    }
  }
}

/* Pads (FIPS 180-4, 5.1.1) and writes the 32-byte digest. */
static void sha256_end(sha256 *s, unsigned char out[32]) {
  uint64_t bits = s->len * 8;
  unsigned char pad = 0x80, zero = 0, lenb[8];
  int i;
  sha256_add(s, &pad, 1);
  while (s->used != 56) sha256_add(s, &zero, 1);
  for (i = 0; i < 8; i++) lenb[i] = (unsigned char)(bits >> (56 - 8 * i));
  sha256_add(s, lenb, 8);
  for (i = 0; i < 8; i++) {
    out[4 * i] = (unsigned char)(s->h[i] >> 24);
    out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
    out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
    out[4 * i + 3] = (unsigned char)s->h[i];
  }
}

/* sha256hex(s) -> 64 lower-case hex digits */
static int lk_sha256hex(lua_State *L) {
  static const char hex[] = "0123456789abcdef";
  size_t n, i;
  const char *p = luaL_checklstring(L, 1, &n);
  unsigned char d[32];
  char out[64];
  sha256 s;
  sha256_init(&s);
  sha256_add(&s, (const unsigned char *)p, n);
  sha256_end(&s, d);
  for (i = 0; i < 32; i++) {
    out[2 * i] = hex[d[i] >> 4];
    out[2 * i + 1] = hex[d[i] & 15];
  }
  lua_pushlstring(L, out, 64);
  return 1;
}

/* ---- fingerprints --------------------------------------------------------- */

/* 8 bytes per step (a multiply and a rotation each), then the tail: a
 * page's strings are hashed at a fraction of a byte-wise FNV's cost. Not a
 * cryptographic hash: it only has to tell a page's items apart. */
static uint64_t hash_bytes(const char *p, size_t n, uint64_t seed) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ seed ^ ((uint64_t)n * 0xff51afd7ed558ccdULL);
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = (h ^ (w * 0x87c37b91114253d5ULL)) * 0x4cf5ad432745937fULL;
    h = (h << 31) | (h >> 33);
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t w = 0;
    memcpy(&w, p, n);
    h = (h ^ (w * 0x87c37b91114253d5ULL)) * 0x4cf5ad432745937fULL;
  }
  return lk_mix(h);
}

/* The hash of the value at idx: its type and content. A table's is the sum
 * of its pairs' hashes, so the order lua_next visits them in (which differs
 * between two tables with the same content) does not matter. Too deep a
 * table hashes as "deep": JSON from linkup's decoder is at most 64 deep. */
static uint64_t hash_value(lua_State *L, int idx, int depth) {
  switch (lua_type(L, idx)) {
    case LUA_TSTRING: {
      size_t n;
      const char *s = lua_tolstring(L, idx, &n);
      return hash_bytes(s, n, 1);
    }
    case LUA_TNUMBER: {
      lua_Number x = lua_tonumber(L, idx);
      char buf[sizeof x];
      if (x == 0) x = 0; /* -0 and 0 are one number */
      memcpy(buf, &x, sizeof x);
      return hash_bytes(buf, sizeof buf, 2);
    }
    case LUA_TBOOLEAN:
      return lk_mix(3 + (uint64_t)lua_toboolean(L, idx));
    case LUA_TTABLE: {
      uint64_t sum = lk_mix(5);
      if (depth > LK_JSON_MAX_DEPTH) return lk_mix(6);
      idx = lua_absindex(L, idx);
      luaL_checkstack(L, 3, "table too deep");
      lua_pushnil(L);
      while (lua_next(L, idx) != 0) {
        uint64_t hk = hash_value(L, -2, depth + 1);
        uint64_t hv = hash_value(L, -1, depth + 1);
        sum += lk_mix(hk ^ (hv * 0x9e3779b97f4a7c15ULL + 7));
        lua_pop(L, 1);
      }
      return lk_mix(sum);
    }
    default: /* null (light userdata) and anything else: by type only */
      return lk_mix(16 + (uint64_t)lua_type(L, idx));
  }
}

/* ---- the window of recent fingerprints ---------------------------------- */

#define LK_SEEN_MT "linkup.seen"

/* Two generations of an open-addressing set of 64-bit fingerprints (0
 * marks an empty slot, so a fingerprint of 0 is stored as 1). New ones go
 * into `cur`; when it holds `half` it becomes `prev` and `cur` starts
 * empty. A repeat among the last half..2*half items is always found. Each
 * table has 4 * half slots: at most a quarter full, probes stay short. */
typedef struct {
  uint64_t *cur, *prev;
  size_t half, slots, cur_n;
} lk_seen;

/* Frees the window's sets: close, __gc and __close (idempotent). */
static int seen_gc(lua_State *L) {
  lk_seen *s = (lk_seen *)luaL_checkudata(L, 1, LK_SEEN_MT);
  free(s->cur);
  free(s->prev);
  s->cur = s->prev = NULL;
  return 0;
}

/* Whether h is in the set t of `slots` slots (linear probing). */
static int set_has(const uint64_t *t, size_t slots, uint64_t h) {
  size_t i = (size_t)(h & (slots - 1));
  while (t[i] != 0) {
    if (t[i] == h) return 1;
    i = (i + 1) & (slots - 1);
  }
  return 0;
}

/* Puts h into the set t (never full: at most a quarter of its slots). */
static void set_add(uint64_t *t, size_t slots, uint64_t h) {
  size_t i = (size_t)(h & (slots - 1));
  while (t[i] != 0 && t[i] != h) i = (i + 1) & (slots - 1);
  t[i] = h;
}

/* seen(n) -> a window that remembers at least the last n items. */
static int lk_seen_new(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  lk_seen *s;
  size_t half = 16, slots = 64;
  luaL_argcheck(L, n >= 2 && n <= (1 << 24), 1, "window size out of range");
  while (half < (size_t)n / 2) half *= 2;
  slots = half * 4;
  s = (lk_seen *)lua_newuserdatauv(L, sizeof *s, 0);
  memset(s, 0, sizeof *s);
  luaL_setmetatable(L, LK_SEEN_MT);
  s->half = half;
  s->slots = slots;
  s->cur = (uint64_t *)calloc(slots, sizeof(uint64_t));
  s->prev = (uint64_t *)calloc(slots, sizeof(uint64_t));
  if (s->cur == NULL || s->prev == NULL) return luaL_error(L, "linkup: out of memory");
  return 1;
}

/* Remembers h; returns whether it was already there. */
static int seen_check(lk_seen *s, uint64_t h) {
  uint64_t *t;
  if (h == 0) h = 1;
  if (set_has(s->cur, s->slots, h) || set_has(s->prev, s->slots, h)) return 1;
  if (s->cur_n >= s->half) { /* a new generation: the oldest is forgotten */
    t = s->prev;
    s->prev = s->cur;
    memset(t, 0, s->slots * sizeof(uint64_t));
    s->cur = t;
    s->cur_n = 0;
  }
  set_add(s->cur, s->slots, h);
  s->cur_n++;
  return 0;
}

/* w:keep(items, first, from) -> kept, positions | nil, repeats
 * items: a page's array; item i sits at position first + i - 1. Items
 * before position `from` (already passed) and items seen in the window
 * are dropped. When nothing is dropped, `kept` is `items` itself and
 * positions is nil; otherwise kept is a new array and positions its
 * items' positions. Raises only on out of memory. */
static int seen_keep(lua_State *L) {
  lk_seen *s = (lk_seen *)luaL_checkudata(L, 1, LK_SEEN_MT);
  lua_Integer first, from, kept_n = 0;
  int n, i, repeats = 0, copying = 0;
  luaL_checktype(L, 2, LUA_TTABLE);
  first = luaL_checkinteger(L, 3);
  from = luaL_checkinteger(L, 4);
  if (s->cur == NULL) return luaL_error(L, "linkup: the window is closed");
  n = (int)lua_rawlen(L, 2);
  lua_settop(L, 4);
  for (i = 1; i <= n; i++) {
    lua_Integer at = first + i - 1;
    int drop = at < from;
    lua_rawgeti(L, 2, i); /* the item, at 5 (or 7 once copying) */
    if (!drop && seen_check(s, hash_value(L, -1, 0))) {
      drop = 1;
      repeats++;
    }
    if (drop && !copying) { /* the first drop: copy what came before */
      int j;
      copying = 1;
      lua_createtable(L, n, 0); /* kept */
      lua_createtable(L, n, 0); /* positions */
      lua_insert(L, 5);
      lua_insert(L, 5); /* stack: ... 5 kept, 6 positions, 7 item */
      for (j = 1; j < i; j++) {
        lua_rawgeti(L, 2, j);
        lua_rawseti(L, 5, j);
        lua_pushinteger(L, first + j - 1);
        lua_rawseti(L, 6, j);
      }
      kept_n = i - 1;
    }
    if (copying && !drop) {
      kept_n++;
      lua_rawseti(L, 5, (lua_Integer)kept_n); /* pops the item */
      lua_pushinteger(L, at);
      lua_rawseti(L, 6, (lua_Integer)kept_n);
    } else {
      lua_pop(L, 1);
    }
  }
  if (!copying) {
    lua_pushvalue(L, 2);
    lua_pushnil(L);
  }
  lua_pushinteger(L, repeats);
  return 3;
}

/* Adds sha256hex and seen (the window class) to the core table. */
void lk_hash_init(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"keep", seen_keep},
    {"close", seen_gc},
    {NULL, NULL}
  };
  static const luaL_Reg funcs[] = {
    {"sha256hex", lk_sha256hex},
    {"seen", lk_seen_new},
    {NULL, NULL}
  };
  lk_new_class(L, LK_SEEN_MT, methods, seen_gc);
  luaL_setfuncs(L, funcs, 0);
}
