#!/usr/bin/env bash
# Installs the Debian packages Kiln builds and tests with, if any are missing.
# Idempotent: a second run installs nothing. Both README commands call it.
set -euo pipefail

packages=(
  bazel-bootstrap bazel-rules-java bazel-platforms
  g++ clang lld libclang-rt-14-dev libclang-rt-14-dev-wasm32 wasi-libc
  libasmjit-dev libzydis-dev libzycore-dev libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev wabt
  libboost-context-dev libboost-dev libcapstone-dev
  nodejs valgrind git binaryen time
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -q || true
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
