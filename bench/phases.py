#!/usr/bin/env python3
"""The phases of a distributed run, measured task by task: what a cluster would spend per phase.

Plans curate's pretrain stage (bench/pretrain.toml) over a corpus of real text cut into shards
(bench/make-corpus.py), then runs every task of every phase as its own `curate task` process, one
at a time, each under bench/measure.py (CPU seconds, peak RSS of the process tree). Prints per
phase: tasks, CPU seconds in all and per GB of input, the largest peak memory of one task, and
the files the phase wrote; and the cluster phase's candidate links (edges) and duplicates.

usage: phases.py --curate BIN --lid MODEL --sample DIR --work DIR [--mb 200] [--shard-mb 10]
                 [--threads 1]
(bench/phases.sh installs what it needs and calls it.)
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

from compare import measure, write_config

HERE = os.path.dirname(os.path.abspath(__file__))


def files_under(path):
    return sum(len(files) for _, _, files in os.walk(path))


def main():
    p = argparse.ArgumentParser()
    for a in ("--curate", "--lid", "--sample", "--work"):
        p.add_argument(a, required=True)
    p.add_argument("--mb", type=float, default=200)
    p.add_argument("--shard-mb", type=float, default=10)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    corpus = f"{args.work}/corpus-{args.mb:g}mb-in-{args.shard_mb:g}mb-files"
    if not os.path.isdir(corpus):
        subprocess.run([sys.executable, f"{HERE}/make-corpus.py", args.sample, corpus, str(args.mb),
                        str(args.shard_mb)], check=True, stdout=subprocess.DEVNULL)
    size = sum(os.path.getsize(f"{corpus}/{f}") for f in os.listdir(corpus))
    run = f"{args.work}/phases-{args.mb:g}mb"
    shutil.rmtree(run, ignore_errors=True)
    config_path = write_config(args.lid, f"{args.work}/phases-pretrain.toml")
    plan = subprocess.run([args.curate, "plan", "--config", config_path, "--input", corpus, "--output", run,
                           "--threads", str(args.threads), "--keep-intermediates"],
                          check=True, capture_output=True, text=True).stdout
    phases = [(line.split()[1], int(line.split()[2])) for line in plan.splitlines()
              if line.strip().startswith("phase ")]
    rows = []
    for phase, count in phases:
        before = files_under(run)
        cpu, peak, wall = 0.0, 0.0, 0.0
        for i in range(count):
            m = measure(f"{phase} {i}", [args.curate, "task", "--run", run, "--phase", phase, "--index", str(i)])
            cpu += m["cpu"]
            wall += m["wall"]
            peak = max(peak, m["peak_tree_mb"])
        rows.append({"phase": phase, "tasks": count, "cpu_s": cpu, "wall_s": wall,
                     "cpu_s_per_gb": cpu / (size / 1e9), "peak_task_mb": peak,
                     "files_written": files_under(run) - before})
        print(f"{phase}: {count} tasks, cpu {cpu:.1f} s, peak {peak:.0f} MB", file=sys.stderr, flush=True)
    with open(f"{run}/manifest.json") as f:
        manifest = json.load(f)
    dups = subprocess.run([args.curate, "sql", run, "select count(*) from rejected where step like '%dedup%'",
                           "--format", "csv"], check=True, capture_output=True, text=True).stdout.split()[-1]
    result = {"mb": size / 1e6, "docs": manifest["counts"]["input"], "threads": args.threads,
              "duplicates": int(dups), "phases": rows}
    with open(f"{args.work}/phases-{args.mb:g}mb.json", "w") as f:
        json.dump(result, f, indent=1)
    print(f"\n{result['mb']:.0f} MB, {result['docs']} documents in {phases[0][1]} shards, "
          f"{args.threads} thread(s) per task; {result['duplicates']} duplicates\n")
    print("| phase | tasks | CPU s | CPU s per GB | largest task peak RSS | files written |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['phase']} | {r['tasks']} | {r['cpu_s']:.1f} | {r['cpu_s_per_gb']:.0f} | "
              f"{r['peak_task_mb']:.0f} MB | {r['files_written']} |")


if __name__ == "__main__":
    main()
