#!/usr/bin/env bash
# Runs the tests/wasi programs through `kiln run` and compares each with
# the same program compiled natively (stdout and exit status).
set -uo pipefail
kiln="$(realpath "$1")"
# "O0": run the programs unoptimized only (wasi_e2e_O0_test).
mode="${2:-}"
here="$(dirname "$(realpath "$0")")"
# Runfiles: the programs sit beside this script in the runfiles tree.
dir="${TEST_SRCDIR:-}/${TEST_WORKSPACE:-__main__}/tests/wasi"
[[ -d "$dir" ]] || dir="$here"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
# args_env prints every KILN_* variable it sees; the native run inherits the
# test's environment (CI passes KILN_TESTSUITE), the guest only what --env
# gives it. Start from none.
unset $(compgen -e | grep '^KILN_') 2>/dev/null || true

pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

# fresh NAME: an empty work directory with data/input.txt.
fresh() {
  rm -rf "$tmp/$1"
  mkdir -p "$tmp/$1/data"
  echo "input line" >"$tmp/$1/data/input.txt"
}

# same NAME ARGS...: runs NAME natively in $tmp/NAME-native and through
# kiln in $tmp/NAME-wasm (data/ preopened), compares stdout and status.
# RUN_OPTS adds kiln options.
same() {
  local name=$1
  shift
  fresh "$name-native"
  fresh "$name-wasm"
  local n_out w_out n_rc=0 w_rc=0
  n_out=$(cd "$tmp/$name-native" && "$dir/${name}_native" "$@" <"$tmp/stdin" 2>"$tmp/$name.native.err") || n_rc=$?
  w_out=$(cd "$tmp/$name-wasm" && "$kiln" run ${RUN_OPTS:-} --dir data "${MODULE_DIR:-$dir}/$name${MODULE_EXT:-.wasm}" "$@" <"$tmp/stdin" 2>"$tmp/$name.wasm.err") || w_rc=$?
  local what="$name${MODULE_EXT:-} ${RUN_OPTS:-} $*"
  if [[ "$n_out" != "$w_out" ]]; then
    fail "$what: stdout differs"
    diff <(echo "$n_out") <(echo "$w_out") | head -20
    cat "$tmp/$name.wasm.err" | head -20
  elif [[ $n_rc -ne $w_rc ]]; then
    fail "$what: exit $w_rc, native $n_rc"
    cat "$tmp/$name.wasm.err" | head -20
  else
    pass "$what"
  fi
}

printf 'line one\nline two\nthree\n' >"$tmp/stdin"

if [[ "$mode" == O0 ]]; then
  for p in hello files dirlist clock_random; do RUN_OPTS=-O0 same $p; done
  RUN_OPTS=-O0 same exit_code 7
  [[ $failures -eq 0 ]] && echo "all passed" && exit 0
  echo "$failures failure(s)"; exit 1
fi

same hello
grep -q "hello on stderr" "$tmp/hello.wasm.err" && pass "hello stderr" || fail "hello stderr"
export KILN_GREETING="hi there"
export KILN_Z=1
RUN_OPTS="--env KILN_GREETING --env KILN_Z=1" same args_env "a b" "" c --flag
unset KILN_GREETING KILN_Z
same files
same dirlist
same clock_random
for code in 0 1 7 42 255 300; do
  same exit_code $code
  same exit_code $code return
done

# poll_oneoff: an fd subscription with a timeout on a pipe that gets data
# later (POLL_DELAY seconds: kiln must be polling by then, also on a loaded
# machine, where 0.3 s was once too short to start and compile; under
# qemu, scripts/aarch64_test.sh gives it longer).
delay=${POLL_DELAY:-1.5}
n_out=$( (sleep "$delay"; echo hi) | "$dir/poll_stdin_native")
w_out=$( (sleep "$delay"; echo hi) | "$kiln" run "$dir/poll_stdin.wasm")
if [[ "$n_out" == "$w_out" && "$w_out" == *"50ms: 0 ready"* ]]; then
  pass "poll_stdin"
