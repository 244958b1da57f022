#!/usr/bin/env bash
# Differential check of the optimizer on real translated IR: every module
# of the spec suite that compiles is translated (kiln compile --emit=ir
# --no-opt), each function is interpreted on edge-case arguments before and
# after a pass pipeline (`test run <passes>`), and any difference is
# reported. Manual tool (takes a minute or two):
#
#   bazel build //cli:kiln //tests/filetests:filetests
#   tests/filetests/spec_opt_diff.sh [passes] [testsuite dir]
#
# Calls are not interpreted ("not run"); vmctx arguments are 0 and point at
# a zeroed simulated VMContext.
#
# SPEC_DIFF_KIND=run_x64 compares the interpreter with x64 machine code
# instead (codegen/isa/x64/spec_x64_diff.sh).
set -euo pipefail
kind="${SPEC_DIFF_KIND:-run}"
passes="${1:-simplify_params,const_fold,simplify_cfg,gvn,dce,split_critical_edges}"
suite="${2:-/work/shared/testsuite}"
ws="$(cd "$(dirname "$0")/../.." && pwd)"
kiln="$ws/bazel-bin/cli/kiln"
runner="$ws/bazel-bin/tests/filetests/filetests"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/wasm" "$work/tests/filetests"
for f in "$suite"/*.wast; do
  wast2json --no-check -o "$work/wasm/$(basename "$f" .wast).json" "$f" >/dev/null 2>&1 || true
done
for w in "$work"/wasm/*.wasm; do
  ir=$("$kiln" compile --emit=ir --no-opt "$w" 2>/dev/null) || continue
  printf '%s\n' "$ir" > "$work/tests/filetests/$(basename "$w" .wasm).ir"
done
python3 - "$work/tests/filetests" "$passes" "$kind" <<'PY'
import glob, os, random, re, sys
d, passes, kind = sys.argv[1], sys.argv[2], sys.argv[3]
random.seed(7)
edge = {'i32': ['0', '1', '-1', '7', '0x80000000', '0x7fffffff', '100', '65535'],
        'i64': ['0', '1', '-1', '3', '0x8000000000000000', '0x7fffffffffffffff', '4096'],
        'f32': ['0', '-0', '1.5', '-2.5', '1e30', '0x7fc00000', '3.0000001'],
        'f64': ['0', '-0', '1.5', '-2.5', '1e300', '0x7ff8000000000000', '4294967296.5']}
for path in glob.glob(os.path.join(d, '*.ir')):
    text = open(path).read()
    runs = []
    for m in re.finditer(r'^function %(\S+)\(([^)]*)\)', text, re.M):
        params = [p.strip() for p in m.group(2).split(',') if p.strip()]
        if any(t not in edge for t in params[2:]):
            continue  # v128: no edge-case table (and no interpreter semantics)
        for _ in range(3):
            args = ['0' if k < 2 else random.choice(edge[t]) for k, t in enumerate(params)]
            runs.append('; run: %%%s(%s)' % (m.group(1), ', '.join(args)))
    with open(path[:-3] + '.kir', 'w') as out:
        out.write('test %s %s\n%s\n%s\n' % (kind, passes, text, '\n'.join(runs)))
    os.remove(path)
PY
cd "$work"
"$runner" > out.txt 2>&1 || true
files=$(ls tests/filetests/*.kir | wc -l)
ran=$(grep -E '^%.* -> ' out.txt | grep -vc 'not run' || true)
skipped=$(grep -c ' -> not run' out.txt || true)
errors=$(grep -c '^error:' out.txt || true)
mismatches=$(grep -c 'MISMATCH' out.txt || true)
grep -B1 'MISMATCH' out.txt | head -40 || true
grep '^error:' out.txt | head -10 || true
echo "spec_diff ($kind): $files modules, $ran runs compared, $skipped not run, $errors errors, $mismatches mismatches"
[[ "$errors" == 0 && "$mismatches" == 0 ]]
