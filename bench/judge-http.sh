#!/usr/bin/env bash
# The HTTP judge client against a local OpenAI-compatible server (bench/judge-server.py, uvicorn
# from llama.cpp's Python server package): requests/s with 1, 8, 64 and 256 requests in flight,
# against a server that answers after a fixed 50 ms, then one that models a token-rate-limited
# GPU (20,000 tokens/s, 50 tokens a request: saturated at 400 requests/s); and the client's CPU
# per request, with what 2 cores could drive from it.
#
#   bench/judge-http.sh [MAX_REQUESTS]      default 8000 (50 per request in flight, at most this)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
requests=${1:-8000}
scripts/install-build-deps.sh >/dev/null
scripts/install-llama-server.sh >/dev/null
cargo fetch --locked
python=$CURATE_PY/llama/bin/python
port=18$((RANDOM % 900 + 100))
server_pid=
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true' EXIT
scripts/cargo.sh build --release --locked -q --bench judge_http 2>/dev/null || true
echo "machine: $(nproc) cores; $(date -u +%Y-%m-%d)"
for mode in latency:50 gpu:20000:50; do
  "$python" bench/judge-server.py "$port" "$mode" > /dev/null 2>&1 &
  server_pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null && break; sleep 0.1; done
  echo
  echo "server: $mode"
  scripts/cargo.sh bench --locked -q --bench judge_http -- "http://127.0.0.1:$port/v1" "$requests" 16 1 8 64 256 \
    2>&1 | grep -v "^curate: \|Finished\|Running"
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
done
