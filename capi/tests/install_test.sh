#!/usr/bin/env bash
# The C API as a C build outside Bazel gets it: installed into a temporary
# prefix (capi/install_tree.sh, as scripts/install.sh does), then the C
# test program compiled with the system compiler and
# `pkg-config --cflags --libs kiln`, and run.
set -euo pipefail
install_tree=$1; shift
prefix="$TEST_TMPDIR/prefix"
"$install_tree" "$prefix" "$@"
test_c=$(readlink -f "$TEST_SRCDIR/kiln/capi/tests/capi_test.c")
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cc=${CC:-cc}
# shellcheck disable=SC2046
"$cc" -std=c11 -Wall -Werror "$test_c" $(pkg-config --cflags --libs kiln) \
  -o "$TEST_TMPDIR/capi_test"
"$TEST_TMPDIR/capi_test"
echo "ok   built with cc and pkg-config against the installed libkiln.a"
