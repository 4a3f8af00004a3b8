#!/usr/bin/env bash
# The report on a large run: curate's pretrain stage on MB of the bench corpus (bench/make-corpus.py
# from the real sample), then `curate report` on it: the seconds to write the page, its size, and
# how long headless Chromium takes to open it beyond starting (the median of 3 loads of the report
# minus the median of 3 loads of an empty page).
#
#   bench/report.sh [MB]      default 200
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
mb=${1:-200}
data=$CURATE_DATA
work=${BENCH_DIR:-$HOME/.cache/curate-bench}/report-$mb
scripts/install-build-deps.sh >/dev/null
scripts/fetch-data.sh "$data" >/dev/null
scripts/install-browser.sh
cargo fetch --locked
python3 scripts/build-sample.py "$data" "${CARGO_HOME:-$HOME/.cargo}/registry/src" "$data/sample" >/dev/null
scripts/cargo.sh build --release --locked -q --bin curate
curate="$CARGO_TARGET_DIR/release/curate"
browser=${CURATE_CHROMIUM:-chromium}

mkdir -p "$work"
if [ ! -d "$work/corpus" ]; then
  python3 bench/make-corpus.py "$data/sample" "$work/corpus" "$mb" 10
fi
if [ ! -f "$work/run/manifest.json" ]; then
  rm -rf "$work/run"
  "$curate" --stage pretrain --input "$work/corpus" --output "$work/run" --no-report --log-interval 60 >/dev/null
fi
echo "run: $work/run ($(du -sh "$work/run" | cut -f1) on disk, $(du -sh "$work/corpus" | cut -f1) of input)"
TIMEFORMAT="curate report: %R s wall, %U s user CPU"
time "$curate" report "$work/run"
page="$work/run/report.html"
python3 - "$browser" "$page" <<'PY'
import os, statistics, subprocess, sys, tempfile, time
browser, page = sys.argv[1], sys.argv[2]
def load(path):
    t0 = time.monotonic()
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://" + path],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.monotonic() - t0
with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as f:
    f.write("<!DOCTYPE html><title>empty</title>")
base = statistics.median(load(f.name) for _ in range(3))
full = statistics.median(load(page) for _ in range(3))
os.unlink(f.name)
print(f"report: {os.path.getsize(page) / 1e6:.2f} MB; Chromium opens it in {full - base:.2f} s "
      f"beyond its {base:.2f} s start (median of 3)")
PY
