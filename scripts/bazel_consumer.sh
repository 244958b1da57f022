#!/usr/bin/env bash
# Builds and runs examples/bazel-consumer: a workspace that depends on Kiln
# through local_repository + kiln_dependencies() only (deps.bzl), in an
# output base of its own.
set -euo pipefail
cd "$(dirname "$0")/../examples/bazel-consumer"
output_base=${KILN_CONSUMER_OUTPUT_BASE:-$HOME/.cache/kiln-consumer-output}
bazel_c() { bazel --output_base="$output_base" --max_idle_secs=300 "$@"; }
bazel_c build //:hello_c //:hello_cc
bin=$(bazel_c info bazel-bin 2>/dev/null)
# tee -a: without it tee truncates stderr when stderr is a log file, wiping
# everything CI printed before this stage.
"$bin/hello_c" | tee -a /dev/stderr | grep -q '^Done\.$'
"$bin/hello_cc" | tee -a /dev/stderr | grep -q '^Done\.$'
echo "bazel consumer: ok"
