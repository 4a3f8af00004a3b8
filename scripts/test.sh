#!/usr/bin/env bash
# Runs curate's tests: fetches the real data they use (cached), then the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/curate-target}
export CURATE_DATA=${CURATE_DATA:-$HOME/.cache/curate-data}
scripts/fetch-data.sh "$CURATE_DATA"
cargo test --release --locked --workspace
