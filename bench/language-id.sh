#!/usr/bin/env bash
# Language ID with lid.176: curate's Rust fastText inference against fastText's C++ on the bench
# corpus (speed, one thread each; agreement per document with the C++ and with fastText's Python
# binding), and the cost in agreement of reading only the first N characters.
#
#   bench/language-id.sh [MB]      default 20 (documents of bench/make-corpus.py)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
mb=${1:-20}
data=$CURATE_DATA
work=${BENCH_DIR:-$HOME/.cache/curate-bench}/language-id-$mb
scripts/install-build-deps.sh >/dev/null
scripts/fetch-data.sh "$data" >/dev/null
scripts/install-test-python.sh
cargo fetch --locked
python3 scripts/build-sample.py "$data" "${CARGO_HOME:-$HOME/.cargo}/registry/src" "$data/sample" >/dev/null
mkdir -p "$work"
if [ ! -f "$work/lines.jsonl" ]; then
  python3 bench/make-corpus.py "$data/sample" "$work/corpus" "$mb" 100 >/dev/null
  python3 - "$work/corpus" "$work/lines.jsonl" <<'PY'
import glob, json, sys
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for path in sorted(glob.glob(sys.argv[1] + "/*.jsonl")):
        for raw in open(path, encoding="utf-8"):
            text = json.loads(raw)["text"].replace("\n", " ").replace("\0", " ")
            out.write(json.dumps(text + "\n", ensure_ascii=False) + "\n")
PY
fi
model="$data/models/lid.176.ftz"
"$CURATE_PY/hf/bin/python" scripts/fasttext-predict.py "$model" "$work/lines.jsonl" 4 "$work/python.jsonl"
echo "machine: $(nproc) cores; $(date -u +%Y-%m-%d)"
scripts/cargo.sh bench --locked --bench fasttext -- "$model" "$work/lines.jsonl" "$work/python.jsonl"
