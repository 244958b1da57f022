#!/bin/sh
# Runs wasm/spec_check.py over the spec suite ($KILN_TESTSUITE, default
# /work/shared/testsuite). Skips (passes) when the suite or wast2json is
# missing.
set -eu
decode="$1"
suite="${KILN_TESTSUITE:-/work/shared/testsuite}"
if [ ! -d "$suite" ] || ! command -v wast2json >/dev/null 2>&1 ||
   ! command -v python3 >/dev/null 2>&1; then
  echo "SKIP: spec suite, wast2json or python3 not available"
  exit 0
fi
work="${TEST_TMPDIR:-$(mktemp -d)}/spec"
mkdir -p "$work"
exec python3 "$(dirname "$0")/spec_check.py" "$decode" "$suite" "$work" -v
