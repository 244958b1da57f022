#!/usr/bin/env bash
# Builds and starts the example server (examples/server) on 127.0.0.1.
#   scripts/serve.sh [--port=8080] [--threads=2] [--handler=wasm|native]
#                    [--backend_delay_us=100] [--epoch_tick_us=1000]
# Then e.g.: curl http://127.0.0.1:8080/hello
#            wrk -t2 -c100 -d30s --latency http://127.0.0.1:8080/hello
set -euo pipefail
cd "$(dirname "$0")/.."
bazel build -c opt //examples/server
cd bazel-bin/examples/server/server.runfiles/kiln
exec ../../server --host=127.0.0.1 --port=8080 "$@"
