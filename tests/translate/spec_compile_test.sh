#!/usr/bin/env bash
# Compiles every module the spec suite expects to be valid, with the IR
# verifier on. A module may fail only with the SIMD "not supported" error.
set -uo pipefail
kiln="$1"
suite="${KILN_TESTSUITE:-/work/shared/testsuite}"
if [[ ! -d "$suite" ]] || ! command -v wast2json >/dev/null; then
  echo "SKIP: no test suite at $suite or no wast2json"; exit 0
fi
tmp="${TEST_TMPDIR:-$(mktemp -d)}/spec"
mkdir -p "$tmp"
for f in "$suite"/*.wast; do
  wast2json --enable-all "$f" -o "$tmp/$(basename "$f" .wast).json" >/dev/null 2>&1
done
# Modules of "module" commands (not assert_invalid / assert_malformed).
python3 - "$tmp" >"$tmp/valid.txt" <<'PY'
import json, glob, os, sys
d = sys.argv[1]
for j in sorted(glob.glob(os.path.join(d, "*.json"))):
    for c in json.load(open(j))["commands"]:
        if c["type"] == "module" and c.get("filename", "").endswith(".wasm"):
            print(os.path.join(d, c["filename"]))
PY
total=0; ok=0; simd=0; failures=0
while read -r m; do
  total=$((total + 1))
  out=$("$kiln" compile --emit=none --verify "$m" 2>&1)
  if [[ $? -eq 0 ]]; then ok=$((ok + 1));
  elif [[ "$out" == *"not supported (SIMD)"* ]]; then simd=$((simd + 1));
  else failures=$((failures + 1)); echo "FAIL $out"; fi
done <"$tmp/valid.txt"
echo "$total modules: $ok compiled, $simd SIMD (unsupported), $failures failed"
[[ $failures -eq 0 ]]
