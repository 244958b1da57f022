#!/usr/bin/env bash
# `kiln run --fuel` and `--timeout`: a guest that runs out exits 134 with
# the trap on stderr; one that finishes in time prints its result; a .cwasm
# must be compiled with the matching checks.
set -euo pipefail

kiln="$1"
wat="$2"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fail() { echo "run_test: FAILED: $*" >&2; exit 1; }

# expect STATUS STDERR_SUBSTRING STDOUT -- ARGS...
expect() {
  local want_status="$1" want_err="$2" want_out="$3"
  shift 4
  local status=0
  "$kiln" run "$@" >"$tmp/out" 2>"$tmp/err" || status=$?
  [[ $status == "$want_status" ]] ||
    fail "kiln run $*: exit $status, want $want_status; stderr: $(cat "$tmp/err")"
  [[ -z "$want_err" ]] || grep -qF -- "$want_err" "$tmp/err" ||
    fail "kiln run $*: stderr lacks '$want_err': $(cat "$tmp/err")"
  [[ "$(cat "$tmp/out")" == "$want_out" ]] ||
    fail "kiln run $*: stdout '$(cat "$tmp/out")', want '$want_out'"
}

expect 134 "all fuel consumed by WebAssembly" "" -- --fuel=1000 --invoke spin "$wat"
expect 134 "all fuel consumed by WebAssembly" "" -- --fuel 100 --invoke count "$wat" 10
# 10 iterations: 10 * 12 + 3 + 1 = 124 units.
expect 0 "" "10" -- --fuel=124 --invoke count "$wat" 10
# Checks run at entries and loop headers: with 120 the last header check
# finds none left; with 121 the straight-line tail (4 units) may overdraw.
expect 134 "all fuel consumed by WebAssembly" "" -- --fuel=120 --invoke count "$wat" 10
expect 0 "" "10" -- --fuel=121 --invoke count "$wat" 10
expect 134 "wasm trap: interrupt" "" -- --timeout=200ms --invoke spin "$wat"
expect 0 "" "1000" -- --timeout=60s --invoke count "$wat" 1000
expect 2 "--fuel needs" "" -- --fuel=-1 --invoke spin "$wat"
expect 2 "--timeout needs" "" -- --timeout=soon --invoke spin "$wat"

# .cwasm: the checks are part of the compiled code.
"$kiln" compile "$wat" -o "$tmp/plain.cwasm"
"$kiln" compile --consume-fuel "$wat" -o "$tmp/fuel.cwasm"
"$kiln" compile --epoch-interruption "$wat" -o "$tmp/epoch.cwasm"
expect 1 "consume-fuel=on" "" -- --invoke count "$tmp/fuel.cwasm" 3
expect 1 "incompatible" "" -- --fuel=100 --invoke count "$tmp/plain.cwasm" 3
expect 134 "all fuel consumed" "" -- --fuel=100 --invoke spin "$tmp/fuel.cwasm"
expect 134 "wasm trap: interrupt" "" -- --timeout=100ms --invoke spin "$tmp/epoch.cwasm"
echo "run_test: OK"
