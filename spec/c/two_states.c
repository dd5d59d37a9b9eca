/* two_states.c: two threads, each with its own lua_State, load linkup at
 * the same moment, many times over (spec/30 builds it with the module under
 * ThreadSanitizer). Each round both threads wait at a barrier, then run
 * `require "linkup"` and close their state, so luaopen_linkup (and its
 * one-time curl_global_init) runs in both at once.
 *
 * Before the threads start, main maps linkup.so and cjson.so for good
 * (RTLD_NODELETE) without calling luaopen_*: the threads' dlopen and
 * dlclose then only count references. Otherwise the loader maps and frees
 * them under its own lock, which ThreadSanitizer does not see, and it
 * reports glibc's loader instead of anything of ours; which thread runs
 * luaopen_linkup first is left as open as before.
 *
 *   two_states CPATH [ROUNDS]    (run from the repository: lua/?.lua)
 */
#define _GNU_SOURCE /* RTLD_NODELETE */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

static pthread_barrier_t start;
static const char *cpath;
static int rounds = 50;
static int failures;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* One thread: rounds of new state, require "linkup", close. */
static void *run(void *arg) {
  int i;
  (void)arg;
  for (i = 0; i < rounds; i++) {
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_getglobal(L, "package");
    lua_pushstring(L, "lua/?.lua");
    lua_setfield(L, -2, "path");
    lua_pushstring(L, cpath);
    lua_setfield(L, -2, "cpath");
    lua_pop(L, 1);
    pthread_barrier_wait(&start);
    if (luaL_dostring(L, "local l = require 'linkup'; assert(l.new and require('linkup.core').http_new)") != LUA_OK) {
      pthread_mutex_lock(&lock);
      fprintf(stderr, "two_states: %s\n", lua_tostring(L, -1));
      failures++;
      pthread_mutex_unlock(&lock);
    }
    lua_close(L);
  }
  return NULL;
}

/* Maps the C module `name` found on cpath for the whole run (see above). */
static int pin(const char *name) {
  lua_State *L = luaL_newstate();
  const char *path;
  int ok;
  luaL_openlibs(L);
  lua_getglobal(L, "package");
  lua_getfield(L, -1, "searchpath");
  lua_pushstring(L, name);
  lua_pushstring(L, cpath);
  lua_call(L, 2, 1);
  path = lua_tostring(L, -1);
  ok = path != NULL && dlopen(path, RTLD_NOW | RTLD_NODELETE) != NULL;
  if (!ok) fprintf(stderr, "two_states: cannot map %s: %s\n", name, path ? dlerror() : "not on cpath");
  lua_close(L);
  return ok;
}

int main(int argc, char **argv) {
  pthread_t a, b;
  if (argc < 2) return 2;
  cpath = argv[1];
  if (argc > 2) rounds = atoi(argv[2]);
  if (!pin("linkup") || !pin("cjson")) return 2;
  pthread_barrier_init(&start, NULL, 2);
  pthread_create(&a, NULL, run, NULL);
  pthread_create(&b, NULL, run, NULL);
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  printf("two_states: %d rounds of two states loading linkup at once, %d failures\n", rounds, failures);
  return failures ? 1 : 0;
}
