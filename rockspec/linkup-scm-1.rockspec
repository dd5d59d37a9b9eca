rockspec_format = "3.0"
package = "linkup"
version = "scm-1"
source = {
  url = "git+https://github.com/linkup-lua/linkup.git",
}
description = {
  summary = "Lua client for LinkupAPI's LinkedIn network endpoints: connections, invitations, invites, accounts",
  detailed = [[
linkup calls LinkupAPI's v1 and v2 network endpoints over libcurl, decodes
JSON in C with lua-cjson, and gives plain Lua tables, lazy iterators over
every page, structured errors and retries. Tested on Lua 5.1, 5.2, 5.3, 5.4,
LuaJIT 2.1 and OpenResty (nginx with lua-nginx-module), on Linux with
libcurl 7.88. A transport function that yields needs Lua 5.2+ or LuaJIT
(PUC Lua 5.1 cannot yield across pcall).
]],
  license = "MIT",
  labels = { "http", "api", "linkedin", "libcurl" },
}
dependencies = {
  "lua >= 5.1",
  "lua-cjson >= 2.1.0",
  "argparse >= 0.7",   -- the linkup command's parser
}
-- On Debian curl/curl.h sits in the multiarch include directory, which
-- LuaRocks 3.8 does not search for headers; the compiler finds it by itself,
-- so only the library is declared.
external_dependencies = {
  CURL = { library = "curl" },
}
build = {
  type = "builtin",
  modules = {
    linkup = {
      sources = { "csrc/linkup.c", "csrc/lkeasy.c", "csrc/lkmulti.c", "csrc/lktime.c", "csrc/lkjson.c",
                  "csrc/lkbigint.c", "csrc/lkhash.c", "csrc/lkrand.c" },
      libraries = { "curl", "pthread" },  -- pthread_once (csrc/linkup.c)
      incdirs = { "$(CURL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)" },
    },
    ["linkup.public"] = "lua/linkup/public.lua",
    ["linkup.client"] = "lua/linkup/client.lua",
    ["linkup.check"] = "lua/linkup/check.lua",
    ["linkup.private"] = "lua/linkup/private.lua",
    ["linkup.protocol"] = "lua/linkup/protocol.lua",
    ["linkup.credits"] = "lua/linkup/credits.lua",
    ["linkup.engine"] = "lua/linkup/engine.lua",
    ["linkup.ratelimit"] = "lua/linkup/ratelimit.lua",
    ["linkup.curl"] = "lua/linkup/curl.lua",
    ["linkup.walk"] = "lua/linkup/walk.lua",
    ["linkup.error"] = "lua/linkup/error.lua",
    ["linkup.ngx"] = "lua/linkup/ngx.lua",
    -- the local store (linkup.store) needs LuaSQL's SQLite driver, which is
    -- not a dependency: only scripts that use the store load it (Debian:
    -- lua-sql-sqlite3; LuaRocks: luasql-sqlite3)
    ["linkup.store"] = "lua/linkup/store.lua",
    ["linkup.store_error"] = "lua/linkup/store_error.lua",
    ["linkup.schema"] = "lua/linkup/schema.lua",
    ["linkup.items"] = "lua/linkup/items.lua",
    ["linkup.sync"] = "lua/linkup/sync.lua",
    ["linkup.changes"] = "lua/linkup/changes.lua",
    ["linkup.invites"] = "lua/linkup/invites.lua",
    -- the command (bin/linkup)
    ["linkup.cli.accept"] = "lua/linkup/cli/accept.lua",
    ["linkup.cli.actions"] = "lua/linkup/cli/actions.lua",
    ["linkup.cli.age"] = "lua/linkup/cli/age.lua",
    ["linkup.cli.changes"] = "lua/linkup/cli/changes.lua",
    ["linkup.cli.check"] = "lua/linkup/cli/check.lua",
    ["linkup.cli.log"] = "lua/linkup/cli/log.lua",
    ["linkup.cli.client"] = "lua/linkup/cli/client.lua",
    ["linkup.cli.commands"] = "lua/linkup/cli/commands.lua",
    ["linkup.cli.completion"] = "lua/linkup/cli/completion.lua",
    ["linkup.cli.db"] = "lua/linkup/cli/db.lua",
    ["linkup.cli.errors"] = "lua/linkup/cli/errors.lua",
    ["linkup.cli.export"] = "lua/linkup/cli/export.lua",
    ["linkup.cli.fields"] = "lua/linkup/cli/fields.lua",
    ["linkup.cli.invite"] = "lua/linkup/cli/invite.lua",
    ["linkup.cli.main"] = "lua/linkup/cli/main.lua",
    ["linkup.cli.options"] = "lua/linkup/cli/options.lua",
    ["linkup.cli.output"] = "lua/linkup/cli/output.lua",
    ["linkup.cli.progress"] = "lua/linkup/cli/progress.lua",
    ["linkup.cli.resume"] = "lua/linkup/cli/resume.lua",
    ["linkup.cli.sink"] = "lua/linkup/cli/sink.lua",
    ["linkup.cli.sync"] = "lua/linkup/cli/sync.lua",
    ["linkup.cli.targets"] = "lua/linkup/cli/targets.lua",
    ["linkup.cli.visible"] = "lua/linkup/cli/visible.lua",
    ["linkup.cli.width"] = "lua/linkup/cli/width.lua",
    ["linkup.cli.width_tables"] = "lua/linkup/cli/width_tables.lua",
    ["linkup.cli.withdraw"] = "lua/linkup/cli/withdraw.lua",
  },
  install = {
    bin = { linkup = "bin/linkup" },
  },
  -- the interface reference, and types for lua-language-server (point its
  -- workspace.library at the rock's types directory)
  copy_directories = { "docs", "types" },
}
