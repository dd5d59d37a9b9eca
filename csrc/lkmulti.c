#define _POSIX_C_SOURCE 200809L
/* lkmulti.c: many transfers at once on libcurl's multi interface, driven
 * step by step from Lua.
 *
 * One "linkup.multi" per client owns a CURLM, and so the client's one cache
 * of kept-alive connections. Lua drives it: m:start(h, req) attaches a
 * handle with its request, m:wait(seconds) moves every transfer along and
 * returns once at least one has ended (or the time is up, or a signal came),
 * and h:result() takes one outcome. No C frame here ever calls back into
 * Lua, so the Lua driver decides what happens between any two steps (judge
 * a response, start the next request, pause) and a Ctrl-C reaches Lua within
 * one step.
 *
 * Attached handles are kept in a list so that closing the multi detaches
 * them first, and closing a handle detaches it from its multi: whichever
 * side goes first, no pointer outlives what it points at.
 */
#include <string.h>
#include <time.h>

#include "lkeasy.h"

#define LK_MULTI_MT "linkup.multi"
/* Live multis per Lua state (a registry field). A client that is dropped
 * without close() keeps its descriptors open until the collector runs, and
 * the collector counts bytes, not descriptors: LuaJIT let ~370 dropped
 * clients pile up, and under `ulimit -n 256` a quarter of 2,000 requests
 * failed. So once this many multis are alive, a new one runs a full
 * collection first. Each dropped client holds about 3 descriptors (its
 * connection and the multi's wakeup socketpair; a batch client one per
 * connection it kept): 16 bounds that to ~48 (spec/30 measures 2,000
 * dropped clients: at most 48 more descriptors than at the start on every
 * Lua, against exhaustion without the collection, and 95 more with 32). After a collection
 * the next comes at twice the multis still alive (and never below 16), so
 * a program that keeps many clients open on purpose does not pay a full
 * collection for each new one. */
#define LK_MULTI_LIVE_KEY "linkup.multi.live"
#define LK_MULTI_NEXT_KEY "linkup.multi.gc_at"
#define LK_MULTI_GC_AFTER 16
#define LK_MULTI_MAXCONNECTS 64

typedef struct lk_multi {
  CURLM *multi;
  lk_http *attached; /* handles RUNNING or DONE on this multi */
  int running;
} lk_multi;

/* A registry number field, 0 when unset. */
static lua_Number reg_number(lua_State *L, const char *key) {
  lua_Number n;
  lua_getfield(L, LUA_REGISTRYINDEX, key);
  n = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return n;
}

/* Adds d to the count of live multis of this Lua state. */
static void live_add(lua_State *L, int d) {
  lua_Integer n = (lua_Integer)reg_number(L, LK_MULTI_LIVE_KEY) + d;
  lua_pushinteger(L, n < 0 ? 0 : n);
  lua_setfield(L, LUA_REGISTRYINDEX, LK_MULTI_LIVE_KEY);
}

/* Takes h off its multi and out of the multi's list (lkeasy.h). */
void lk_multi_detach(lk_http *h) {
  lk_multi *m = h->multi;
  if (m == NULL) return;
  if (m->multi && h->easy) curl_multi_remove_handle(m->multi, h->easy);
  if (h->prev) h->prev->next = h->next;
  else m->attached = h->next;
  if (h->next) h->next->prev = h->prev;
  h->prev = h->next = NULL;
  h->multi = NULL;
}

/* m:close(), also __gc and __close: detaches every handle, then frees the
 * multi and so its connections. Idempotent; never raises. */
static int multi_close(lua_State *L) {
  lk_multi *m = (lk_multi *)luaL_checkudata(L, 1, LK_MULTI_MT);
  while (m->attached) {
    m->attached->state = LK_IDLE;
    lk_multi_detach(m->attached);
  }
  if (m->multi) {
    curl_multi_cleanup(m->multi);
    m->multi = NULL;
    live_add(L, -1);
  }
  return 0;
}

/* Runs full collections when the live multis reach the threshold (see
 * LK_MULTI_GC_AFTER), then sets the next one. One collection is not always
 * enough: on 5.1 and LuaJIT a weak-keyed table is no ephemeron, so a value
 * that holds a dropped client's transport (the driver's private state) is
 * kept through the cycle in which its key dies and freed in the next; so
 * again while half the threshold is still alive, three at most. __gc of a
 * dropped multi runs inside lua_gc and only frees C resources; the driver's
 * __gc (a client's close) is Lua and could raise out of here, which is
 * then an error of multi_new's, before anything is created. */
static void collect_dropped(lua_State *L) {
  lua_Number at = reg_number(L, LK_MULTI_NEXT_KEY), live;
  int i;
  if (at < LK_MULTI_GC_AFTER) at = LK_MULTI_GC_AFTER;
  live = reg_number(L, LK_MULTI_LIVE_KEY);
  if (live < at) return;
  for (i = 0; i < 3 && live >= at / 2; i++) {
    lua_gc(L, LUA_GCCOLLECT, 0);
    live = reg_number(L, LK_MULTI_LIVE_KEY);
  }
  lua_pushnumber(L, 2 * live > LK_MULTI_GC_AFTER ? 2 * live : LK_MULTI_GC_AFTER);
  lua_setfield(L, LUA_REGISTRYINDEX, LK_MULTI_NEXT_KEY);
}

