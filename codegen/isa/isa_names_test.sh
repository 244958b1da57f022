#!/usr/bin/env bash
# Fails when x86-64 specifics leak out of the x64 folders: asmjit's x86
# headers, namespace or feature ids, ucontext register indices (REG_RIP,
# gregs) or x86 register names used in code (comments and string literals
# are ignored: prose and expected disassembly may name registers).
# Everything x86-specific lives in a folder named x64/ (codegen/isa/x64,
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

# Tracked and untracked-but-not-ignored sources (git), else every source
# file below the root; one per line, relative to the root.
list_sources() {
  local files=""
  files=$(git ls-files --cached --others --exclude-standard -- \
            '*.cc' '*.h' '*.def' 2>/dev/null) || files=""
  if [[ -n "$files" ]]; then
    grep -v '^third_party/' <<<"$files" || true
  else
    find . \( -path ./third_party -o -path './bazel-*' -o -path ./.git \) \
      -prune -o \( -name '*.cc' -o -name '*.h' -o -name '*.def' \) -print |
      sed 's#^\./##'
  fi
}

# One pass over every file (perl is part of every Debian system): drop
# string / character literals and // comments, then search; #include lines
# keep their strings.
hits=$(list_sources | ALLOWED="${allowed[*]}" perl -ne '
  BEGIN {
    %allowed = map { $_ => 1 } split / /, $ENV{ALLOWED};
    $regs = q{r[abcd]x|r[sd]i|r[bs]p|r(?:8|9|1[0-5])[dwb]?|e[abcd]x|e[sd]i|e[bs]p|sil|dil|[xyz]mm[0-9]+};
    $pat = qr{asmjit/x86|CpuFeatures::X86|\bx86::|\bREG_(?:RIP|RSP|RBP|RAX|RBX|RCX|RDX|RSI|RDI|R[0-9]+|EFL)\b|\bgregs\b|\b(?:$regs)\b};
  }
  chomp(my $f = $_);
  next if "/$f" =~ m{/x64/} || $allowed{$f};
  open(my $fh, "<", $f) or next;
  while (my $line = <$fh>) {
    my $code = $line;
    if ($code !~ m{^\s*#\s*include}) {
      $code =~ s{"(?:[^"\\]|\\.)*"}{""}g;
      $code =~ s{\x27(?:[^\x27\\]|\\.)*\x27}{\x27\x27}g;
    }
    $code =~ s{//.*$}{};
    print "$f:$.: $line" if $code =~ $pat;
  }
  close($fh);
')

if [[ -n "$hits" ]]; then
  echo "$hits"
  echo "isa_names_test: x86-specific code outside an x64/ folder (above)." >&2
  exit 1
fi
echo "isa_names_test: OK"
