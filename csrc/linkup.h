/* linkup.h: what the C files of the linkup core share. */
#ifndef LINKUP_H
#define LINKUP_H

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

/* Each concept file adds its functions to the core table on top of the stack. */
LINKUP_HIDDEN void lk_http_init(lua_State *L);
LINKUP_HIDDEN void lk_json_init(lua_State *L);

#endif
