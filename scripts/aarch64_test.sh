#!/usr/bin/env bash
# The AArch64 tests under qemu-user (scripts/test.sh runs this in CI):
#   1. unit tests, --config=aarch64 with --run_under qemu: the backend's
#      (run_test; lower_simd_test: every IR vector row against the
#      interpreter) and the engine / runtime tests that run generated code
#      and the runtime on the target (traps and signals, fibers and async,
#      epoch interruption from another thread, limits, linker, tail calls,
#      shared memories and atomics); the list and what is left out (x86-only
#      tests, qemu-slow stress and pooling tests) is at `unit_tests` below;
#   2. the spec suite through the cross-built kiln: core files plus the
#      multi-memory, relaxed-simd, memory64, threads, tail-call and
#      extended-const proposals, in two parallel qemu shards;
#   3. a .cwasm cross-compiled on x86-64 (`kiln compile --target=aarch64 -o`)
#      runs on the AArch64 build, and each ISA refuses the other's artifact;
#   4. the WASI C programs (tests/wasi, tests/wasi/wasi_e2e_test.sh) and the
#      program suite at its CI size (scripts/bench-programs.sh --size small)
#      under the AArch64 kiln: output and exit status equal to native;
#   5. the differential fuzzer (fuzz/README.md) with the AArch64
#      kiln_diff_runner under qemu: a fixed seed set, every configuration
#      (epoch-callback's ticker thread included), against wabt's interpreter.
# Each binary is built once; kiln then runs with PREBUILT_KILN_AARCH64=1.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
scripts/setup-aarch64.sh
suite=$(scripts/testsuite_dir.sh)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kiln-aarch64-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
t0=$SECONDS
stage() { echo "aarch64_test: $1 ($((SECONDS - t0)) s)" >&2; }

# Every cc_test of engine/, runtime/ and tests/ that builds for AArch64 and
# passes under qemu-user. Left out: x86-64-only tests (runtime/code:
# code_memory_test, runtime/traps: traps_test and host_handler_chain_test,
# tests/smoke:deps_test: hand-written x86 code or asmjit/Zydis x86),
# //tests/filetests:filetests (x86 filetest kinds), the TSan build's
# threads_tsan_test; tests/concurrency:stress_test (two minutes under
# qemu; the x86-64 run and ThreadSanitizer cover it); and tests whose
# pooling / copy-on-write cases take minutes under qemu
# (its user-mode page tracking makes every multi-GB reservation slow):
# tests/pool, tests/cow, runtime/pool, tests/linker:threads_test,
# tests/cwasm:spec_round_trip_test (the whole spec suite, which stage 2
# runs through kiln).
unit_tests=(
  //codegen/isa/aarch64:all
  //engine:engine_unit_test //engine:shared_ref_test
  //runtime/abi:trap_code_test //runtime/abi:vm_offsets_test
  //runtime/code:code_registry_test
  //runtime/fiber:fiber_test //runtime/fiber:fiber_boost_switch_test
  //runtime/memory:linear_memory_test //runtime/memory:memory_image_test
  //runtime/memory:parking_lot_test
  //runtime/traps:entry_trampolines_test
  //runtime/vm:instance_test //runtime/vm:table_test
  //tests/async:async_test //tests/async:waker_race_test
  //tests/cwasm:cwasm_test
  //tests/engine:engine_test //tests/engine:host_signal_handler_test
  //tests/engine:simd_test //tests/engine:relaxed_simd_test
  //tests/interrupt:interrupt_test
  //tests/limits:limits_test //tests/limits:memory64_test
  //tests/limits:resource_limiter_test
  //tests/linker:linker_test //tests/linker:linker_checks_test
  //tests/store_safety:store_safety_test
  //tests/tailcall:tail_call_test
  //tests/threads:shared_memory_test
)
bazel test --config=aarch64 --nocache_test_results "${unit_tests[@]}"
stage "unit tests"
bazel build --config=aarch64 //cli:kiln //fuzz/diff:kiln_diff_runner
# x86-64: the cross-compiling kiln, the WASI programs (wasm and native) and
# the differential fuzzer's wabt oracle.
bazel build //cli:kiln //tests/wasi:all //fuzz/diff:wabt_oracle
export PREBUILT_KILN_AARCH64=1
a64=$root/scripts/kiln-aarch64
x64=$root/bazel-bin/cli/kiln
stage "built"

