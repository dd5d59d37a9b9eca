/* lkrand.c: randomness for retry jitter.
 *
 * Jitter exists so that clients which failed together do not retry
 * together; it must differ between processes (every nginx worker) and must
 * not touch the user's math.random (LuaJIT and Lua < 5.4 never seed it, so
 * every worker would retry in lock-step). Retries are rare: one getrandom()
 * system call each is nothing.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__)
#  include <sys/random.h>
#endif

#include "linkup.h"

/* random() -> a number in [0, 1) from the kernel's generator. */
static int lk_random(lua_State *L) {
  uint64_t x = 0;
#if defined(__linux__)
  if (getrandom(&x, sizeof x, GRND_NONBLOCK) != (ssize_t)sizeof x)
#endif
  { /* no getrandom: the clock and the pid still differ between workers */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    x = lk_mix(((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40));
  }
  lua_pushnumber(L, (lua_Number)(x >> 11) / 9007199254740992.0);
  return 1;
}

/* Adds random to the core table. */
void lk_rand_init(lua_State *L) {
  lua_pushcfunction(L, lk_random);
  lua_setfield(L, -2, "random");
}
