#!/usr/bin/env bash
# End-to-end checks of the `kiln` command: help, validate, wast output format.
set -uo pipefail
kiln="$1"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0

check() {  # check NAME EXPECTED_EXIT EXPECTED_SUBSTRING -- COMMAND...
  local name=$1 want_exit=$2 want_text=$3
  shift 4
  local out exit_code=0
  out=$("$@" 2>&1) || exit_code=$?
  if [[ $exit_code -ne $want_exit ]]; then
    echo "FAIL $name: exit $exit_code, want $want_exit"; echo "$out"; failures=$((failures + 1))
  elif [[ "$out" != *"$want_text"* ]]; then
    echo "FAIL $name: output lacks '$want_text'"; echo "$out"; failures=$((failures + 1))
  else
    echo "ok   $name"
  fi
}

printf '(module (func (export "f") (result i32) i32.const 1))' >"$tmp/good.wat"
printf '(module (func (result i32) f32.const 1))' >"$tmp/bad.wat"
printf '(module (func (result i32) i32.const))' >"$tmp/malformed.wat"
printf '\0asm\1\0\0\0' >"$tmp/empty.wasm"
printf '\0asm\2\0\0\0' >"$tmp/version.wasm"
# Only commands whose verdict does not depend on an execution engine.
cat >"$tmp/script.wast" <<'WAST'
(assert_invalid (module (func (result i32) f32.const 0)) "type mismatch")
(assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
(assert_malformed (module quote "(func i32.const)") "unexpected token")
WAST
cat >"$tmp/wrong.wast" <<'WAST'
(assert_invalid (module (func (result i32) i32.const 0)) "type mismatch")
WAST

check help 0 "Commands:" -- "$kiln" --help
check help-lists-wast 0 "wast" -- "$kiln" --help
check no-args 2 "Usage: kiln" -- "$kiln"
check unknown-command 2 "unknown command 'frob'" -- "$kiln" frob
check wast-help 0 "Usage: kiln wast" -- "$kiln" wast --help
check validate-help 0 "Usage: kiln validate" -- "$kiln" help validate
check validate-wat 0 "good.wat: valid" -- "$kiln" validate "$tmp/good.wat"
check validate-wasm 0 "empty.wasm: valid" -- "$kiln" validate "$tmp/empty.wasm"
check validate-invalid 1 "bad.wat: at byte 0x" -- "$kiln" validate "$tmp/bad.wat"
check validate-type-mismatch 1 "type mismatch" -- "$kiln" validate "$tmp/bad.wat"
check validate-malformed-text 1 "malformed.wat:1:" -- "$kiln" validate "$tmp/malformed.wat"
check validate-version 1 "version.wasm: at byte 0x" -- "$kiln" validate "$tmp/version.wasm"
check validate-missing 1 "missing.wasm: cannot open file" -- "$kiln" validate "$tmp/missing.wasm"
check wast-file-line 0 "script.wast: 3 passed, 0 failed, 0 skipped" -- "$kiln" wast "$tmp/script.wast"
check wast-final-line 0 $'\n3 passed, 0 failed, 0 skipped' -- "$kiln" wast "$tmp/script.wast"
check wast-failure 1 "wrong.wast:1: assert_invalid: expected an invalid module" -- "$kiln" wast "$tmp/wrong.wast"
check wast-totals 1 $'\n3 passed, 1 failed, 0 skipped' -- "$kiln" wast "$tmp/script.wast" "$tmp/wrong.wast"
check wast-check-messages 0 "script.wast: 3 passed, 0 failed, 0 skipped, 0 message mismatches" -- "$kiln" wast --check-messages "$tmp/script.wast"
check wast-unknown-option 2 "unknown option '--frob'" -- "$kiln" wast --frob "$tmp/script.wast"
check wast-verbose 0 "script.wast:1: assert_invalid: pass: rejected by Kiln: at byte 0x" -- "$kiln" wast -v "$tmp/script.wast"

# --relaxed-simd-deterministic (Config::relaxed_simd_deterministic) in
# compile and run: the deterministic relaxed_madd is not fused, and a .cwasm
# records the setting (run needs the same flag).
printf '(module (func (export "_start")) (func (param v128 v128 v128) (result v128) (f32x4.relaxed_madd (local.get 0) (local.get 1) (local.get 2))))' >"$tmp/relaxed.wat"
check compile-relaxed-fused 0 "fmadd" -- "$kiln" compile "$tmp/relaxed.wat"
det_asm=$("$kiln" compile --relaxed-simd-deterministic "$tmp/relaxed.wat" 2>&1)
if [[ "$det_asm" == *"fmadd"* || "$det_asm" != *"mulps"* ]]; then
  echo "FAIL compile-relaxed-deterministic: expected mulps, no fmadd"; echo "$det_asm"; failures=$((failures + 1))
else
  echo "ok   compile-relaxed-deterministic"
fi
check compile-relaxed-det-cwasm 0 "" -- "$kiln" compile --relaxed-simd-deterministic "$tmp/relaxed.wat" -o "$tmp/det.cwasm"
check run-relaxed-det-cwasm 0 "" -- "$kiln" run --relaxed-simd-deterministic "$tmp/det.cwasm"
check run-relaxed-det-mismatch 1 "relaxed-simd-deterministic=on" -- "$kiln" run "$tmp/det.cwasm"
check run-help-relaxed 0 "--relaxed-simd-deterministic" -- "$kiln" help run

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