# Spec suite: the files dealt largest first to the smaller shard, so the two
# qemu processes take about as long.
core=() relaxed=()
mapfile -t core < <(ls -S "$suite"/*.wast)
for f in "$suite"/proposals/relaxed-simd/*.wast; do
  # wabt cannot parse the dropped bf16 dot product: the converted copy.
  [[ $(basename "$f") == relaxed_dot_product.wast ]] && f=tests/spec/relaxed_dot_product.wast
  relaxed+=("$f")
done
shard=([0]="" [1]="")
size=(0 0)
for f in "${core[@]}"; do
  k=0
  ((size[1] < size[0])) && k=1
  shard[k]+="$f"$'\n'
  size[k]=$((size[k] + $(stat -c %s "$f")))
done
mapfile -t s0 <<<"${shard[0]%$'\n'}"
mapfile -t s1 <<<"${shard[1]%$'\n'}"
# A proposal's files with tests/spec's copies in place of the suite's
# (NAME=COPY as tests/spec/BUILD.bazel's `replaced`) and its extra scripts.
proposal() {  # proposal NAME [NAME.wast=COPY ...] [+EXTRA ...]
  local name=$1 f base r
  shift
  for f in "$suite/proposals/$name"/*.wast; do
    base=$(basename "$f")
    for r in "$@"; do
      [[ $r == "$base="* ]] && f=tests/spec/${r#*=}
    done
    echo "$f"
  done
  for r in "$@"; do
    [[ $r == +* ]] && echo "tests/spec/${r#+}"
  done
  return 0
}
mapfile -t mem64 < <(proposal memory64 address.wast=memory64/address.wast \
  memory.wast=memory64/memory.wast +memory64/bulk.wast)
mapfile -t threads < <(proposal threads imports.wast=threads_imports.wast)
# Each run's output in its own file; its last line is the totals. The
# proposals (sizes: relaxed-simd 20 KB, memory64 234 KB; multi-memory
# 154 KB, threads 74 KB, tail-call + extended-const 65 KB) keep the shards
# even. The threads suite needs no second thread (no `thread` / `wait`
# commands: memory.atomic.wait only times out or traps there).
runs0=(core0 relaxed memory64) runs1=(core1 multi-memory threads tail-call extended-const)
# qemu-user 7.2's own heap (host side, not the guest's memory) grows with
# every new guest mapping and never shrinks (each instance's memory
# reservation is one): one kiln process over a whole core shard passed
# 8 GB and was OOM-killed on a busy machine (main's kiln too). Up to 10
# files per process keep each under about 2.5 GB.
wast_chunks() {  # wast_chunks OUT FILE...: appends each chunk's output
  local out=$1 n
  shift
  : >"$out"
  while (($# > 0)); do
    n=$(($# < 10 ? $# : 10))
    "$a64" wast "${@:1:n}" >>"$out" 2>&1 || return 1
    shift "$n"
  done
}
(wast_chunks "$tmp/core0" "${s0[@]}" &&
   "$a64" wast --features=relaxed-simd "${relaxed[@]}" >"$tmp/relaxed" 2>&1 &&
   "$a64" wast --features=memory64 "${mem64[@]}" >"$tmp/memory64" 2>&1) &
p0=$!
(wast_chunks "$tmp/core1" "${s1[@]}" &&
   "$a64" wast --features=multi-memory "$suite"/proposals/multi-memory/*.wast \
     >"$tmp/multi-memory" 2>&1 &&
   "$a64" wast --features=threads "${threads[@]}" >"$tmp/threads" 2>&1 &&
   "$a64" wast --features=tail-call "$suite"/proposals/tail-call/*.wast \
     >"$tmp/tail-call" 2>&1 &&
   "$a64" wast --features=extended-const "$suite"/proposals/extended-const/*.wast \
     >"$tmp/extended-const" 2>&1) &
p1=$!
rc=0
wait $p0 || rc=1
wait $p1 || rc=1
for f in "${runs0[@]}" "${runs1[@]}"; do touch "$tmp/$f"; done
if ((rc != 0)); then
  for f in "${runs0[@]}" "${runs1[@]}"; do
    grep -h -v ': [0-9]* passed, 0 failed, 0 skipped$' "$tmp/$f" | tail -n 40 >&2
  done
  echo "aarch64_test: spec suite FAILED" >&2
  exit 1
fi
# The core totals over both shards (every chunk's totals line): the
# issue's "53899 passed, 0 failed, 0 skipped".
grep -hE '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$tmp/core0" "$tmp/core1" |
  awk '{p += $1; f += $3; s += $5}
       END {printf "aarch64 spec suite, core: %d passed, %d failed, %d skipped\n", p, f, s}' >&2
for f in relaxed multi-memory memory64 threads tail-call extended-const; do
  echo "aarch64 spec suite, $f: $(tail -n 1 "$tmp/$f")" >&2
done
stage "spec suite"

# Cross-compiled artifact: compiled on x86-64, run on AArch64; the other ISA
# refuses each with a message naming both.
cat >"$tmp/fac.wat" <<'WAT'
(module
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1))))))))
WAT
"$x64" compile --target=aarch64 "$tmp/fac.wat" -o "$tmp/fac.a64.cwasm"
"$x64" compile "$tmp/fac.wat" -o "$tmp/fac.x64.cwasm"
expect() {  # expect WHAT WANT GOT
  if [[ $3 != *"$2"* ]]; then
    echo "aarch64_test: $1: expected \"$2\", got: $3" >&2
    exit 1
  fi
}
expect "aarch64 run of the cross-compiled .cwasm" 2432902008176640000 \
  "$("$a64" run --invoke fac "$tmp/fac.a64.cwasm" 20 2>&1)"
expect "x86-64 run of an aarch64 .cwasm" "it was compiled for aarch64, this host is x86-64" \
  "$("$x64" run --invoke fac "$tmp/fac.a64.cwasm" 20 2>&1 || true)"
expect "aarch64 run of an x86-64 .cwasm" "it was compiled for x86-64, this host is aarch64" \
  "$("$a64" run --invoke fac "$tmp/fac.x64.cwasm" 20 2>&1 || true)"
expect "x86-64 objdump of an aarch64 .cwasm" "stp x29, x30, [sp, #-0x10]!" \
  "$("$x64" objdump -d "$tmp/fac.a64.cwasm" 2>&1)"
stage "cross-compiled .cwasm"

# WASI programs: tests/wasi's e2e script with the AArch64 kiln (programs
# from the x86-64 build's runfiles: the wasm is the same, the native
# reference runs on the host).
# kiln under qemu takes ~1 s to start: poll_stdin's pipe gets its data later.
mkdir -p "$tmp/wasi"
TEST_SRCDIR=$root/bazel-bin/tests/wasi/wasi_e2e_test.runfiles TEST_WORKSPACE=kiln \
  TEST_TMPDIR=$tmp/wasi POLL_DELAY=3 tests/wasi/wasi_e2e_test.sh "$a64" </dev/null
stage "WASI programs"
scripts/bench-programs.sh --size small --runs 1 --no-timing --runners native,kiln \
  --kiln "$a64"
stage "program suite"

# Differential: seeds 1..24 (~3.3 s of CPU each under qemu: ten
# configurations, pooling the dearest), each module in every configuration
# against wabt's interpreter; --strict: a skipped case fails. A mismatch's
# module is kept in $KILN_DIFF_ARTIFACTS. Longer runs: fuzz/README.md,
# "AArch64".
scripts/diff-bin-aarch64 "$tmp/diff"
python3 fuzz/diff/difftool.py seeds 1 24 --strict --oracles=wabt \
  --kiln="$tmp/diff/kiln_diff_runner" --workers=2 --batch=12 --timeout=300 \
  --artifacts="${KILN_DIFF_ARTIFACTS:-/tmp/kiln-diff-artifacts}" |
  tee "$tmp/diff.log"
grep -qx '24 cases, 0 mismatches' "$tmp/diff.log"
stage "differential"
