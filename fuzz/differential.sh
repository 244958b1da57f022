#!/usr/bin/env bash
# The name issue 14 asks for: fuzz/differential.sh SECONDS [--oracle=binaryen|v8-liftoff|v8-turbofan]
exec "$(dirname "$0")/run_diff.sh" "$@"
