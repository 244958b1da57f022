#!/usr/bin/env bash
# End to end: `kiln compile -o` writes a .cwasm, `kiln objdump` reads it,
# broken artifacts are rejected naming the file; help is consistent for
# every subcommand.
set -uo pipefail
kiln="$1"
wat=tests/cwasm/testdata/small.wat
tmp="${TEST_TMPDIR:-}"
[[ -n "$tmp" && -d "$tmp" ]] || tmp=$(mktemp -d)
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
same() {  # same NAME FILE1 FILE2
  if cmp -s "$2" "$3"; then echo "ok   $1"; else
    echo "FAIL $1: $2 and $3 differ"; diff -u "$2" "$3" | head -20
    failures=$((failures + 1))
  fi
}

check compile-o 0 "" -- "$kiln" compile "$wat" -o "$tmp/small.cwasm"
check magic 0 "KILNCWSM" -- head -c 8 "$tmp/small.cwasm"
check compile-o-no-opt 0 "" -- "$kiln" compile --no-opt "$wat" -o "$tmp/noopt.cwasm"
check compile-o-emit 2 "-o cannot be combined with --emit" -- "$kiln" compile --emit=ir "$wat" -o "$tmp/x.cwasm"
check compile-o-missing 1 "missing.wat: cannot open file" -- "$kiln" compile "$tmp/missing.wat" -o "$tmp/x.cwasm"
check compile-o-unwritable 1 "cannot write" -- "$kiln" compile "$wat" -o "$tmp/no/such/dir/x.cwasm"

check objdump-cwasm 0 "small.cwasm: Kiln precompiled module, format 3" -- "$kiln" objdump "$tmp/small.cwasm"
check objdump-cwasm-target 0 "optimize=on" -- "$kiln" objdump --headers "$tmp/small.cwasm"
check objdump-cwasm-image 0 "memory 0 image: 4096 bytes at file offset" -- "$kiln" objdump --headers "$tmp/small.cwasm"
check objdump-cwasm-no-opt 0 "optimize=off" -- "$kiln" objdump --headers "$tmp/noopt.cwasm"
check objdump-cwasm-exports 0 'func[1] "add"' -- "$kiln" objdump --details "$tmp/small.cwasm"
# The disassembly of the .cwasm is the one of compiling the .wat.
"$kiln" objdump -d "$tmp/small.cwasm" >"$tmp/cwasm.asm" 2>&1
"$kiln" objdump -d "$wat" >"$tmp/wat.asm" 2>&1
same objdump-cwasm-same-code "$tmp/wat.asm" "$tmp/cwasm.asm"
check compile-cwasm 1 "small.cwasm: a precompiled module (.cwasm), not WebAssembly" -- "$kiln" compile "$tmp/small.cwasm"
check validate-cwasm 1 "small.cwasm: a precompiled module (.cwasm)" -- "$kiln" validate "$tmp/small.cwasm"
check objdump-func 0 "; function 2: " -- "$kiln" objdump -d --func=2 "$tmp/small.cwasm"

