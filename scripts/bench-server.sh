#!/usr/bin/env bash
# The example server (examples/server) under wrk on loopback: the wasm
# handler against the native one, in interleaved rounds (wasm, native,
# wasm, ...) so that both see the same machine load. Per round: requests
# per second, p50 / p99 latency, and the server's CPU time per request
# (user + system of the server process over the round / requests), which
# other load on the machine disturbs far less than the throughput.
#
#   scripts/bench-server.sh [--rounds=3] [--duration=30s] [--connections=100]
#                           [--wrk_threads=2] [--path=/hello]
#                           [--server_threads=2] [--skip_build]
#                           [-- extra server flags]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
duration=30s
connections=100
wrk_threads=2
path=/hello
server_threads=2
build=1
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds=*) rounds=${1#*=} ;;
    --duration=*) duration=${1#*=} ;;
    --connections=*) connections=${1#*=} ;;
    --wrk_threads=*) wrk_threads=${1#*=} ;;
    --path=*) path=${1#*=} ;;
    --server_threads=*) server_threads=${1#*=} ;;
    --skip_build) build=0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "bench-server.sh: unknown flag $1" >&2; exit 2 ;;
  esac
  shift
done

if [[ $build == 1 ]]; then bazel build -c opt //examples/server >&2; fi
runfiles=$PWD/bazel-bin/examples/server/server.runfiles/kiln
server=$PWD/bazel-bin/examples/server/server

ticks=$(getconf CLK_TCK)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# Starts one server per handler on a free port (the server prints nothing;
# ports are picked here).
declare -A port pid
for h in wasm native; do
  p=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  (cd "$runfiles" && exec "$server" --host=127.0.0.1 --port="$p" \
     --threads="$server_threads" --handler="$h" "${extra[@]}") &
  pid[$h]=$!
  pids+=("${pid[$h]}")
  port[$h]=$p
done
for h in wasm native; do
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:${port[$h]}$path" >/dev/null && break
    sleep 0.1
  done
done

# utime + stime of a process, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# wrk's latency figures in microseconds.
to_us() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u);
    if (u == "us") n *= 1; else if (u == "ms") n *= 1000;
    else if (u == "s") n *= 1000000;
    printf "%.0f", n }'
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-7s %5s %10s %9s %9s %12s\n' handler round req/s p50_us p99_us cpu_us/req
declare -A sum_rps sum_cpu
for r in $(seq "$rounds"); do
  for h in wasm native; do
    before=$(cpu_ticks "${pid[$h]}")
    out=$(wrk -t"$wrk_threads" -c"$connections" -d"$duration" --latency \
            "http://127.0.0.1:${port[$h]}$path")
    after=$(cpu_ticks "${pid[$h]}")
    rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    p50=$(to_us "$(awk '$1 == "50%" {print $2}' <<<"$out")")
    p99=$(to_us "$(awk '$1 == "99%" {print $2}' <<<"$out")")
    cpu=$(awk -v t=$((after - before)) -v hz="$ticks" -v n="$reqs" \
            'BEGIN { printf "%.1f", t / hz * 1e6 / n }')
    printf '%-7s %5s %10s %9s %9s %12s\n' "$h" "$r" "$rps" "$p50" "$p99" "$cpu"
    if grep -q "Non-2xx" <<<"$out"; then
      echo "  $(grep Non-2xx <<<"$out")" >&2
    fi
    sum_rps[$h]=$(awk -v a="${sum_rps[$h]:-0}" -v b="$rps" 'BEGIN {print a + b}')
    sum_cpu[$h]=$(awk -v a="${sum_cpu[$h]:-0}" -v b="$cpu" 'BEGIN {print a + b}')
  done
done
awk -v w="${sum_rps[wasm]}" -v n="${sum_rps[native]}" \
    -v cw="${sum_cpu[wasm]}" -v cn="${sum_cpu[native]}" -v r="$rounds" \
    'BEGIN { printf "mean: wasm %.0f req/s, native %.0f req/s, ratio %.2f; " \
             "cpu/req wasm %.1f us, native %.1f us\n", w / r, n / r, w / n,
             cw / r, cn / r }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
