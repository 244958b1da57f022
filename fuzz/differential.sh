#!/usr/bin/env bash
# The name issue 14 asks for: fuzz/differential.sh SECONDS [--oracle=binaryen|v8|v8-liftoff|v8-turbofan|wabt] [-j JOBS]
exec "$(dirname "$0")/run_diff.sh" "$@"
