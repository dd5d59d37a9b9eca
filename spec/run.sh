#!/bin/sh
# Runs every spec suite and ends with one line: `N passed, N failed`.
# Exits non-zero when anything failed (a spec, a build, a sanitizer report).
#
#   sh spec/run.sh            all suites
#   SUITES="lua5.4" sh spec/run.sh      only some (lua5.4 asan luajit)
set -u
cd "$(dirname "$0")/.." || exit 2
SUITES=${SUITES:-"lua5.4 asan luajit"}
MAKE=${MAKE:-make}
pass=0
fail=0
log=$(mktemp -d /tmp/linkup-test.XXXXXX)

# run_suite NAME LUA CPATH [VAR=value ...]: busted under LUA with CPATH.
run_suite() {
  name=$1 lua=$2 cpath=$3
  shift 3
  sum="$log/$name.sum"
  echo "== suite $name"
  env LINKUP_SUMMARY="$sum" LINKUP_SUITE="$name" LINKUP_LUA="$lua" "$@" \
    "$lua" /usr/bin/busted --cpath="$cpath" $BUSTED_ARGS 2>"$log/$name.err"
  rc=$?
  # Sanitizer reports go to stderr: show them, and count them as failures.
  if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$log/$name.err"; then
    cat "$log/$name.err"
    echo "== suite $name: sanitizer report above"
    fail=$((fail + 1))
  else
    tail -n 20 "$log/$name.err" | grep -v '^$' || true
  fi
  if [ -s "$sum" ]; then
    read -r p f < "$sum"
    pass=$((pass + p))
    fail=$((fail + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then fail=$((fail + 1)); echo "== suite $name exited $rc"; fi
  else
    echo "== suite $name did not finish (exit $rc)"
    fail=$((fail + 1))
  fi
}

build() { # build VARIANT MAKE-ARGS...: a failed build is a failed test
  if ! $MAKE -s "$@" >"$log/build-$1.log" 2>&1; then
    cat "$log/build-$1.log"
    echo "== build failed: $*"
    fail=$((fail + 1))
    return 1
  fi
}

BUSTED_ARGS=${BUSTED_ARGS:-}
for s in $SUITES; do
  case $s in
    lua5.4)
      build all && build check-symbols && \
        run_suite lua5.4 lua5.4 "build/5.4/?.so"
      ;;
    asan)
      # The C under AddressSanitizer + UBSan: any overrun, leak or undefined
      # behaviour in the module fails the run. lua5.4 is not instrumented,
      # so the runtimes are preloaded; child processes get a clean env.
      asan_flags="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined"
      if build all BUILD=build/5.4-asan CFLAGS="$asan_flags" LDFLAGS="-fsanitize=address,undefined"; then
        pre="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
        run_suite asan lua5.4 "build/5.4-asan/?.so" \
          LD_PRELOAD="$pre" \
          ASAN_OPTIONS="detect_leaks=1:fast_unwind_on_malloc=0:suppressions=$PWD/spec/asan.supp" \
          LSAN_OPTIONS="suppressions=$PWD/spec/lsan.supp:print_suppressions=0" \
          UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
      fi
      ;;
    luajit)
      build all LUA_VERSION=jit && run_suite luajit luajit "build/jit/?.so"
      ;;
    *) echo "unknown suite $s"; fail=$((fail + 1)) ;;
  esac
done

rm -rf "$log"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
