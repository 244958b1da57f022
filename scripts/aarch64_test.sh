#!/usr/bin/env bash
# The AArch64 tests under qemu-user: the backend's unit tests (run_test,
# lower_simd_test: every IR vector row against the interpreter) and the
# spec suite through the cross-built kiln, core files plus the proposals
# the AArch64 backend covers. Not part of scripts/test.sh (the spec run
# alone takes ~10 minutes of wall time under qemu on the 2-core machine).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-aarch64.sh
suite=$(scripts/testsuite_dir.sh)
bazel test --config=aarch64 //codegen/isa/aarch64:all
scripts/kiln-aarch64 wast "$suite"/*.wast
scripts/kiln-aarch64 wast --features=multi-memory "$suite"/proposals/multi-memory/*.wast
relaxed=()
for f in "$suite"/proposals/relaxed-simd/*.wast; do
  # wabt cannot parse the dropped bf16 dot product: the converted copy.
  [[ $(basename "$f") == relaxed_dot_product.wast ]] && f=tests/spec/relaxed_dot_product.wast
  relaxed+=("$f")
done
scripts/kiln-aarch64 wast --features=relaxed-simd "${relaxed[@]}"