# Broken artifacts: messages name the file and what is wrong.
cp "$tmp/small.cwasm" "$tmp/flipped.cwasm"
printf '\xff' | dd of="$tmp/flipped.cwasm" bs=1 seek=4100 conv=notrunc status=none
check objdump-flipped 1 "flipped.cwasm: precompiled module is corrupted: body checksum mismatch" -- "$kiln" objdump "$tmp/flipped.cwasm"
head -c 1000 "$tmp/small.cwasm" >"$tmp/cut.cwasm"
check objdump-truncated 1 "cut.cwasm: precompiled module is truncated: 1000 bytes" -- "$kiln" objdump "$tmp/cut.cwasm"
head -c 5 "$tmp/small.cwasm" >"$tmp/tiny.cwasm"
check objdump-tiny 1 "tiny.cwasm: precompiled module is truncated: 5 bytes" -- "$kiln" objdump "$tmp/tiny.cwasm"
printf 'KILNCWSM\7\0\0\0' >"$tmp/future.cwasm"
check objdump-version 1 "future.cwasm: precompiled module has format version 7" -- "$kiln" objdump "$tmp/future.cwasm"
# kiln run: a .cwasm is trusted input (its help says so), but one whose
# header is wrong (magic, format version, checksums, the engine
# compatibility fields) is refused with a clear error (exit 1) before any
# of its code is mapped.
check run-help-trusted 0 "is trusted input" -- "$kiln" run --help
printf '(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))' >"$tmp/add.wat"
"$kiln" compile "$tmp/add.wat" -o "$tmp/add.cwasm"
"$kiln" compile --no-opt "$tmp/add.wat" -o "$tmp/add-noopt.cwasm"
check run-cwasm 0 "5" -- "$kiln" run --invoke add "$tmp/add.cwasm" 2 3
run_broken() {  # run_broken NAME FILE EXPECTED_SUBSTRING [RUN OPTIONS]
  local name=$1 file=$2 want=$3
  shift 3
  check "$name" 1 "$(basename "$file"): $want" -- "$kiln" run "$@" --invoke add "$file" 2 3
}
{ printf 'KILNCWSX'; tail -c +9 "$tmp/add.cwasm"; } >"$tmp/magic.cwasm"
run_broken run-wrong-magic "$tmp/magic.cwasm" 'not a Kiln precompiled module (no "KILNCWSM" magic'
{ printf 'KILNCWSM\7\0\0\0'; tail -c +13 "$tmp/add.cwasm"; } >"$tmp/version.cwasm"
run_broken run-future-version "$tmp/version.cwasm" "precompiled module has format version 7"
head -c 100 "$tmp/add.cwasm" >"$tmp/short.cwasm"
run_broken run-truncated "$tmp/short.cwasm" "precompiled module is truncated"
# The compatibility fields (ISA at byte 48, CPU features at 52, options at
# 56, memory guard size at 64, ABI fingerprint at 72) are covered by the
# header checksum.
for off in 48 52 56 64 72; do
  cp "$tmp/add.cwasm" "$tmp/compat$off.cwasm"
  # Flip the byte's bits (a fixed value may be what is there: a host with
  # every x64 feature has features byte 0xff).
  byte=$(od -An -tu1 -j "$off" -N1 "$tmp/add.cwasm" | tr -d ' ')
  printf "\\$(printf '%03o' $((byte ^ 255)))" |
    dd of="$tmp/compat$off.cwasm" bs=1 seek=$off conv=notrunc status=none
  run_broken "run-compat-field-$off" "$tmp/compat$off.cwasm" "precompiled module is corrupted: header checksum mismatch"
done
# Well-formed .cwasm files made for another engine configuration.
run_broken run-other-opt-level "$tmp/add-noopt.cwasm" "precompiled module is incompatible with this engine: it was compiled with"
run_broken run-fuel-needs-fuel-code "$tmp/add.cwasm" "precompiled module is incompatible with this engine" --fuel 1000

printf '(module (func (result i32) f32.const 1))' >"$tmp/bad.wat"
check objdump-invalid 1 "bad.wat: at byte 0x" -- "$kiln" objdump "$tmp/bad.wat"
check objdump-no-file 2 "Usage: kiln objdump" -- "$kiln" objdump
check objdump-unknown-option 2 "unknown option '--frob'" -- "$kiln" objdump --frob "$wat"

# Help: every listed command has help, the same through both spellings.
check help-lists-objdump 0 "objdump" -- "$kiln" --help
check version 0 "kiln 0." -- "$kiln" --version
check help-unknown 2 "kiln help: unknown command 'frob'" -- "$kiln" help frob
for cmd in $("$kiln" --help | awk '/^Commands:/{on=1; next} on && !NF {exit} on {print $1}'); do
  "$kiln" help "$cmd" >"$tmp/help1" 2>&1
  "$kiln" "$cmd" --help >"$tmp/help2" 2>&1
  "$kiln" "$cmd" -h >"$tmp/help3" 2>&1
  same "help-$cmd-same" "$tmp/help1" "$tmp/help2"
  same "help-$cmd-short" "$tmp/help1" "$tmp/help3"
  check "help-$cmd-usage" 0 "Usage: kiln $cmd" -- head -1 "$tmp/help1"
done

if [[ $failures -ne 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
