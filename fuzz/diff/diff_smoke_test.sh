#!/usr/bin/env bash
# CI smoke of the differential fuzzer: the comparison's unit tests, a fixed
# set of seeds through Kiln (every configuration), binaryen's interpreter,
# V8 (Liftoff and TurboFan) and wabt's interpreter, and every reproducer in fuzz/regressions
# against its expected verdict.
#
# Args: kiln_diff_runner (wabt_oracle is beside it), difftool.py, MANIFEST
# (its directory holds the reproducers).
set -euo pipefail
runner=$1 difftool=$2 manifest=$3

# scripts/setup.sh installs all of these, so CI always runs the test; a
# developer machine without them gets a clear skip instead of a failure.
missing=()
for tool in wasm-opt node wat2wasm python3; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "SKIPPED: diff_smoke_test needs ${missing[*]} (apt-get install binaryen nodejs wabt, or scripts/setup.sh)"
  exit 0
fi

KILN_DIFF_RUNNER=$runner python3 "$(dirname "$difftool")/difftool_test.py"

export TMPDIR=${TEST_TMPDIR:-/tmp}
# Seeds 1..16: about 0.7 s each on an idle 2-core machine. --strict: a
# skipped case (harness or tool failure) fails the test.
python3 "$difftool" seeds 1 16 --strict --kiln="$runner" \
  --artifacts="${TEST_UNDECLARED_OUTPUTS_DIR:-$TMPDIR}/diff-artifacts" |
  tee "$TMPDIR/seeds.log"
grep -qx '16 cases, 0 mismatches' "$TMPDIR/seeds.log"

status=0
dir=$(dirname "$manifest")
while read -r file expected; do
  [[ -z "$file" || "$file" == \#* ]] && continue
  set +e
  out=$(python3 "$difftool" case --kiln="$runner" "$dir/$file")
  rc=$?
  set -e
  case "$rc:$out" in
    0:*) got=match ;;
    3:"skip kiln unsupported"*) got=unsupported ;;
    *) got="rc $rc" ;;
  esac
  if [[ "$got" != "$expected" ]]; then
    echo "FAIL: regression $file: expected $expected, got $got: $out"
    status=1
  else
    echo "ok: regression $file ($expected)"
  fi
done <"$manifest"
exit $status
