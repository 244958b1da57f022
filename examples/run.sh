#!/usr/bin/env bash
# Builds kiln and the textstats example and runs it with `kiln run` over
# examples/data (see README.md). Arguments go to textstats (default:
# -n 5 data).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh  # clang, lld, wasi-libc, libclang-rt-14-dev-wasm32, ...
bazel build //cli:kiln //examples:textstats.wasm
if [[ $# -eq 0 ]]; then set -- -n 5 data; fi
exec bazel-bin/cli/kiln run --dir examples/data::data \
    bazel-bin/examples/textstats.wasm "$@"
