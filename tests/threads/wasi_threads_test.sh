#!/usr/bin/env bash
# wasi-threads end to end with `kiln run`: wasi_threads.wat spawns 4
# threads that add atomically and notify while _start waits (run 20 times:
# a lost wake-up would hang, and the test's timeout catches it);
# wasi_threads_exit.wat ends the process from a thread with proc_exit(7).
set -euo pipefail
kiln="$1"
dir="$(dirname "$2")"
for i in $(seq 20); do
  out=$("$kiln" run "$dir/wasi_threads.wat")
  if [[ "$out" != "ok 4000" ]]; then
    echo "run $i: expected 'ok 4000', got '$out'" >&2
    exit 1
  fi
done
status=0
"$kiln" run "$dir/wasi_threads_exit.wat" || status=$?
if [[ $status -ne 7 ]]; then
  echo "wasi_threads_exit.wat: expected exit status 7, got $status" >&2
  exit 1
fi
echo "wasi-threads: OK"
