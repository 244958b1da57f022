#!/usr/bin/env bash
# Kiln's program suite (benchmarks/programs/, our sightglass): builds every
# program natively (clang -O2) and to wasm32-wasi (clang -O2, Debian's
# wasi-libc), runs it natively, under `kiln run` and under V8's optimizing
# tier (`node --no-liftoff`, node:wasi), checks every output against the
# native one, and prints per program the median time of --runs runs and
# the ratios, plus geomeans.
#
#   scripts/bench-programs.sh [--runners native,kiln,v8-turbofan[,kiln-base]]
#       [--size small|full] [--runs N] [--no-timing] [--only REGEX]
#       [--kiln PATH] [--kiln-base PATH] [--out DIR] [--jobs N]
#       [--metric wall|cpu]
#
# Runner kiln-base runs another kiln binary (--kiln-base, e.g. a build of
# main) beside kiln, for before/after tables measured in one run.
# With --runs 1 the checked run is the timed one (no separate warm-up run).
# --metric cpu times user+sys CPU of the process (and its threads) instead of
# wall time: on a machine shared with other work, it moves far less with load.
# --size small --runs 1 --no-timing checks outputs only (CI, scripts/test.sh).
# Runs are interleaved (native, kiln, v8, native, ...) so that a change of
# load on a shared machine hits every runner alike; the first (checked) run
# of each runner is not timed and warms the page cache.
# Environment: POLYBENCH_DIR (default ../shared/bench/polybench beside the
# repository), CC (default clang).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

runners=native,kiln,v8-turbofan
size=full
runs=5
timing=1
only=.
kiln=
kiln_base=
out=
jobs=$(nproc)
metric=wall
usage() { sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
  case $1 in
    --runners) runners=$2; shift ;;
    --runners=*) runners=${1#*=} ;;
    --size) size=$2; shift ;;
    --size=*) size=${1#*=} ;;
    --runs) runs=$2; shift ;;
    --runs=*) runs=${1#*=} ;;
    --no-timing) timing=0 ;;
    --only) only=$2; shift ;;
    --only=*) only=${1#*=} ;;
    --kiln) kiln=$2; shift ;;
    --kiln=*) kiln=${1#*=} ;;
    --kiln-base) kiln_base=$2; shift ;;
    --kiln-base=*) kiln_base=${1#*=} ;;
    --out) out=$2; shift ;;
    --out=*) out=${1#*=} ;;
    --jobs) jobs=$2; shift ;;
    --jobs=*) jobs=${1#*=} ;;
    --metric) metric=$2; shift ;;
    --metric=*) metric=${1#*=} ;;
    -h|--help) usage 0 ;;
    *) echo "bench-programs: unknown argument '$1'" >&2; usage 2 >&2 ;;
  esac
  shift
done
[[ $size == small || $size == full ]] || { echo "bench-programs: --size is small or full" >&2; exit 2; }
[[ $metric == wall || $metric == cpu ]] || { echo "bench-programs: --metric is wall or cpu" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench-programs: --runs needs a positive number" >&2; exit 2; }
IFS=, read -r -a runner_list <<<"$runners"
for r in "${runner_list[@]}"; do
  case $r in native|kiln|kiln-base|v8-turbofan) ;; *) echo "bench-programs: unknown runner '$r'" >&2; exit 2 ;; esac
done

cc=${CC:-clang}
polybench=${POLYBENCH_DIR:-$root/../shared/bench/polybench}
[[ -d $polybench/utilities ]] || polybench=/work/shared/bench/polybench
if [[ ! -d $polybench/utilities ]]; then
  echo "bench-programs: PolyBench/C not found (set POLYBENCH_DIR)" >&2
  exit 1
fi
polybench=$(cd "$polybench" && pwd)
progdir=$root/benchmarks/programs
out=${out:-${TMPDIR:-/tmp}/kiln-bench-programs.$(id -u)/$(printf %s "$root" | md5sum | cut -c1-8)/$size}
mkdir -p "$out"

