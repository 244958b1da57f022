#!/usr/bin/env bash
# Kiln's main job: `kiln run` on a real WASI program, the textstats example
# (C, built to wasm32-wasi in the repository), over examples/data.
set -euo pipefail
exec "$(dirname "$0")/../examples/run.sh" "$@"
