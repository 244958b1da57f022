#!/usr/bin/env bash
# Runs `kiln wast` over every .wast file of the WebAssembly 2.0 core spec
# suite (or of one proposal's directory, --subdir) and requires 0 failed and 0 skipped (every command runs; a module the
# engine reports as unimplemented would be a skip, and may not hide here). The suite is not in the repository: it is read
# from $KILN_TESTSUITE (pass it with `bazel test --test_env=KILN_TESTSUITE`),
# default /work/shared/testsuite.
set -euo pipefail

kiln="$1"
shift
# --subdir=DIR (optional, first): run $suite/DIR/*.wast instead, e.g. a
# proposal's suite (proposals/tail-call); `kiln wast` turns on the proposal
# named by the directory (--features=auto).
subdir=""
if [[ $# -gt 0 && "$1" == --subdir=* ]]; then
  subdir="${1#--subdir=}"
  shift
fi
# --replace=NAME.wast=PATH (optional, repeated, after --subdir): run PATH, a
# hand-converted copy in this repository, instead of the suite's NAME.wast
# (one wabt 1.0.32 cannot parse). Pass the proposal's --features then:
# `auto` knows a feature only from the suite's directory name.
declare -A replace=()
while [[ $# -gt 0 && "$1" == --replace=* ]]; do
  spec="${1#--replace=}"
  replace["${spec%%=*}"]="${spec#*=}"
  shift
done
# --extra=PATH (optional, repeated, after --replace): also run PATH, a
# script of our own in this repository (e.g. cases the proposal's suite
# lacks). Pass the proposal's --features then, as for --replace.
extra=()
while [[ $# -gt 0 && "$1" == --extra=* ]]; do
  extra+=("${1#--extra=}")
  shift
done
# Further arguments are `kiln wast` options (e.g. --pooling).
wast_flags=("$@")
suite="${KILN_TESTSUITE:-/work/shared/testsuite}"

shopt -s nullglob
files=("$suite/$subdir"/*.wast)
for i in "${!files[@]}"; do
  name="$(basename "${files[$i]}")"
  if [[ -n "${replace[$name]:-}" ]]; then
    files[$i]="${replace[$name]}"
    unset "replace[$name]"
  fi
done
files+=("${extra[@]}")
if [[ ${#replace[@]} -ne 0 ]]; then
  echo "spec_test: --replace names scripts not in the suite: ${!replace[*]}" >&2
  exit 1
fi
if [[ ${#files[@]} -eq 0 ]]; then
  echo "spec_test: no .wast files in '$suite'." >&2
  echo "spec_test: set KILN_TESTSUITE to the spec suite directory, e.g." >&2
  echo "  bazel test --test_env=KILN_TESTSUITE=/path/to/testsuite //tests/spec/..." >&2
  exit 1
fi
echo "spec_test: ${#files[@]} scripts from $suite"

status=0
output=$("$kiln" wast "${wast_flags[@]}" "${files[@]}") || status=$?
echo "$output"
last=$(tail -n 1 <<<"$output")
if [[ ! "$last" =~ ^[0-9]+\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
  echo "spec_test: kiln wast did not print its summary line (exit $status)" >&2
  exit 1
fi
if [[ "${BASH_REMATCH[1]}" != 0 || "${BASH_REMATCH[2]}" != 0 || $status -ne 0 ]]; then
  echo "spec_test: FAILED: $last (exit $status)" >&2
  exit 1
fi
echo "spec_test: OK: $last"
