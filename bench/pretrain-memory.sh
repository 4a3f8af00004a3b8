#!/usr/bin/env bash
# Peak memory and core use of `curate --stage pretrain` at two input sizes (default 200 MB and
# 1 GB of real JSONL text, in 100 MB shards): memory must stay flat as the input grows. Both
# sizes have at least as many shards as cores, so the same number of shards run at once.
# Usage: bench/pretrain-memory.sh [SMALL_MB] [LARGE_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/install-build-deps.sh
data=$CURATE_DATA
small=${1:-200}
large=${2:-1000}
work=${BENCH_DIR:-$HOME/.cache/curate-bench}

scripts/fetch-data.sh "$data" >/dev/null
cargo fetch --locked
python3 scripts/build-sample.py "$data" "${CARGO_HOME:-$HOME/.cargo}/registry/src" "$data/sample" >/dev/null
scripts/cargo.sh build --release --locked
curate="$CARGO_TARGET_DIR/release/curate"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
for mb in "$small" "$large"; do
  corpus="$work/corpus-${mb}mb"
  [ -d "$corpus" ] || python3 bench/make-corpus.py "$data/sample" "$corpus" "$mb"
  rm -rf "$work/run-${mb}mb"
  python3 bench/measure.py "pretrain ${mb}MB" -- "$curate" --stage pretrain --input "$corpus" --output "$work/run-${mb}mb"
done
