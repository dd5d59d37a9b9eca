/* compat.h: the few shims that let code written against the Lua 5.4 C API
 * build on Lua 5.1, LuaJIT 2.1 (what OpenResty runs), 5.2 and 5.3.
 *
 * On the 5.1 ABI the 5.2 auxiliary functions are our own static copies
 * under lk_compat_* names, for PUC 5.1 (which has none of them) and for
 * LuaJIT alike (whose 2.1 builds have some but not every fork does): a
 * module that names a symbol the interpreter lacks builds, then fails at
 * `require` with "undefined symbol". The specs load the module under every
 * interpreter, so a shim missing here is a failed suite, not a user's bug.
 */
#ifndef LINKUP_COMPAT_H
#define LINKUP_COMPAT_H

#include <lua.h>
#include <lauxlib.h>

#if LUA_VERSION_NUM < 502
#  define LUA_OK 0
#  define lua_rawlen(L, i) lua_objlen((L), (i))
#  define lua_absindex(L, i) \
     (((i) > 0 || (i) <= LUA_REGISTRYINDEX) ? (i) : lua_gettop(L) + (i) + 1)

/* luaL_setfuncs: registers l into the table on top of the stack, below
 * nup upvalues that every function shares (and that are popped). */
static inline void lk_compat_setfuncs(lua_State *L, const luaL_Reg *l, int nup) {
  int i;
  luaL_checkstack(L, nup + 1, "too many upvalues");
  for (; l->name != NULL; l++) {
    for (i = 0; i < nup; i++) lua_pushvalue(L, -nup);
    lua_pushcclosure(L, l->func, nup);
    lua_setfield(L, -(nup + 2), l->name);
  }
  lua_pop(L, nup);
}
#  define luaL_setfuncs(L, l, nup) lk_compat_setfuncs((L), (l), (nup))

/* luaL_setmetatable: the registry's metatable tname onto the top value. */
static inline void lk_compat_setmetatable(lua_State *L, const char *tname) {
  luaL_getmetatable(L, tname);
  lua_setmetatable(L, -2);
}
#  define luaL_setmetatable(L, tname) lk_compat_setmetatable((L), (tname))
#endif

#if LUA_VERSION_NUM < 503
/* No integer subtype before 5.3: every number is a double. */
#  define lua_isinteger(L, i) 0
#endif

#if LUA_VERSION_NUM < 504
#  define lua_newuserdatauv(L, sz, nuv) lua_newuserdata((L), (sz))
#endif

#endif