else
  fail "poll_stdin"
  diff <(echo "$n_out") <(echo "$w_out")
fi

# Escapes: compared with escape.expected; nothing outside data/ changes.
e="$tmp/escape"
rm -rf "$e"
mkdir -p "$e/data/sub"
echo secret >"$e/secret.txt"
echo inner >"$e/data/inner.txt"
ln -s ../secret.txt "$e/data/link_out"
ln -s "$e/secret.txt" "$e/data/abs_link"
ln -s .. "$e/data/dir_out"
ln -s inner.txt "$e/data/link_in"
out=$(cd "$e" && "$kiln" run --dir data "$dir/escape.wasm" 2>&1)
if [[ "$out" == "$(cat "$dir/escape.expected")" ]]; then
  pass "escape"
else
  fail "escape"
  diff <(echo "$out") "$dir/escape.expected"
fi
if [[ -e "$e/evil" || -e "$e/stolen.txt" || -e "$e/evil.txt" ||
      "$(cat "$e/secret.txt")" != secret || ! -e "$e/data/inner.txt" ]]; then
  fail "escape left a trace outside data/"
  ls -la "$e"
else
  pass "escape: nothing outside changed"
fi
# The same with the preopen named "/" (absolute guest paths map to it).
out=$(cd "$e" && "$kiln" run --dir "data::/" "$dir/escape.wasm" 2>&1 | grep -c OPENED)
[[ "$out" == 0 ]] && pass "escape with preopen /: nothing opened outside" \
                  || fail "escape with preopen /: $out OPENED"

# A trap: same stdout before it; kiln exits 134 with the trap and a
# backtrace naming the functions; natively the program dies of SIGILL.
w_rc=0
w_out=$("$kiln" run "$dir/trap.wasm" 2>"$tmp/trap.err") || w_rc=$?
n_rc=0
n_out=$("$dir/trap_native" 2>/dev/null) || n_rc=$?
err=$(cat "$tmp/trap.err")
if [[ $w_rc -eq 134 && $n_rc -gt 128 && "$w_out" == "$n_out" &&
      "$err" == *"wasm trap: unreachable"* && "$err" == *"crash_here"* &&
      "$err" == *"level_two"* && "$err" == *"_start"* ]]; then
  pass "trap (134, backtrace)"
else
  fail "trap: exit $w_rc (native $n_rc), stdout [$w_out] vs [$n_out]"
  echo "$err"
fi

# Precompiled: kiln compile -o FILE.cwasm, then kiln run on it behaves
# the same (a trap still names the functions).
mkdir -p "$tmp/cwasm"
for p in hello args_env files dirlist clock_random exit_code trap; do
  "$kiln" compile "$dir/$p.wasm" -o "$tmp/cwasm/$p.cwasm" ||
    fail "kiln compile $p -o $p.cwasm"
done
export KILN_GREETING="hi there"
MODULE_DIR="$tmp/cwasm" MODULE_EXT=.cwasm RUN_OPTS="--env KILN_GREETING" same args_env x "y z"
unset KILN_GREETING
for p in hello files dirlist clock_random; do
  MODULE_DIR="$tmp/cwasm" MODULE_EXT=.cwasm same $p
done
MODULE_DIR="$tmp/cwasm" MODULE_EXT=.cwasm same exit_code 42
rc=0
"$kiln" run "$tmp/cwasm/trap.cwasm" >/dev/null 2>"$tmp/trap.cwasm.err" || rc=$?
[[ $rc -eq 134 ]] && grep -q crash_here "$tmp/trap.cwasm.err" &&
  pass "trap.cwasm (134, backtrace)" || fail "trap.cwasm: exit $rc"
