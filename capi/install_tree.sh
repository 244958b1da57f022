#!/usr/bin/env bash
# Lays out an installed C API under PREFIX: include/{wasm.h,kiln_c.h},
# lib/libkiln.a, lib/pkgconfig/kiln.pc. Used by scripts/install.sh (after
# building //capi:libkiln) and by the install test.
# Usage: install_tree.sh PREFIX LIBKILN_A LIBKILN_A_FLAGS KILN_PC_IN WASM_H KILN_C_H
set -euo pipefail
if [[ $# -ne 6 ]]; then
  echo "usage: $0 PREFIX LIBKILN_A FLAGS PC_IN WASM_H KILN_C_H" >&2
  exit 2
fi
prefix=$(mkdir -p "$1" && cd "$1" && pwd)
mkdir -p "$prefix/include" "$prefix/lib/pkgconfig"
install -m 0644 "$5" "$6" "$prefix/include/"
install -m 0644 "$2" "$prefix/lib/libkiln.a"
sed -e "s|@PREFIX@|$prefix|" -e "s|@LIBS@|$(cat "$3")|" "$4" \
  >"$prefix/lib/pkgconfig/kiln.pc"
