#!/bin/sh
# make bench: benchmarks that print figures (never timed assertions).
set -e
cd "$(dirname "$0")/.."
LUA=${LUA:-lua5.4}
export LUA_PATH="$PWD/lua/?.lua;;" LUA_CPATH="$PWD/build/5.4/?.so;;"
portfile=$(mktemp -u /tmp/linkup-bench.XXXXXX)
python3 spec/fake/linkupapi.py --port-file "$portfile" --quiet-log --max-lifetime 1800 >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$portfile"' EXIT INT TERM
while [ ! -s "$portfile" ]; do sleep 0.05; done
base="http://127.0.0.1:$(cat "$portfile")"

echo "== memory: peak RSS of a whole walk (v2 connections, page_size 1000), one process each"
printf "items\tpeak_rss_kib\tcpu_s\tcredits\n"
small=$($LUA bench/walk_rss.lua "$base" 10000)
large=$($LUA bench/walk_rss.lua "$base" 200000)
echo "$small"
echo "$large"
a=$(echo "$small" | cut -f2) b=$(echo "$large" | cut -f2)
echo "difference: $((b - a)) KiB (target: under 5120 KiB)"