# A .cwasm compiled with optimization does not load at -O0; a corrupted
# one is rejected; neither runs.
rc=0; "$kiln" run -O0 "$tmp/cwasm/hello.cwasm" </dev/null >/dev/null 2>&1 || rc=$?
[[ $rc -eq 1 ]] && pass "cwasm with another -O level rejected" || fail "cwasm -O0: exit $rc"
head -c 2000 "$tmp/cwasm/hello.cwasm" >"$tmp/cwasm/cut.cwasm"
rc=0; "$kiln" run "$tmp/cwasm/cut.cwasm" </dev/null >/dev/null 2>&1 || rc=$?
[[ $rc -eq 1 ]] && pass "truncated cwasm rejected" || fail "truncated cwasm: exit $rc"

# --invoke on a module without imports, and a .wat WASI module.
cat >"$tmp/calc.wat" <<'WAT'
(module
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "mix") (param i64 f64) (result i64 f64)
    (local.get 0) (f64.mul (local.get 1) (f64.const 2)))
  (func (export "boom") unreachable))
WAT
out=$("$kiln" run --invoke add "$tmp/calc.wat" 40 2 2>&1)
[[ "$out" == "42" ]] && pass "--invoke add" || fail "--invoke add: $out"
out=$("$kiln" run --invoke mix "$tmp/calc.wat" -5 1.25 2>&1)
[[ "$out" == $'-5\n2.5' ]] && pass "--invoke mix" || fail "--invoke mix: $out"
rc=0; "$kiln" run --invoke boom "$tmp/calc.wat" 2>/dev/null || rc=$?
[[ $rc -eq 134 ]] && pass "--invoke trap exits 134" || fail "--invoke trap: $rc"
rc=0; "$kiln" run --invoke nope "$tmp/calc.wat" 2>/dev/null || rc=$?
[[ $rc -eq 1 ]] && pass "--invoke missing export exits 1" || fail "--invoke missing: $rc"

# Hand-written WASI calls: a good fd_write, then bad pointers are EFAULT
# (21) for the guest, which exits with the errno it got.
cat >"$tmp/raw.wat" <<'WAT'
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "raw hello\n")
  (data (i32.const 0) "\10\00\00\00\0a\00\00\00")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 32)))
    ;; an iovec whose buffer runs past the end of memory
    (i32.store (i32.const 40) (i32.const 65530))
    (i32.store (i32.const 44) (i32.const 100))
    (if (i32.ne (call $fd_write (i32.const 1) (i32.const 40) (i32.const 1) (i32.const 32))
                (i32.const 21))
      (then (call $exit (i32.const 100))))
    ;; iovs array out of bounds, nwritten out of bounds
    (if (i32.ne (call $fd_write (i32.const 1) (i32.const 65535) (i32.const 1) (i32.const 32))
                (i32.const 21))
      (then (call $exit (i32.const 101))))
    (if (i32.ne (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const -2))
                (i32.const 21))
      (then (call $exit (i32.const 102))))
    ;; a huge iovs_len
    (if (i32.ne (call $fd_write (i32.const 1) (i32.const 0) (i32.const 0x7fffffff) (i32.const 32))
                (i32.const 21))
      (then (call $exit (i32.const 103))))
    ;; bad fd
    (call $exit (call $fd_write (i32.const 99) (i32.const 0) (i32.const 1) (i32.const 32)))))
WAT
rc=0
out=$("$kiln" run "$tmp/raw.wat" 2>&1) || rc=$?
[[ "$out" == "raw hello" && $rc -eq 8 ]] && pass "raw WASI calls: EFAULT for bad pointers, EBADF" \
  || fail "raw WASI calls: exit $rc, output [$out]"

# Unknown imports are a link error naming the import.
cat >"$tmp/env.wat" <<'WAT'
(module (import "env" "f" (func)) (func (export "_start")))
WAT
rc=0
out=$("$kiln" run "$tmp/env.wat" 2>&1) || rc=$?
[[ $rc -eq 1 && "$out" == *"env::f"* ]] && pass "unknown import" || fail "unknown import: $rc $out"

if [[ $failures -ne 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "all passed"
