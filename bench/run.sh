#!/bin/sh
# make bench: benchmarks that print figures (never timed assertions), in one
# table. Client CPU is the client process's own CPU time (os.clock/clock),
# best of 3 runs; the servers run in their own processes.
set -e
cd "$(dirname "$0")/.."
ROOT=$PWD
export LUA_PATH="$ROOT/lua/?.lua;;" LUA_CPATH="$ROOT/build/5.4/?.so;;"
PAGES=${PAGES:-100} SIZE=${SIZE:-1000}
tmp=$(mktemp -d /tmp/linkup-bench.XXXXXX)
pids=""
trap 'kill $pids 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM

serve() { # serve NAME ARGS...: start a fake API, set $url
  name=$1; shift
  python3 spec/fake/linkupapi.py --port-file "$tmp/$name.port" --quiet-log --max-lifetime 1800 "$@" >/dev/null 2>&1 &
  pids="$pids $!"
  while [ ! -s "$tmp/$name.port" ]; do sleep 0.05; done
  url="http://127.0.0.1:$(cat "$tmp/$name.port")"
}
best() { # best CMD...: the lowest CPU seconds of 3 runs (prints "items seconds")
  for i in 1 2 3; do "$@"; done | sort -t "$(printf '\t')" -k2 -g | head -n 1
}
stat() { curl -s "$1/_stats" | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }

gcc -O2 -o build/cpu_floor bench/cpu_floor.c -I/usr/include/lua5.4 -llua5.4 $(pkg-config --libs libcurl)

echo "## linkup benchmarks ($(date -u +%Y-%m-%d), $(nproc) cores, libcurl $(curl-config --version | cut -d' ' -f2))"
echo
echo "### Client CPU per 1,000 items fetched and decoded ($PAGES pages of $SIZE, fixed-page server, no gzip)"
echo
echo "| client | ms CPU / 1,000 items | x C floor |"
echo "| --- | ---: | ---: |"
serve fixed --fixed-page "$SIZE" --no-gzip
fixed=$url
floor=$(best build/cpu_floor "$fixed" "$PAGES" "$SIZE" | cut -f2)
row() { # row LABEL SECONDS
  awk -v l="$1" -v s="$2" -v f="$floor" -v n="$((PAGES * SIZE))" \
    'BEGIN { printf "| %s | %.3f | %.2f |\n", l, s * 1e6 / n, s / f }'
}
row "C floor: libcurl loop + lua-cjson decode" "$floor"
row "linkup (Lua 5.4)" "$(best lua5.4 bench/cpu_linkup.lua "$fixed" "$PAGES" "$SIZE" | cut -f2)"
make -s LUA_VERSION=jit >/dev/null
row "linkup (LuaJIT)" "$(best env LUA_CPATH="$ROOT/build/jit/?.so;;" luajit bench/cpu_linkup.lua "$fixed" "$PAGES" "$SIZE" | cut -f2)"
row "luasocket + lua-cjson (Lua 5.4)" "$(best lua5.4 bench/cpu_luasocket.lua "$fixed" "$PAGES" "$SIZE" | cut -f2)"
row "lua-curl 0.3 + lua-cjson (LuaJIT)" "$(best env -u LUA_PATH -u LUA_CPATH luajit bench/cpu_luacurl.lua "$fixed" "$PAGES" "$SIZE" | cut -f2)"

echo
echo "### Wall time for 16 pages of 100 with 100 ms of server latency"
echo
echo "| what | seconds |"
echo "| --- | ---: |"
serve slow --latency 0.1
lua5.4 bench/wall.lua "$url" | awk -F '\t' '{ printf "| %s | %.3f |\n", $1, $2 }'

echo
echo "### Peak RSS of a whole walk (v2, pages of 1,000; one process each)"
echo
echo "| items | peak RSS KiB |"
echo "| ---: | ---: |"
serve plain
small=$(lua5.4 bench/walk_rss.lua "$url" 10000 | cut -f2)
large=$(lua5.4 bench/walk_rss.lua "$url" 200000 | cut -f2)
echo "| 10,000 | $small |"
echo "| 200,000 | $large |"
echo "| difference | $((large - small)) |"

echo
echo "### Bytes received for 10,000 connections (pages of 1,000)"
echo
echo "| encoding | bytes |"
echo "| --- | ---: |"
curl -s -X POST "$url/_reset" >/dev/null
lua5.4 bench/bytes.lua "$url"
gz=$(stat "$url" bytes_sent)
serve nogzip --no-gzip
lua5.4 bench/bytes.lua "$url"
plain=$(stat "$url" bytes_sent)
echo "| gzip (linkup's default) | $gz |"
echo "| identity | $plain |"
awk -v a="$gz" -v b="$plain" 'BEGIN { printf "| ratio | %.2f |\n", a / b }'

echo
echo "### At the API's limits: a 10,000-item walk (100 pages), 150 ms latency, 20 requests/s"
echo
echo "Ideal: the larger of pages/k x latency and pages/rate. Credits: what the server charged;"
echo "price: the data's price (linkup.estimate_credits)."
echo
echo "| concurrency | client limiter | seconds | ideal | x ideal | 429s | credits | price |"
echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
serve limits --quiet-log
lua5.4 bench/limits.lua "$url" 0.15 20 1 | awk -F '\t' \
  '{ printf "| %d | %s | %.2f | %.2f | %.2f | %d | %s | %s |\n", $1, $2, $3, $4, $3 / $4, $5, $6, $7 }'

echo
echo "### A batch of 32 with uneven latencies (4 of 1 s among 28 of 100 ms), concurrency 8"
echo
echo "| engine | seconds | ideal (a perfect sliding window) | x ideal |"
echo "| --- | ---: | ---: | ---: |"
lua5.4 bench/window.lua "$url" | awk -F '\t' '{ printf "| %s | %.2f | %.2f | %.2f |\n", $1, $2, $3, $2 / $3 }'

echo
echo "### Short pages under concurrency: 5,000 items, every page of 100 one item short"
echo
echo "| concurrency | items | requests | credits | requests x concurrency 1 |"
echo "| ---: | ---: | ---: | ---: | ---: |"
serve short --quiet-log --lie '{"short_pages": {"drop": 1, "next": "shift"}}'
lua5.4 bench/short_pages.lua "$url" | awk -F '\t' \
  'NR == 1 { r1 = $3 } { printf "| %d | %d | %d | %s | %.2f |\n", $1, $2, $3, $4, $3 / r1 }'

echo
echo "### Big integers kept exact: core.decode of a page of 1,000 v1 invitations (CPU per item)"
echo
echo "| ids | µs per item |"
echo "| --- | ---: |"
for mode in small strings big; do
  lua5.4 bench/bigint.lua "$mode" 50 | sed -n 's/^\([a-z]*\) .*: \([0-9.]*\) us per item.*/| \1 | \2 |/p'
done

echo
lua5.4 bench/store_sync.lua 30000 1000
