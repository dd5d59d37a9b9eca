/* linkup.c: the module's entry point.
 *
 * `require "linkup"` loads this library. luaopen_linkup builds the C core
 * (HTTP on libcurl in lkhttp.c, JSON in lkjson.c), then hands it to the Lua
 * driver, `linkup.client`, which adds the policy: options, requests, errors,
 * retries and iterators. The driver is Lua so that every frame between a
 * user's call and a transport that yields (OpenResty cosockets, a coroutine)
 * is a Lua frame.
 */
#include <curl/curl.h>

#include "linkup.h"

/* luaopen_linkup: the only exported symbol. */
LINKUP_EXPORT int luaopen_linkup(lua_State *L) {
  /* Once per process. Never paired with curl_global_cleanup: other code in
   * the process (another state, another library) may still use libcurl. */
  static int curl_ready = 0;
  if (!curl_ready) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return luaL_error(L, "linkup: curl_global_init failed");
    curl_ready = 1;
  }

  lua_newtable(L); /* the core */
  lua_pushliteral(L, "linkup " LINKUP_VERSION);
  lua_setfield(L, -2, "_VERSION");
  lk_http_init(L);
  lk_json_init(L);

  /* return require("linkup.client")(core) */
  lua_getglobal(L, "require");
  lua_pushliteral(L, "linkup.client");
  lua_call(L, 1, 1);
  lua_insert(L, -2);
  lua_call(L, 1, 1);
  return 1;
}
