/* lkhash.c: hashing. sha256hex() names an API key without revealing it (the
 * key a rate limiter stores); fingerprints() gives each item of a page a
 * number that depends on its whole content, so a walk can tell an item it
 * has already yielded whatever fields the item has.
 *
 * SHA-256 is FIPS 180-4, written from the standard; the specs check it
 * against the standard's test vectors.
 */
#include <stdint.h>
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

/* splitmix64's finaliser: a cheap, well-mixing 64-bit permutation. */
static uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/* FNV-1a over n bytes, seeded by type, then mixed. */
static uint64_t hash_bytes(const char *p, size_t n, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ seed; /* FNV-1a */
  size_t i;
  for (i = 0; i < n; i++) {
    h ^= (unsigned char)p[i];
    h *= 0x100000001b3ULL;
  }
  return mix(h);
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
      return mix(3 + (uint64_t)lua_toboolean(L, idx));
    case LUA_TTABLE: {
      uint64_t sum = mix(5);
      if (depth > 64) return mix(6);
      idx = lua_absindex(L, idx);
      luaL_checkstack(L, 3, "table too deep");
      lua_pushnil(L);
      while (lua_next(L, idx) != 0) {
        uint64_t hk = hash_value(L, -2, depth + 1);
        uint64_t hv = hash_value(L, -1, depth + 1);
        sum += mix(hk ^ (hv * 0x9e3779b97f4a7c15ULL + 7));
        lua_pop(L, 1);
      }
      return mix(sum);
    }
    default: /* null (light userdata) and anything else: by type only */
      return mix(16 + (uint64_t)lua_type(L, idx));
  }
}

/* fingerprints(list) -> { n1, n2, ... }: one number per element of list,
 * from its whole content (52 bits, exact in a double on every Lua). */
static int lk_fingerprints(lua_State *L) {
  int n, i;
  luaL_checktype(L, 1, LUA_TTABLE);
  n = (int)lua_rawlen(L, 1);
  lua_createtable(L, n, 0);
  for (i = 1; i <= n; i++) {
    uint64_t h;
    lua_rawgeti(L, 1, i);
    h = hash_value(L, -1, 0);
    lua_pop(L, 1);
    lua_pushnumber(L, (lua_Number)(h >> 12));
    lua_rawseti(L, -2, i);
  }
  return 1;
}

/* Adds sha256hex and fingerprints to the core table. */
void lk_hash_init(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"sha256hex", lk_sha256hex},
    {"fingerprints", lk_fingerprints},
    {NULL, NULL}
  };
  luaL_setfuncs(L, funcs, 0);
}
