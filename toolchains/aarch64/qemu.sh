#!/usr/bin/env bash
# Runs an AArch64 Linux binary on this (x86-64) host under qemu-user
# (`bazel test --config=aarch64` uses it as --run_under; scripts/kiln-aarch64
# runs kiln through it).
#
# No `-L /usr/aarch64-linux-gnu`: qemu would then take the loader from the
# cross toolchain's libc6-arm64-cross but, not finding the multiarch paths
# (/lib/aarch64-linux-gnu/...) under that prefix, libc.so.6 and every other
# library from the host's libc6:arm64 — a different glibc build. That
# mismatched ld.so/libc pair hangs in the first pthread_create (any
# dynamically linked threaded program; -static binaries did not). Without
# -L the binary's own interpreter, /lib/ld-linux-aarch64.so.1, comes from
# libc6:arm64 too (scripts/setup-aarch64.sh installs it with the :arm64
# libraries), so loader and libraries are one consistent set.
exec qemu-aarch64 "$@"
