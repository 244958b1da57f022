#!/usr/bin/env bash
# Installs what the AArch64 cross build (`bazel build --config=aarch64`) and
# its qemu-user runs need, if anything is missing. Idempotent; called on
# demand (scripts/kiln-aarch64 runs it), so plain x86-64 builds and CI do
# not pay for it.
#   * arm64 as a dpkg foreign architecture (multiarch)
#   * qemu-user, g++-aarch64-linux-gnu and the :arm64 builds of the
#     libraries Kiln links
#   * wabt:arm64's libwabt.a (wabt is not multiarch), unpacked into
#     $KILN_AARCH64_SYSROOT (default /opt/kiln-aarch64-sysroot; deps.bzl's
#     @wabt_aarch64 reads that path)
set -euo pipefail

sysroot="${KILN_AARCH64_SYSROOT:-/opt/kiln-aarch64-sysroot}"
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive

packages=(
  qemu-user g++-aarch64-linux-gnu libc6:arm64
  libasmjit-dev:arm64 libabsl-dev:arm64 libgtest-dev:arm64 libgmock-dev:arm64
  libbenchmark-dev:arm64 libzydis-dev:arm64 libboost-context-dev:arm64
  libcapstone-dev:arm64
)

updated=0
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "setup-aarch64: adding the arm64 architecture" >&2
  "${sudo_cmd[@]}" dpkg --add-architecture arm64
  "${sudo_cmd[@]}" apt-get update -q
  updated=1
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup-aarch64: installing ${missing[*]}" >&2
  ((updated)) || "${sudo_cmd[@]}" apt-get update -q || true
  "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [[ ! -f "$sysroot/usr/lib/aarch64-linux-gnu/libwabt.a" ]]; then
  echo "setup-aarch64: unpacking wabt:arm64 into $sysroot" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && apt-get download wabt:arm64)
  "${sudo_cmd[@]}" mkdir -p "$sysroot"
  "${sudo_cmd[@]}" dpkg-deb -x "$tmp"/wabt_*_arm64.deb "$sysroot"
fi