# The programs: name, source, full-size flags.
names=() sources=() flags=()
while read -r name source rest; do
  [[ -z $name || $name == \#* ]] && continue
  [[ $name =~ $only ]] || continue
  names+=("$name") sources+=("$source") flags+=("$rest")
done <"$progdir/programs.list"
((${#names[@]})) || { echo "bench-programs: no program matches '$only'" >&2; exit 1; }

needs_runner() { [[ ,$runners, == *,$1,* ]]; }
if needs_runner kiln-base && [[ ! -x $kiln_base ]]; then
  echo "bench-programs: runner kiln-base needs --kiln-base PATH" >&2
  exit 2
fi
if needs_runner kiln && [[ -z $kiln ]]; then
  nice -n 10 bazel build //cli:kiln >&2
  kiln=$root/bazel-bin/cli/kiln
fi
wasm_cc=("$cc" --target=wasm32-wasi --sysroot=/usr -O2 -D_WASI_EMULATED_PROCESS_CLOCKS)
native_cc=("$cc" -O2)

# Builds one program (native and wasm) when its sources or flags changed.
# Compiled and linked apart: an -O link runs binaryen's wasm-opt when it is
# installed, and the module would depend on the machine.
build_one() {
  local name=$1 source=$2 size_flags=$3
  local dir=$out/build/$name
  mkdir -p "$dir"
  local stamp="$size_flags|${wasm_cc[*]}|${native_cc[*]}|stack-size=8388608"
  local srcs=() extra=() wasm_libs=() native_libs=(-lm) arg=
  if [[ $source == polybench:* ]]; then
    local kernel=$polybench/${source#polybench:}
    srcs=("$kernel")
    extra=(-I"$polybench/utilities" -I"$(dirname "$kernel")" -DPOLYBENCH_DUMP_ARRAYS
           -include "$progdir/polybench/checksum.h" $size_flags)
    wasm_libs=("$out/polybench.wasm.o" "$out/checksum.wasm.o" -lwasi-emulated-process-clocks -lm)
    native_libs=("$out/polybench.native.o" "$out/checksum.native.o" -lm)
  else
    srcs=("$progdir/$source")
    extra=(-I"$progdir/src")
  fi
  if [[ -f $dir/stamp && $(<"$dir/stamp") == "$stamp" && $dir/$name.wasm -nt ${srcs[0]} &&
        $dir/$name.native -nt ${srcs[0]} && $dir/$name.wasm -nt $progdir/src/bench_common.h ]]; then
    return 0
  fi
  "${wasm_cc[@]}" -Wno-unused-result "${extra[@]}" -c "${srcs[0]}" -o "$dir/$name.wasm.o"
  # The native stack (8 MiB) rather than wasm-ld's 64 KiB: some kernels keep
  # arrays of N doubles on the stack.
  "$cc" --target=wasm32-wasi --sysroot=/usr -Wl,-z,stack-size=8388608 \
    "$dir/$name.wasm.o" "${wasm_libs[@]}" -o "$dir/$name.wasm"
  "${native_cc[@]}" -Wno-unused-result "${extra[@]}" -c "${srcs[0]}" -o "$dir/$name.native.o"
  "$cc" "$dir/$name.native.o" "${native_libs[@]}" -o "$dir/$name.native"
  printf %s "$stamp" >"$dir/stamp"
}

echo "bench-programs: building ${#names[@]} programs ($size) in $out" >&2
# The PolyBench harness and the dump hasher, once for all kernels.
"${wasm_cc[@]}" -I"$polybench/utilities" -c "$polybench/utilities/polybench.c" -o "$out/polybench.wasm.o"
"${native_cc[@]}" -I"$polybench/utilities" -c "$polybench/utilities/polybench.c" -o "$out/polybench.native.o"
"${wasm_cc[@]}" -c "$progdir/polybench/checksum.c" -o "$out/checksum.wasm.o"
"${native_cc[@]}" -c "$progdir/polybench/checksum.c" -o "$out/checksum.native.o"
build_failed=0
running=0
for i in "${!names[@]}"; do
  size_flags=${flags[i]}
  if [[ $size == small ]]; then
    [[ ${sources[i]} == polybench:* ]] && size_flags=-DMINI_DATASET || size_flags=
  fi
  build_one "${names[i]}" "${sources[i]}" "$size_flags" &
  if ((++running >= jobs)); then
    wait -n || build_failed=1
    running=$((running - 1))
  fi
done
while ((running > 0)); do
  wait -n || build_failed=1
  running=$((running - 1))
done
((build_failed == 0)) || { echo "bench-programs: a build failed" >&2; exit 1; }

program_arg=()
[[ $size == small ]] && program_arg=(small)
# Sets cmd to the command line of runner $1 for program $2.
command_for() {
  local dir=$out/build/$2
  case $1 in
    native) cmd=("$dir/$2.native") ;;
    kiln) cmd=("$kiln" run "$dir/$2.wasm") ;;
    kiln-base) cmd=("$kiln_base" run "$dir/$2.wasm") ;;
    # --no-concurrent-marking: node 20.20.2's concurrent marker crashes it
    # on this host (SIGSEGV in KeyedLoadIC_Megamorphic once the program has
    # printed its output; sort, vm, doitgen at full size, nearly every run).
    # It changes only the JS heap's GC, not the wasm code being timed.
    v8-turbofan) cmd=(node --no-liftoff --no-concurrent-marking --no-warnings "$progdir/node_wasi_run.mjs" "$dir/$2.wasm") ;;
  esac
  # PolyBench kernels take no argument (their size is compiled in).
  [[ -n ${program_arg[*]} && -z $3 ]] && cmd+=("${program_arg[@]}")
  return 0
}

# Runs cmd with stdout/stderr to $1/$2; sets elapsed (seconds, by --metric)
# and status.
timed_run() {
  status=0
  if [[ $metric == cpu ]]; then
    /usr/bin/time -o "$out/time" -f "%U %S" "${cmd[@]}" >"$1" 2>"$2" || status=$?
    elapsed=$(awk 'END {printf "%.2f", $1 + $2}' "$out/time")
  else
    local t0=$EPOCHREALTIME
    "${cmd[@]}" >"$1" 2>"$2" || status=$?
    elapsed=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.4f", b - a}')
  fi
}

# Checked runs: every runner's output must equal the native output.
declare -A first
failures=0
check_runners=(native)
for r in "${runner_list[@]}"; do [[ $r == native ]] || check_runners+=("$r"); done
for i in "${!names[@]}"; do
  name=${names[i]}
  poly=
  [[ ${sources[i]} == polybench:* ]] && poly=1
  for r in "${check_runners[@]}"; do
    command_for "$r" "$name" "$poly"
    timed_run "$out/$name.$r.out" "$out/$name.$r.err"
    first[$name,$r]=$elapsed
    if ((status != 0)); then
      echo "FAIL $name under $r: exit status $status (stderr in $out/$name.$r.err)" >&2
      failures=$((failures + 1))
      continue
    fi
    if [[ $r != native ]] && ! cmp -s "$out/$name.native.out" "$out/$name.$r.out"; then
      echo "FAIL $name under $r: output differs from native:" >&2
      diff "$out/$name.native.out" "$out/$name.$r.out" | head -10 >&2 || true
      failures=$((failures + 1))
    fi
  done
done
echo "bench-programs: ${#names[@]} programs, runners ${runners}: $failures output failures" >&2
if ((timing == 0)); then
  ((failures == 0)) && exit 0 || exit 1
fi

# Timed runs, interleaved across runners.
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
declare -A med
for i in "${!names[@]}"; do
  name=${names[i]}
  poly=
  [[ ${sources[i]} == polybench:* ]] && poly=1
  declare -A times=()
  if ((runs == 1)); then
    for r in "${runner_list[@]}"; do times[$r]=${first[$name,$r]}; done
  fi
  for ((k = 0; k < runs && runs > 1; k++)); do
    for r in "${runner_list[@]}"; do
      command_for "$r" "$name" "$poly"
      timed_run /dev/null /dev/null
      times[$r]+=" $elapsed"
    done
  done
  for r in "${runner_list[@]}"; do
    # shellcheck disable=SC2086
    med[$name,$r]=$(median ${times[$r]})
  done
  unset times
  printf 'bench-programs: %s done\n' "$name" >&2
done

# The table: medians in seconds, ratios to native and kiln/v8, geomeans.
has() { needs_runner "$1"; }
header="| program |"
rule="|---|"
for r in "${runner_list[@]}"; do header+=" $r s |"; rule+="---:|"; done
for r in "${runner_list[@]}"; do
  [[ $r != native ]] && has native && { header+=" $r/native |"; rule+="---:|"; }
done
# Extra ratio columns: pairs of runners, when both ran.
pairs=()
for p in kiln:v8-turbofan kiln-base:v8-turbofan kiln:kiln-base; do
  has "${p%%:*}" && has "${p#*:}" && pairs+=("$p")
done
for p in "${pairs[@]}"; do header+=" ${p%%:*}/${p#*:} |"; rule+="---:|"; done
echo
echo "size=$size runs=$runs (median $metric time of whole processes, seconds), $(date -u +%FT%TZ), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "$header"
echo "$rule"
declare -A logsum
for i in "${!names[@]}"; do
  name=${names[i]}
  line="| $name |"
  for r in "${runner_list[@]}"; do line+=" ${med[$name,$r]} |"; done
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a < 0.001) a = 0.001; if (b < 0.001) b = 0.001; printf "%.3f", a / b}'; }
  for r in "${runner_list[@]}"; do
    if [[ $r != native ]] && has native; then
      q=$(ratio "${med[$name,$r]}" "${med[$name,native]}")
      line+=" $q |"
      logsum[$r]=$(awk -v s="${logsum[$r]:-0}" -v q="$q" 'BEGIN {print s + log(q)}')
    fi
  done
  for p in "${pairs[@]}"; do
    q=$(ratio "${med[$name,${p%%:*}]}" "${med[$name,${p#*:}]}")
    line+=" $q |"
    logsum[$p]=$(awk -v s="${logsum[$p]:-0}" -v q="$q" 'BEGIN {print s + log(q)}')
  done
  echo "$line"
done
line="| geomean |"
for r in "${runner_list[@]}"; do line+=" |"; done
geo() { awk -v s="$1" -v n="${#names[@]}" 'BEGIN {printf "%.3f", exp(s / n)}'; }
for r in "${runner_list[@]}"; do
  [[ $r != native ]] && has native && line+=" $(geo "${logsum[$r]}") |"
done
for p in "${pairs[@]}"; do line+=" $(geo "${logsum[$p]}") |"; done
echo "$line"
((failures == 0))
