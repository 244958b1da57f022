#!/usr/bin/env bash
# End-to-end: `kiln compile --emit=ir|asm` on a module with a loop.
set -uo pipefail
kiln="$1"
wat="$2"
failures=0

expect() {  # expect NAME PATTERN (extended regex) <<< output
  local name=$1 pattern=$2 out
  out=$(cat)
  if grep -Eq -- "$pattern" <<<"$out"; then
    echo "ok   $name"
  else
    echo "FAIL $name: no line matches /$pattern/"; echo "$out"
    failures=$((failures + 1))
  fi
}

asm=$("$kiln" compile --emit=asm "$wat" 2>&1) || { echo "FAIL: kiln compile --emit=asm exited $?"; echo "$asm"; exit 1; }
ir=$("$kiln" compile --emit=ir "$wat" 2>&1) || { echo "FAIL: kiln compile --emit=ir exited $?"; echo "$ir"; exit 1; }

expect "asm names the function"          '^; function 0( \(\$sum\))?: [0-9]+ bytes at 0x0,'        <<<"$asm"
expect "asm has the frame setup"         '^  0000: push rbp'                                   <<<"$asm"
expect "asm annotates wasm offsets"      '; @0x[0-9a-f]+'                                      <<<"$asm"
expect "asm: heap access traps OOB"      '\[[a-z0-9]+\+[a-z0-9]+(\*1)?\].*trap: MemoryOutOfBounds' <<<"$asm"
expect "asm: loop has a back edge"       'j[a-z]+ 0x0*[0-9A-Fa-f]+'                            <<<"$asm"
expect "asm: loop exit test"             '(test|cmp) e[a-z]+, e[a-z]+|(test|cmp) r[0-9]+d'      <<<"$asm"
expect "asm: division traps"             'div .*trap: IntegerDivisionByZero'                   <<<"$asm"
expect "asm: second function aligned"    '^; function 1( \(\$div\))?: [0-9]+ bytes at 0x[0-9a-f]*0,' <<<"$asm"
expect "ir: loop header block params"    '^block[0-9]+\(v[0-9]+: i32, v[0-9]+: i32, v[0-9]+: i32\):' <<<"$ir"
expect "ir: heap load with srcloc"       '@[0-9a-f]{4} v[0-9]+ = heap_load.i32'                <<<"$ir"
expect "ir: back edge"                   'jump block[0-9]+\(v[0-9]+, v[0-9]+, v[0-9]+\)'        <<<"$ir"

# The loop's back edge jumps backwards: its target is below its own offset
# (a jmp, or the jcc of a loop rotated to test at the bottom).
back=""
in_f0=0
while IFS= read -r line; do
  [[ "$line" == "; function 0"* ]] && in_f0=1
  [[ "$line" == "; function 1"* ]] && in_f0=0
  if [[ $in_f0 -eq 1 && "$line" =~ ^\ \ ([0-9a-f]{4}):\ j[a-z]+\ 0x([0-9A-Fa-f]+) ]]; then
    if (( 16#${BASH_REMATCH[2]} < 16#${BASH_REMATCH[1]} )); then back=back; fi
  fi
done <<<"$asm"
if [[ "$back" == back ]]; then echo "ok   back edge target precedes the jump"; else
  echo "FAIL back edge: no backward jump in function 0"; echo "$asm"; failures=$((failures + 1)); fi

# Unknown --emit and SIMD modules fail cleanly.
"$kiln" compile --emit=bogus "$wat" >/dev/null 2>&1; [[ $? -eq 2 ]] && echo "ok   bad --emit exits 2" || { echo "FAIL bad --emit"; failures=$((failures + 1)); }

if [[ $failures -ne 0 ]]; then echo "$failures failure(s)"; exit 1; fi
echo "all ok"
