/* lktime.c: clocks and the pause between attempts.
 *
 * now() is monotonic, for durations and deadlines; time() and getdate() are
 * wall-clock epoch seconds, for Retry-After dates. sleep() returns early
 * when a signal arrives, so that a Ctrl-C during a pause reaches Lua at once
 * (the interpreter raises "interrupted!" at its next instruction); callers
 * that must wait the whole time read now() and sleep again.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <time.h>

#include <curl/curl.h>

#include "linkup.h"

/* The longest single pause: a bound far above any sensible wait, and one a
 * time_t holds everywhere. Longer asks (inf, 1e400 from a header) sleep this
 * long and return; the Lua side never asks for so much. */
#define LK_MAX_SLEEP (86400.0 * 7)

/* now() -> seconds since an arbitrary start, monotonic. */
static int lk_now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)ts.tv_nsec / 1e9);
  return 1;
}

/* sleep(seconds) -> true, or false when a signal cut the pause short. */
static int lk_sleep(lua_State *L) {
  lua_Number s = luaL_checknumber(L, 1);
  struct timespec ts;
  if (!(s > 0)) { /* also NaN */
    lua_pushboolean(L, 1);
    return 1;
  }
  if (s > LK_MAX_SLEEP) s = LK_MAX_SLEEP;
  ts.tv_sec = (time_t)s;
  ts.tv_nsec = (long)((s - (lua_Number)ts.tv_sec) * 1e9);
  if (ts.tv_nsec > 999999999L) ts.tv_nsec = 999999999L;
  if (nanosleep(&ts, NULL) != 0 && errno == EINTR) {
    lua_pushboolean(L, 0);
    return 1;
  }
  lua_pushboolean(L, 1);
  return 1;
}

/* getdate(s) -> epoch seconds of an HTTP date, or nil. */
static int lk_getdate(lua_State *L) {
  time_t t = curl_getdate(luaL_checkstring(L, 1), NULL);
  if (t == (time_t)-1) return 0;
  lua_pushinteger(L, (lua_Integer)t);
  return 1;
}

/* time() -> wall-clock epoch seconds. */
static int lk_time(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)time(NULL));
  return 1;
}

/* Adds now, sleep, getdate and time to the core table. */
void lk_time_init(lua_State *L) {
  static const luaL_Reg funcs[] = {
    {"now", lk_now},
    {"sleep", lk_sleep},
    {"getdate", lk_getdate},
    {"time", lk_time},
    {NULL, NULL}
  };
  luaL_setfuncs(L, funcs, 0);
}
