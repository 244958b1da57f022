#!/usr/bin/env bash
# The C API as a C build outside Bazel gets it: installed into a temporary
# prefix (capi/install_tree.sh, as scripts/install.sh does), then every
# example compiled with the system compiler and
# `pkg-config --cflags --libs kiln`, run, and checked to end with "Done.".
set -euo pipefail
install_tree=$1; shift
prefix="$TEST_TMPDIR/prefix"
"$install_tree" "$prefix" "$@"
examples=$(dirname "$(readlink -f "$TEST_SRCDIR/kiln/capi/examples/hello.c")")
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cc=${CC:-cc}
count=0
for src in "$examples"/*.c; do
  name=$(basename "$src" .c)
  # shellcheck disable=SC2046
  "$cc" -std=c11 -Wall -Werror "$src" $(pkg-config --cflags --libs kiln) \
    -o "$TEST_TMPDIR/$name"
  out=$("$TEST_TMPDIR/$name")
  if [[ "$(tail -n 1 <<<"$out")" != "Done." ]]; then
    echo "FAIL $name: $out"
    exit 1
  fi
  echo "ok   $name"
  count=$((count + 1))
done
echo "ok   $count examples built with cc and pkg-config against libkiln.a"
