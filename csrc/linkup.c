/* linkup.c: the module's entry point.
 *
 * `require "linkup"` loads this library. luaopen_linkup builds the C core
 * (one transfer in lkeasy.c, many at once in lkmulti.c, clocks in lktime.c,
 * JSON in lkjson.c) and registers it as package.loaded["linkup.core"], so
 * the Lua modules beside it are ordinary modules that require it. Then it
 * returns require("linkup.public"): the public table, assembled in Lua. The
 * policy is Lua so that every frame between a user's call and a transport
 * that yields (OpenResty cosockets, a coroutine) is a Lua frame.
 */
#define _GNU_SOURCE /* dladdr, RTLD_NODELETE */
#include <dlfcn.h>
#include <pthread.h>

#include <curl/curl.h>

#include "linkup.h"

/* Keeps this library, and so libcurl and what it loaded, in the process
 * until it ends, whatever the interpreter does with the module (Lua 5.4
 * dlcloses C modules at lua_close). libcurl is initialised once per
 * process and never cleaned up, since other code may still use it; it
 * must not be unmapped under a thread it started (a DNS resolution in
 * flight), nor come back as a fresh copy when another state loads linkup.
 * (Unloading it also crashed LeakSanitizer's tracer at exit.) */
static void stay_resident(void) {
  Dl_info info;
  if (dladdr((void *)stay_resident, &info) && info.dli_fname)
    (void)dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

/* curl_global_init runs once per process, whatever the number of Lua states
 * (threads each with their own state, nginx workers' threads) that load
 * linkup, and however many load it at once: pthread_once orders them, so
 * none reads a half-done flag or uses libcurl before it is ready. Never
 * paired with curl_global_cleanup: other code in the process (another
 * state, another library) may still use libcurl. */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

/* Run once, by pthread_once: libcurl's global initialisation. */
static void curl_init_once(void) {
  stay_resident();
  curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* Makes a userdata class (see linkup.h). */
void lk_new_class(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction close) {
  luaL_newmetatable(L, name);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, close);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, close);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
}

/* luaopen_linkup: the only exported symbol. */
LINKUP_EXPORT int luaopen_linkup(lua_State *L) {
  /* curl_init_rc is written once, inside pthread_once, which every caller
   * has returned from before reading it. A failed init stays failed. */
  if (pthread_once(&curl_once, curl_init_once) != 0 || curl_init_rc != CURLE_OK)
    return luaL_error(L, "linkup: curl_global_init failed");

  lua_newtable(L); /* the core */
  lua_pushliteral(L, "linkup " LINKUP_VERSION);
  lua_setfield(L, -2, "_VERSION");
  lk_easy_init(L);
  lk_multi_init(L);
  lk_time_init(L);
  lk_json_init(L);
  lk_hash_init(L);
  lk_rand_init(L);
  lk_bigint_init(L);

  /* require's own table (the registry's _LOADED on every Lua, whatever
   * became of the global package): ["linkup.core"] = core */
  lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "linkup.core");
  lua_pop(L, 2);

  /* return require("linkup.public") */
  lua_getglobal(L, "require");
  lua_pushliteral(L, "linkup.public");
  lua_call(L, 1, 1);
  return 1;
}
