#!/usr/bin/env bash
# Installs the C API for C and C++ builds outside Bazel:
#   PREFIX/include/{wasm.h,kiln_c.h}, PREFIX/lib/libkiln.a,
#   PREFIX/lib/pkgconfig/kiln.pc
# Then, e.g.:
#   PKG_CONFIG_PATH=PREFIX/lib/pkgconfig cc hello.c $(pkg-config --cflags --libs kiln)
# Usage: scripts/install.sh PREFIX
set -euo pipefail
if [[ $# -ne 1 ]]; then
  echo "usage: $0 PREFIX" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
scripts/setup.sh
bazel build //capi:libkiln
bin=$(bazel info bazel-bin 2>/dev/null)
capi/install_tree.sh "$1" "$bin/capi/libkiln.a" "$bin/capi/libkiln.a.flags" \
  capi/kiln.pc.in capi/include/wasm.h capi/include/kiln_c.h
echo "installed the C API under $1"
