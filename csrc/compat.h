/* compat.h: the few shims that let code written against the Lua 5.4 C API
 * build on Lua 5.1 / LuaJIT 2.1 (what OpenResty runs) and 5.2/5.3.
 * LuaJIT 2.1 already has luaL_setfuncs, luaL_testudata, lua_tointegerx. */
#ifndef LINKUP_COMPAT_H
#define LINKUP_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM < 502
#  define LUA_OK 0
#  define lua_rawlen(L, i) lua_objlen((L), (i))
#  define lua_absindex(L, i) \
     (((i) > 0 || (i) <= LUA_REGISTRYINDEX) ? (i) : lua_gettop(L) + (i) + 1)
#endif

#if LUA_VERSION_NUM < 503
/* No integer subtype before 5.3: every number is a double. */
#  define lua_isinteger(L, i) 0
#endif

#if LUA_VERSION_NUM < 504
#  define lua_newuserdatauv(L, sz, nuv) lua_newuserdata((L), (sz))
#endif

#endif
