#!/usr/bin/env bash
# Runs curate's tests: fetches the real data they use (cached), then the whole test suite, and
# ends with one line that adds up every test binary's results.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/install-build-deps.sh
scripts/fetch-data.sh "$CURATE_DATA" --with-qwen
scripts/install-llama-server.sh
scripts/install-test-python.sh
scripts/install-browser.sh
scripts/install-moto.sh
# A real Slurm cluster on this machine for the `curate submit slurm` tests (sets SLURM_CONF).
eval "$(scripts/slurm-local.sh start)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
scripts/cargo.sh test --release --locked --workspace --lib --bins --tests 2>&1 | tee "$log"
awk '/^test result:/ {p += $4; f += $6} END {print "tests: " p " passed, " f " failed"}' "$log"
# The benchmark harness against datatrove on a 1 MB corpus: that it runs and both sides keep
# documents (no timing is asserted).
bench/run.sh --smoke
