#!/usr/bin/env bash
# Fails when x86-64 specifics leak out of the x64 folders: asmjit's x86
# headers or namespace, ucontext register indices (REG_RIP, gregs) or x86
# register names used in code (comments and string literals are ignored:
# prose and expected disassembly may name registers). Everything
# x86-specific lives in a folder named x64/ (codegen/isa/x64,
# codegen/trampolines/x64, runtime/abi/x64, runtime/traps/x64,
# runtime/code/x64); a new ISA gets its own folders the same way.
#
# Scans the source tree this script lives in (it is a symlink into it when
# Bazel runs it; the test is tagged "external" so it is never cached).
set -euo pipefail

self="$(readlink -f "${BASH_SOURCE[0]}")"
root="$(cd "$(dirname "$self")/../.." && pwd)"
cd "$root"
[[ -f WORKSPACE ]] || { echo "isa_names_test: no WORKSPACE at $root" >&2; exit 1; }

# Files allowed to name x86 outside an x64/ folder, with the reason.
allowed=(
  # The smoke test that checks the asmjit binding itself (tests/smoke).
  tests/smoke/deps_test.cc
)

regs='r[abcd]x|r[sd]i|r[bs]p|r(8|9|1[0-5])[dwb]?|e[abcd]x|e[sd]i|e[bs]p|sil|dil|[xyz]mm[0-9]+'
pattern="asmjit/x86|CpuFeatures::X86|\\bx86::|\\bREG_(RIP|RSP|RBP|RAX|RBX|RCX|RDX|RSI|RDI|R[0-9]+|EFL)\\b|\\bgregs\\b|\\b($regs)\\b"

fail=0
while IFS= read -r -d '' f; do
  case "/$f" in */x64/*) continue ;; esac
  skip=0
  for a in "${allowed[@]}"; do [[ "$f" == "$a" ]] && skip=1; done
  (( skip )) && continue
  # Drop // comments, string and character literals, then search.
  hits=$(grep -nE '^[[:space:]]*#[[:space:]]*include.*asmjit/x86' "$f" || true)
  hits+=$(sed -E -e 's#"([^"\\]|\\.)*"#""#g' -e "s#'([^'\\\\]|\\\\.)*'#''#g" \
              -e 's#//.*$##' "$f" | grep -nE "$pattern" || true)
  if [[ -n "$hits" ]]; then
    while IFS= read -r line; do echo "$f:$line"; done <<<"$hits"
    fail=1
  fi
done < <(git ls-files -z --cached --others --exclude-standard -- \
           '*.cc' '*.h' '*.def' 2>/dev/null | grep -zv '^third_party/' ||
         find . -path ./third_party -prune -o -path './bazel-*' -prune -o \
           \( -name '*.cc' -o -name '*.h' -o -name '*.def' \) -print0)

if (( fail )); then
  echo "isa_names_test: x86-specific code outside an x64/ folder (above)." >&2
  exit 1
fi
echo "isa_names_test: OK"
