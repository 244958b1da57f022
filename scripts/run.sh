#!/usr/bin/env bash
# Kiln's main job: build the kiln command and run the spec suite through it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
suite=$(scripts/testsuite_dir.sh)
bazel build //cli:kiln
exec bazel-bin/cli/kiln wast "$suite"/*.wast
