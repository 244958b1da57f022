#!/usr/bin/env bash
# Runs an AArch64 Linux binary on this (x86-64) host under qemu-user, with
# the cross toolchain's loader and libc (`bazel test --config=aarch64`
# uses it as --run_under; scripts/kiln-aarch64 for the kiln command).
exec qemu-aarch64 -L /usr/aarch64-linux-gnu "$@"
