#!/usr/bin/env bash
# `kiln run` of a memory64 module: the wasm64 WASI signatures are picked by
# the module's memory 0, pointers above 4 GiB work, proc_exit's code is
# the exit status (hello64.wat exits with argc).
set -euo pipefail
kiln="$1"
wat="$2"
status=0
out=$("$kiln" run "$wat" world) || status=$?
if [[ "$out" != "hello, wasm64 world" ]]; then
  echo "expected 'hello, wasm64 world', got '$out'" >&2
  exit 1
fi
if [[ $status -ne 2 ]]; then
  echo "expected exit status 2 (argc), got $status" >&2
  exit 1
fi
echo "wasm64 kiln run: OK"