/* multi_new() -> a multi handle with its own connection cache. */
static int multi_new(lua_State *L) {
  lk_multi *m;
  CURLMcode mc;
  collect_dropped(L);
  m = (lk_multi *)lua_newuserdatauv(L, sizeof *m, 0);
  memset(m, 0, sizeof *m);
  luaL_setmetatable(L, LK_MULTI_MT);
  m->multi = curl_multi_init();
  if (m->multi == NULL) return luaL_error(L, "linkup: curl_multi_init failed");
  live_add(L, 1); /* counted as soon as it exists: multi_close uncounts it */
  /* Idle connections kept for reuse. Unset, libcurl keeps 4 per handle
   * attached at that moment, and ours attach one attempt at a time, so a
   * batch's connections would be closed as its last transfers end. The
   * bound is the most transfers a client runs at once. Checked: a multi
   * that closes its connections after every batch would be a silent
   * slowdown. The userdata owns the multi, so a raise leaks nothing. */
  mc = curl_multi_setopt(m->multi, CURLMOPT_MAXCONNECTS, (long)LK_MULTI_MAXCONNECTS);
  if (mc != CURLM_OK)
    return luaL_error(L, "linkup: curl_multi_setopt(CURLMOPT_MAXCONNECTS) failed: %s", curl_multi_strerror(mc));
  return 1;
}

/* The open multi at 1, or a raised error. */
static lk_multi *check_multi(lua_State *L) {
  lk_multi *m = (lk_multi *)luaL_checkudata(L, 1, LK_MULTI_MT);
  if (m->multi == NULL) luaL_error(L, "linkup: the client is closed");
  return m;
}

/* m:start(h, req): sets up req on the idle handle h (see lk_http_prepare,
 * which may raise: before anything is attached) and starts it. */
static int multi_start(lua_State *L) {
  lk_multi *m = check_multi(L);
  lk_http *h = lk_http_check(L, 2);
  CURLMcode mc;
  if (h->state != LK_IDLE) return luaL_error(L, "linkup: the handle is busy");
  lk_http_prepare(L, h, 3);
  mc = curl_multi_add_handle(m->multi, h->easy);
  if (mc != CURLM_OK) return luaL_error(L, "linkup: curl_multi_add_handle: %s", curl_multi_strerror(mc));
  h->multi = m;
  h->prev = NULL;
  h->next = m->attached;
  if (m->attached) m->attached->prev = h;
  m->attached = h;
  h->state = LK_RUNNING;
  h->rc = CURLE_OK;
  return 0;
}

/* Moves every transfer along once; marks the ones that ended DONE. Returns
 * how many ended, or -1 (with mc set) when the multi itself failed. */
static int step(lk_multi *m, CURLMcode *mc) {
  CURLMsg *msg;
  int left, done = 0;
  *mc = curl_multi_perform(m->multi, &m->running);
  if (*mc != CURLM_OK) return -1;
  while ((msg = curl_multi_info_read(m->multi, &left)) != NULL) {
    lk_http *h = NULL;
    if (msg->msg != CURLMSG_DONE) continue;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&h);
    if (h && h->state == LK_RUNNING) {
      h->state = LK_DONE;
      h->rc = msg->data.result;
      done++;
    }
  }
  return done;
}

/* m:wait(seconds) -> ended, running
 * Moves the transfers along until at least one has ended, the time is up,
 * or a signal interrupts the wait (so Ctrl-C is seen at once); returns how
 * many ended in this call and how many still run. With nothing running it
 * returns at once. */
static int multi_wait(lua_State *L) {
  lk_multi *m = check_multi(L);
  lua_Number s = luaL_optnumber(L, 2, 1.0);
  int timeout_ms = !(s > 0) ? 0 : s > 3600.0 ? 3600 * 1000 : (int)(s * 1000.0);
  struct timespec t0;
  CURLMcode mc;
  int done = step(m, &mc);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  /* Data for a page comes in many bursts: keep polling here until a
   * transfer ends or the time is up, rather than going back to Lua after
   * each burst. A poll that wakes with nothing to read was woken by a
   * signal (libcurl takes EINTR for "nothing happened") or by a timer of
   * libcurl's own: go back to Lua then, so that a Ctrl-C is seen at once. */
  while (done == 0 && m->running > 0 && mc == CURLM_OK) {
    struct timespec t1;
    int numfds = 0, left;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    left = timeout_ms - (int)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
    if (left <= 0) break;
    mc = curl_multi_poll(m->multi, NULL, 0, left, &numfds);
    if (mc != CURLM_OK) break;
    done = step(m, &mc);
    if (numfds == 0) break;
  }
  if (done < 0 || mc != CURLM_OK)
    return luaL_error(L, "linkup: curl multi failed: %s", curl_multi_strerror(mc));
  lua_pushinteger(L, done);
  lua_pushinteger(L, m->running);
  return 2;
}

/* Adds multi_new and the multi class to the core table. */
void lk_multi_init(lua_State *L) {
  static const luaL_Reg methods[] = {
    {"start", multi_start},
    {"wait", multi_wait},
    {"close", multi_close},
    {NULL, NULL}
  };
  lk_new_class(L, LK_MULTI_MT, methods, multi_close);
  lua_pushcfunction(L, multi_new);
  lua_setfield(L, -2, "multi_new");
}
