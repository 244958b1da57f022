#!/usr/bin/env bash
# The textstats example under `kiln run` matches the native build.
set -euo pipefail
kiln="$(realpath "$1")"
wasm="$(realpath "$2")"
native="$(realpath "$3")"
cd "$(dirname "$(realpath "$0")")"  # examples/, with data/ beside
[[ -d data ]] || cd "${TEST_SRCDIR}/${TEST_WORKSPACE}/examples"
want=$("$native" -n 8 data)
got=$("$kiln" run --dir data::data "$wasm" -n 8 data)
if [[ "$want" != "$got" ]]; then
  echo "FAIL: kiln run output differs from native"
  diff <(echo "$want") <(echo "$got")
  exit 1
fi
echo "$got"
# A path outside the preopen is not reachable.
if "$kiln" run --dir data::data "$wasm" ../BUILD.bazel 2>/dev/null; then
  echo "FAIL: read outside the preopened directory"
  exit 1
fi
echo "ok"
