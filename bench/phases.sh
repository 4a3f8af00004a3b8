#!/usr/bin/env bash
# The phases of a distributed run, task by task (bench/phases.py): CPU seconds per GB and peak
# memory per task for filter, cluster, apply and finish, and the files each phase writes.
#
#   bench/phases.sh [MB] [SHARD_MB] [THREADS]     default: 200 MB in 10 MB shards, 1 thread per task
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/install-build-deps.sh
scripts/fetch-data.sh "$CURATE_DATA" >/dev/null
cargo fetch --locked
python3 scripts/build-sample.py "$CURATE_DATA" "${CARGO_HOME:-$HOME/.cargo}/registry/src" "$CURATE_DATA/sample" >/dev/null
scripts/cargo.sh build --release --locked -q --bin curate
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%d)"
python3 bench/phases.py --curate "$CARGO_TARGET_DIR/release/curate" --lid "$CURATE_DATA/models/lid.176.ftz" \
  --sample "$CURATE_DATA/sample" --work "${BENCH_DIR:-$HOME/.cache/curate-bench}" \
  --mb "${1:-200}" --shard-mb "${2:-10}" --threads "${3:-1}"
