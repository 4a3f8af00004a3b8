#!/usr/bin/env python3
"""curate's pretrain stage against datatrove's closest pipeline, side by side on the same corpus
and machine (driven by bench/run.sh, which installs both).

For each corpus size it builds a JSONL corpus of real text (bench/make-corpus.py), then runs
both tools RUNS times, alternating which goes first, each under bench/measure.py (wall, CPU,
peak RSS of one process tree). It reports medians, per-step CPU seconds as each tool measures
them, the ratio of CPU per document (datatrove / curate: how many times more documents per core
curate handles), how far the two agree on what to keep, and how peak memory grows with the
input. Writes WORK/results.json and prints Markdown tables.

usage: compare.py --curate BIN --datatrove-python PY --lid MODEL --sample DIR --work DIR
                  [--sizes 20,200] [--runs 3] [--shard-mb 10]
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(label, cmd):
    out = subprocess.run([sys.executable, f"{HERE}/measure.py", "--json", label, "--", *cmd],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{label} failed ({out.returncode}): {' '.join(cmd)}\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def write_config(lid, path):
    """bench/pretrain.toml, with the path of the fastText model datatrove is given too."""
    with open(f"{HERE}/pretrain.toml") as f:
        config = f.read().replace('fasttext_model = "lid.176.ftz"', f'fasttext_model = "{lid}"')
    with open(path, "w") as f:
        f.write(config)
    return path


def run_curate(args, corpus, out):
    shutil.rmtree(out, ignore_errors=True)
    config_path = write_config(args.lid, f"{os.path.dirname(out)}/curate-pretrain.toml")
    # The same work as datatrove's pipeline: no report page (bench/report.sh measures that).
    m = measure("curate", [args.curate, "--config", config_path, "--input", corpus, "--output", out, "--no-report"])
    with open(f"{out}/manifest.json") as f:
        manifest = json.load(f)
    steps = {s["step"]: s["seconds"] for s in manifest["counts"]["steps"]}
    m["steps"] = {
        "language ID": steps["language_id"],
        "Gopher quality": steps["gopher_quality"],
        "Gopher repetition": steps["gopher_repetition"],
        "MinHash dedup": steps["minhash_dedup"] + manifest.get("dedup_wall_seconds", 0.0),
    }
    m["docs"] = manifest["counts"]["input"]
    m["kept"] = manifest["counts"]["kept"]
    return m


def run_datatrove(args, corpus, out):
    shutil.rmtree(out, ignore_errors=True)
    m = measure("datatrove", [args.datatrove_python, f"{HERE}/datatrove_pretrain.py", corpus, out,
                              str(os.cpu_count()), args.lid])
    with open(f"{out}/report.json") as f:
        report = json.load(f)
    steps = {name.split(": ")[-1]: v["seconds"] for name, v in report["steps"].items()}

    def step(word):
        return sum(v for k, v in steps.items() if word in k)

    upstream = sum(v for k, v in steps.items() if "MinHash" not in k and "Jsonl" not in k)
    # The signature step pulls documents through the filters: its own share is what is left.
    signatures = max(0.0, step("MinHash stage 1") - upstream - step("Jsonl"))
    m["steps"] = {
        "language ID": step("Language ID"),
        "Gopher quality": step("Gopher Quality"),
        "Gopher repetition": step("Gopher Repetition"),
        "MinHash dedup": signatures + sum(v for k, v in report["stages"].items() if k != "filters+signatures"),
    }
    m["kept"] = report["kept"]
    return m


def kept_ids_curate(args, run):
    out = subprocess.run([args.curate, "sql", run, "select id from kept", "--format", "csv"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.splitlines()[1:])


def kept_ids_datatrove(out):
    with open(f"{out}/kept_ids.txt") as f:
        return set(line.strip() for line in f if line.strip())


def med(runs, key):
    return statistics.median(r[key] for r in runs)


def main():
    p = argparse.ArgumentParser()
    for a in ("--curate", "--datatrove-python", "--lid", "--sample", "--work"):
        p.add_argument(a, required=True)
    p.add_argument("--sizes", default="20,200")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--shard-mb", type=float, default=10)
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    results = []
    for mb in [float(s) for s in args.sizes.split(",")]:
        corpus = f"{args.work}/corpus-{mb:g}mb-in-{args.shard_mb:g}mb-files"
        if not os.path.isdir(corpus):
            subprocess.run([sys.executable, f"{HERE}/make-corpus.py", args.sample, corpus, str(mb), str(args.shard_mb)],
                           check=True, stdout=subprocess.DEVNULL)
        size = sum(os.path.getsize(f"{corpus}/{f}") for f in os.listdir(corpus))
        runs = {"curate": [], "datatrove": []}
        for r in range(args.runs):
            order = ["curate", "datatrove"] if r % 2 == 0 else ["datatrove", "curate"]
            for tool in order:
                out = f"{args.work}/{tool}-{mb:g}mb"
                m = run_curate(args, corpus, out) if tool == "curate" else run_datatrove(args, corpus, out)
                runs[tool].append(m)
                print(f"{mb:g} MB run {r + 1} {tool}: wall {m['wall']:.1f}s cpu {m['cpu']:.1f}s "
                      f"memory {m['peak_tree_mb']:.0f}MB kept {m['kept']}", file=sys.stderr, flush=True)
        docs = runs["curate"][0]["docs"]
        a = kept_ids_curate(args, f"{args.work}/curate-{mb:g}mb")
        b = kept_ids_datatrove(f"{args.work}/datatrove-{mb:g}mb")
        entry = {"mb": size / 1e6, "docs": docs, "runs": args.runs,
                 "overlap": {"curate": len(a), "datatrove": len(b), "both": len(a & b),
                             "jaccard": len(a & b) / max(1, len(a | b))}}
        for tool, rs in runs.items():
            cpu = med(rs, "cpu")
            entry[tool] = {
                "wall": med(rs, "wall"), "cpu": cpu, "peak_rss_mb": med(rs, "peak_tree_mb"),
                "docs_per_core_s": docs / cpu, "mb_per_core_s": size / 1e6 / cpu,
                "steps": {s: statistics.median(r["steps"][s] for r in rs) for s in rs[0]["steps"]},
            }
        entry["cpu_ratio"] = entry["datatrove"]["cpu"] / entry["curate"]["cpu"]
        entry["wall_ratio"] = entry["datatrove"]["wall"] / entry["curate"]["wall"]
        results.append(entry)
    with open(f"{args.work}/results.json", "w") as f:
        json.dump(results, f, indent=1)
    print(render(results))


def render(results):
    cores = os.cpu_count()
    lines = [f"| corpus | tool | wall | CPU | docs/s per core | MB/s per core | peak memory (PSS) | kept |",
             "|---|---|---|---|---|---|---|---|"]
    for e in results:
        for tool in ("curate", "datatrove"):
            t = e[tool]
            kept = e["overlap"][tool]
            lines.append(f"| {e['mb']:.0f} MB, {e['docs']:,} docs | {tool} | {t['wall']:.1f} s | {t['cpu']:.1f} s | "
                         f"{t['docs_per_core_s']:.0f} | {t['mb_per_core_s']:.2f} | {t['peak_rss_mb']:.0f} MB | {kept:,} |")
        lines.append(f"| | **datatrove / curate** | **{e['wall_ratio']:.1f}×** | **{e['cpu_ratio']:.1f}×** | | | "
                     f"| both keep {e['overlap']['both']:,} (Jaccard {e['overlap']['jaccard']:.2f}) |")
    lines += ["", "CPU seconds per step (medians; each tool's own timers, summed over workers):", "",
              "| corpus | step | curate | datatrove | datatrove / curate |", "|---|---|---|---|---|"]
    for e in results:
        for step, c in e["curate"]["steps"].items():
            d = e["datatrove"]["steps"][step]
            lines.append(f"| {e['mb']:.0f} MB | {step} | {c:.2f} s | {d:.2f} s | {d / c if c else float('nan'):.1f}× |")
    if len(results) > 1:
        lo, hi = results[0], results[-1]
        lines += ["", f"Peak RSS from {lo['mb']:.0f} MB to {hi['mb']:.0f} MB ({hi['mb'] / lo['mb']:.0f}× the input): "
                  f"curate {hi['curate']['peak_rss_mb'] / lo['curate']['peak_rss_mb']:.2f}×, "
                  f"datatrove {hi['datatrove']['peak_rss_mb'] / lo['datatrove']['peak_rss_mb']:.2f}×."]
    lines += ["", f"({cores} cores; medians of {results[0]['runs']} alternating runs.)"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
