#!/bin/sh
# make demo: start the bundled fake LinkupAPI on 127.0.0.1 and run the
# examples against it with the module just built.
set -e
cd "$(dirname "$0")/.."
LUA=${LUA:-lua5.4}
portfile=$(mktemp -u /tmp/linkup-demo.XXXXXX)
python3 spec/fake/linkupapi.py --port-file "$portfile" --max-lifetime 300 >/dev/null 2>&1 &
pid=$!
work=$(mktemp -d /tmp/linkup-demo.XXXXXX)
trap 'kill $pid 2>/dev/null || true; rm -f "$portfile"; rm -rf "$work"' EXIT INT TERM
i=0
while [ ! -s "$portfile" ]; do
  i=$((i + 1)); [ $i -lt 200 ] || { echo "demo: the fake LinkupAPI did not start"; exit 1; }
  sleep 0.05
done
port=$(cat "$portfile")
echo "== fake LinkupAPI on http://127.0.0.1:$port (pid $pid)"
export LINKUP_BASE_URL="http://127.0.0.1:$port" LINKUP_API_KEY="test-demo-key"
export LUA_PATH="$PWD/lua/?.lua;;" LUA_CPATH="$PWD/build/5.4/?.so;;"
echo "== examples/list_connections.lua"
$LUA examples/list_connections.lua 12
export LINKUP_ACCOUNT_ID="acc-demo"
echo
echo "== bin/linkup connections --limit 8 --format table"
$LUA bin/linkup connections --limit 8 --format table --fields name,job_title,profile_url
echo
echo "== bin/linkup recommendations --limit 3 --format csv"
$LUA bin/linkup recommendations --limit 3 --format csv --fields name,insight
echo
echo "== bin/linkup connections --format jsonl | wc -l   (every connection, streamed)"
$LUA bin/linkup connections --page-size 500 --concurrency 2 | wc -l
echo
echo "== a failed export says how to resume; the printed command finishes the file"
# `linkup` on PATH, as installed; the fake fails the third request once
mkdir "$work/bin"
printf '#!/bin/sh\nexec %s %s/bin/linkup "$@"\n' "$LUA" "$PWD" > "$work/bin/linkup"
chmod +x "$work/bin/linkup"
curl -sS -X POST "$LINKUP_BASE_URL/_fault" -H 'Content-Type: application/json' \
  --data '{"path": "/v2/network", "kind": "v2_error", "status": 500, "code": "INTERNAL_ERROR",
  "message": "upstream failed", "skip": 2}' >/dev/null
PATH="$work/bin:$PATH" linkup connections --page-size 100 --retries 0 --format csv -o "$work/my connections.csv" \
  2>"$work/err" || echo "(exit $?)"
cat "$work/err"
PATH="$work/bin:$PATH" sh -c "$(sed -n 's/^linkup: .* resume with: //p' "$work/err")"
echo "done: $(python3 -c 'import csv,sys; print(len(list(csv.reader(open(sys.argv[1], newline="")))) - 1)' \
  "$work/my connections.csv") connections in \"my connections.csv\""
