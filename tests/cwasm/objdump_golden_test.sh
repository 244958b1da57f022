#!/usr/bin/env bash
# Golden test of `kiln objdump` on a small module (testdata/small.wat ->
# testdata/small.objdump). The golden file is never edited by hand:
#   BLESS=1 bazel run //tests/cwasm:objdump_golden_test
# rewrites it from the current output.
set -uo pipefail
kiln="$1"
# small.wasm is `wat2wasm --debug-names testdata/small.wat` (checked in so
# the name section is there; the cli reads .wat without names).
wat=tests/cwasm/testdata/small.wasm
golden=tests/cwasm/testdata/small.objdump
tmp="${TEST_TMPDIR:-}"
[[ -n "$tmp" && -d "$tmp" ]] || tmp=$(mktemp -d)
"$kiln" objdump "$wat" >"$tmp/actual" 2>&1 || { cat "$tmp/actual"; exit 1; }
if [[ -n "${BLESS:-}" && "${BLESS}" != 0 ]]; then
  if [[ -z "${BUILD_WORKSPACE_DIRECTORY:-}" ]]; then
    echo "BLESS needs the source tree: use bazel run, not bazel test"; exit 1
  fi
  cp "$tmp/actual" "$BUILD_WORKSPACE_DIRECTORY/$golden"
  echo "BLESSED $golden"
  exit 0
fi
if ! diff -u "$golden" "$tmp/actual"; then
  echo "FAIL: objdump output differs from $golden"
  echo "(if the change is intended: BLESS=1 bazel run //tests/cwasm:objdump_golden_test)"
  exit 1
fi
echo "ok   objdump golden"
