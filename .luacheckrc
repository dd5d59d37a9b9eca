-- luacheck: the Lua of linkup (run by `make test`, suite "lint").
std = "max"
max_line_length = 120
files["lua/linkup/ngx.lua"] = { globals = { "ngx" } }
files["spec"] = { std = "+busted", max_line_length = 200 }
files["examples/nginx.conf"] = { only = {} }
