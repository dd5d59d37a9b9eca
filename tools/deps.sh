#!/bin/sh
# Installs the Debian packages linkup's build, specs and demo need, if any
# is missing; does nothing (and needs no network) when all are present.
# Extra packages may be named in $LINKUP_EXTRA_PKGS.
set -e
# lua5.1-5.3 and their headers: the suites lua5.1, lua5.2, lua5.3 (Debian's
# lua-cjson and lua-busted serve every version). libtsan2: gcc's
# ThreadSanitizer, for the spec that loads linkup from two threads.
PKGS="make gcc clang valgrind pkg-config python3 curl openssl util-linux lua5.4 liblua5.4-dev libcurl4-openssl-dev lua-cjson lua-busted lua-check lua-argparse luarocks \
  lua-sql-sqlite3 sqlite3 lua-socket redis-server \
  luajit2 libluajit2-5.1-dev nginx libnginx-mod-http-lua \
  lua5.1 liblua5.1-0-dev lua5.2 liblua5.2-dev lua5.3 liblua5.3-dev libtsan2 ${LINKUP_EXTRA_PKGS:-}"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $missing
