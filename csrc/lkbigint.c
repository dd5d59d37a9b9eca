/* lkbigint.c: big integers in JSON text stay exact.
 *
 * A double holds every integer up to 2^53 exactly and no longer every one
 * beyond: v1's bare 19-digit invitation_id 7331558767219683329 decodes as
 * ...328, and a client that withdraws by that id names another invitation.
 * lua-cjson decodes every number as a double, so before it sees the text
 * one pass rewrites each bare integer literal beyond 2^53 in magnitude into
 * a JSON string of the same digits ("-" included): it comes back as a Lua
 * string, exact, in every response, whether or not a double happens to
 * hold it. Integers within +-2^53 and numbers with a fraction or an
 * exponent are left alone, and nothing inside a JSON string is touched.
 * Only values are quoted: a bare number where an object's key belongs is
 * left, so that text cjson refuses stays refused ({1234567890123456789: 1}
 * would otherwise turn valid).
 *
 * Cost: most bodies hold no run of 16 digits (2^53 has 16; 15 digits are
 * below 10^15 < 2^53), and a probe of every 16th byte proves it without
 * copying anything. Otherwise one scan, which copies only when a literal
 * is to be quoted.
 */
#include <stdint.h>
#include <string.h>

#include "linkup.h"

/* Containers tracked for the key rule, one bit each in `objects`: cjson
 * refuses deeper text (LK_JSON_MAX_DEPTH), so past this nothing is quoted
 * and the decoder says what is wrong. */
#define LK_BIGINT_MAX_DEPTH LK_JSON_MAX_DEPTH
typedef char lk_depth_fits_64_bits[LK_BIGINT_MAX_DEPTH <= 64 ? 1 : -1];

/* 2^53, the largest magnitude below which a double holds every integer. */
static const char two_53[] = "9007199254740992";

/* Whether c is an ASCII digit. */
static int is_digit(char c) {
  return c >= '0' && c <= '9';
}

/* Whether s[0..len) holds a run of at least 16 digits. Such a run covers a
 * position that is a multiple of 16, so only those bytes are probed; from
 * a digit there the run is measured, at most 15 bytes back (further back
 * would cover the probe before, which found no run) and 16 in all. */
static int has_long_digit_run(const char *s, size_t len) {
  size_t p;
  for (p = 0; p < len; p += 16) {
    size_t a, b;
    if (!is_digit(s[p])) continue;
    a = p;
    while (a > 0 && p - a < 15 && is_digit(s[a - 1])) a--;
    b = p + 1;
    while (b < len && b - a < 16 && is_digit(s[b])) b++;
    if (b - a >= 16) return 1;
  }
  return 0;
}

/* Whether the n digits at d (no leading zero) are beyond 2^53. */
static int beyond_2_53(const char *d, size_t n) {
  if (n != sizeof two_53 - 1) return n > sizeof two_53 - 1;
  return memcmp(d, two_53, n) > 0;
}

/* The end of the JSON string whose opening quote is at s[i]: the index
 * just past its closing quote, or len if it has none. A quote counts as
 * closing when an even number of backslashes stands before it. */
static size_t string_end(const char *s, size_t len, size_t i) {
  for (i++; i < len;) {
    const char *q = memchr(s + i, '"', len - i);
    size_t j, bs = 0;
    if (q == NULL) return len;
    j = (size_t)(q - s);
    while (j - bs > i && s[j - bs - 1] == '\\') bs++;
    if (bs % 2 == 0) return j + 1;
    i = j + 1;
  }
  return len;
}

/* If the JSON text s[0..len) has bare integer literals beyond 2^53 in
 * magnitude, pushes a copy with each of them quoted and returns 1; else
 * pushes nothing and returns 0. Text that is not JSON is scanned all the
 * same (the decoder then says what is wrong with it); a literal with a
 * leading zero is left, so no invalid number turns into a valid string.
 * May raise a memory error (luaL_Buffer: Lua owns every byte, nothing
 * leaks); nothing else is on the stack while the buffer is open. */
int lk_bigint_quote(lua_State *L, const char *s, size_t len) {
  luaL_Buffer b;
  size_t i = 0, flushed = 0;
  int copying = 0;
  /* The open containers, innermost in bit 0 (1: an object), their count,
   * and the last byte outside strings and blanks: a number right after '{',
   * or after ',' in an object, stands where a key belongs. */
  uint64_t objects = 0;
  int depth = 0;
  char prev = 0;
  if (!has_long_digit_run(s, len)) return 0;
  while (i < len) {
    char c = s[i];
    if (c == '"') {
      i = string_end(s, len, i);
      prev = '"';
    } else if (c == '{' || c == '[') {
      if (depth < LK_BIGINT_MAX_DEPTH) objects = (objects << 1) | (c == '{');
      depth++;
      prev = c;
      i++;
    } else if (c == '}' || c == ']') {
      if (depth > 0 && depth <= LK_BIGINT_MAX_DEPTH) objects >>= 1;
      if (depth > 0) depth--;
      prev = c;
      i++;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      i++;
    } else if (c == '-' || is_digit(c)) {
      int value = depth <= LK_BIGINT_MAX_DEPTH && prev != '{' && !(prev == ',' && (objects & 1));
      size_t start = i, d, n;
      if (c == '-') i++;
      d = i;
      while (i < len && is_digit(s[i])) i++;
      n = i - d;
      if (i < len && (s[i] == '.' || s[i] == 'e' || s[i] == 'E')) {
        /* a fraction or an exponent: a number as it is, skipped whole so
         * its exponent's digits are not read as a literal of their own */
        while (i < len && (is_digit(s[i]) || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
                           s[i] == '+' || s[i] == '-'))
          i++;
      } else if (value && n > 15 && s[d] != '0' && beyond_2_53(s + d, n)) {
        if (!copying) {
          /* Sized once: a quoted literal has 16 digits or more and gains
           * 2 bytes, so the copy is at most len + len / 8 long. */
#if LUA_VERSION_NUM >= 502
          luaL_buffinitsize(L, &b, len + len / 8 + 16);
#else
          luaL_buffinit(L, &b);
#endif
          copying = 1;
        }
        luaL_addlstring(&b, s + flushed, start - flushed);
        luaL_addchar(&b, '"');
        luaL_addlstring(&b, s + start, i - start);
        luaL_addchar(&b, '"');
        flushed = i;
      }
      prev = '0';
    } else {
      prev = c;
      i++;
    }
  }
  if (!copying) return 0;
  luaL_addlstring(&b, s + flushed, len - flushed);
  luaL_pushresult(&b);
  return 1;
}

/* _quote_bigints(text) -> text with its big integers quoted (the pass on
 * its own, for specs, the fuzz harness and bench/bigint.lua). */
static int lk_quote_bigints(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  if (!lk_bigint_quote(L, s, len)) lua_pushvalue(L, 1);
  return 1;
}

/* Adds _quote_bigints to the core table on top of the stack. */
void lk_bigint_init(lua_State *L) {
  lua_pushcfunction(L, lk_quote_bigints);
  lua_setfield(L, -2, "_quote_bigints");
}
