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

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
