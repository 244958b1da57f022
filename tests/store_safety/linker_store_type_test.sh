#!/usr/bin/env bash
# Negative-compilation test: linker_store_type_mismatch.cc must not compile
# (Linker<int> with Store<std::string>), and must compile once the store
# type matches, so the failure is the type check and nothing else.
set -euo pipefail
src=$(readlink -f "$1")
# Bazel runs tests with --spawn_strategy=local (.bazelrc): the runfile is a
# link into the source tree, whose root holds every header.
root=${src%/tests/store_safety/*}
cxx=${CXX:-g++}
flags=(-std=c++20 -fsyntax-only -I"$root")

if "$cxx" "${flags[@]}" -DKILN_MATCHING_STORE "$src" 2>"$TEST_TMPDIR/ok.log"; then
  echo "ok   matching store type compiles"
else
  cat "$TEST_TMPDIR/ok.log" >&2
  echo "FAIL the control (Linker<int> with Store<int>) does not compile"
  exit 1
fi

if "$cxx" "${flags[@]}" "$src" 2>"$TEST_TMPDIR/bad.log"; then
  echo "FAIL Linker<int> with Store<std::string> compiled"
  exit 1
fi
# Each of the six store-taking calls is rejected: a Store<std::string>
# does not convert to the Store<int>& every Linker<int> method takes.
calls=$(grep -cE "linker_store_type_mismatch.cc:[0-9]+:[0-9]+: error: .*Store<int>&" \
  "$TEST_TMPDIR/bad.log" || true)
if [[ "$calls" -lt 6 ]]; then
  cat "$TEST_TMPDIR/bad.log" >&2
  echo "FAIL expected 6 rejected calls, found $calls"
  exit 1
fi
echo "ok   Linker<int> with Store<std::string> is a compile error ($calls calls rejected)"
