#!/usr/bin/env python3
"""The dedup phases after filter at a chosen number of edges: CPU and peak memory per phase.

A run of S tiny shards is planned with one MinHash step (14 bands x 8 rows, the bench's
parameters) and its filter tasks run; then each shard's signature and band files are replaced by
synthetic ones: N documents in clusters of 10 that share their signature and all 14 band values,
dealt round-robin over the shards (so most pairs join two shards), so the buckets link each
document to its predecessor, the attach and verify phases check every link (Jaccard 1.0) and the
cluster phase finds 0.9 N duplicates. The band rows are written grouped by bucket, as filter tasks
leave them. Every task of the buckets, attach, verify and cluster phases runs as its own
`curate task` process, one after another, under bench/measure.py; the table shows each phase's
CPU (all its tasks) and its largest task's peak memory. Needs pyarrow and numpy (the virtualenv
of scripts/install-test-python.sh).

With --cluster-only, the signature files hold no signatures and the edges are written directly
(each document linked to its predecessor in its cluster, as verify would leave them), the
earlier phases marked done, and only the cluster task runs: its memory and time at sizes whose
full intermediates (a signature per candidate pair in `attached/`, about 0.5 KB) would not fit
this machine's disk.

usage: cluster-scale.py --curate BIN --work DIR --edges 1000000 [--edges ...] [--shards 8] [--cluster-only]
"""
import argparse
import json
import os
import shutil
import subprocess

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from compare import measure

BANDS, ROWS, CLUSTER = 14, 8, 10
CHUNK = 500_000  # documents per row group written
BUCKETS = 16  # [run] dedup_buckets


def mix(x):
    """splitmix64 of a uint64 array: the synthetic hash values, the same whichever chunk asks."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def shard_docs(shard, shards, docs):
    """The global numbers of shard `shard`'s documents (round-robin), in chunks."""
    g = np.arange(shard, docs, shards, dtype=np.uint64)
    for start in range(0, len(g), CHUNK):
        yield start, g[start:start + CHUNK]


def write_synthetic(run, shard, shards, docs):
    sig_file = sorted(f for f in os.listdir(f"{run}/signatures") if f.endswith(".parquet"))[shard]
    band_file = sorted(f for f in os.listdir(f"{run}/bands") if f.endswith(".parquet"))[shard]
    sig_schema = pq.read_schema(f"{run}/signatures/{sig_file}")
    band_schema = pq.read_schema(f"{run}/bands/{band_file}")
    width = BANDS * ROWS * 4
    base = np.uint64(shard << 32)
    with pq.ParquetWriter(f"{run}/signatures/{sig_file}", sig_schema) as sigs:
        for start, g in shard_docs(shard, shards, docs):
            n = len(g)
            doc = base + np.arange(start, start + n, dtype=np.uint64)
            cluster = g // np.uint64(CLUSTER)
            sig = (mix(cluster[:, None] * np.uint64(BANDS * ROWS) + np.arange(BANDS * ROWS, dtype=np.uint64))
                   & np.uint64(0xFFFFFFFF)).astype(np.uint32)
            sig_array = pa.FixedSizeBinaryArray.from_buffers(
                pa.binary(width), n, [None, pa.py_buffer(np.ascontiguousarray(sig).tobytes())]).cast(pa.binary())
            sigs.write_table(pa.Table.from_arrays([
                pa.array(doc, pa.uint64()), pa.array([f"d{x}" for x in g]),
                pa.array(["synthetic"] * n), pa.array(g + np.uint64(1), pa.uint64()),
                pa.array(np.zeros(n, np.uint64), pa.uint64()), sig_array,
            ], schema=sig_schema))
    # Band rows grouped by bucket (band % BUCKETS), as a filter task sorts them.
    with pq.ParquetWriter(f"{run}/bands/{band_file}", band_schema) as out:
        for k in range(BUCKETS):
            for start, g in shard_docs(shard, shards, docs):
                doc = base + np.arange(start, start + len(g), dtype=np.uint64)
                cluster = g // np.uint64(CLUSTER)
                band = mix(cluster[:, None] * np.uint64(BANDS) + np.arange(BANDS, dtype=np.uint64)
                           + np.uint64(1 << 62)).reshape(-1)
                rows = np.repeat(doc, BANDS)
                keep = band % np.uint64(BUCKETS) == np.uint64(k)
                m = int(keep.sum())
                out.write_table(pa.Table.from_arrays([
                    pa.array(rows[keep], pa.uint64()), pa.array(np.zeros(m, np.uint32), pa.uint32()),
                    pa.array(band[keep], pa.uint64()), pa.array(np.zeros(m, np.uint64), pa.uint64()),
                    pa.array(np.full(m, k, np.uint32), pa.uint32()),
                ], schema=band_schema))


def doc_number(g, shards):
    """The run's number of global document g: its shard << 32 | its ordinal there."""
    return ((g % np.uint64(shards)) << np.uint64(32)) | (g // np.uint64(shards))


def write_edges_only(run, shard, shards, docs):
    """Signature rows without signatures, and the edges verify would find, for one shard."""
    sig_file = sorted(f for f in os.listdir(f"{run}/signatures") if f.endswith(".parquet"))[shard]
    sig_schema = pq.read_schema(f"{run}/signatures/{sig_file}")
    edge_schema = pa.schema([("step", pa.uint32()), ("a", pa.uint64()), ("b", pa.uint64()), ("score", pa.float64())])
    os.makedirs(f"{run}/edges", exist_ok=True)
    with pq.ParquetWriter(f"{run}/signatures/{sig_file}", sig_schema) as sigs, \
            pq.ParquetWriter(f"{run}/edges/synthetic-{shard}.parquet", edge_schema) as edges:
        for start, g in shard_docs(shard, shards, docs):
            n = len(g)
            doc = doc_number(g, shards)
            sigs.write_table(pa.Table.from_arrays([
                pa.array(doc, pa.uint64()), pa.array([f"d{x}" for x in g]),
                pa.array(["synthetic"] * n), pa.array(g + np.uint64(1), pa.uint64()),
                pa.array(np.zeros(n, np.uint64), pa.uint64()), pa.array([b""] * n, pa.binary()),
            ], schema=sig_schema))
            linked = g % np.uint64(CLUSTER) != 0
            b = doc[linked]
            a = doc_number(g[linked] - np.uint64(1), shards)
            m = len(b)
            edges.write_table(pa.Table.from_arrays([
                pa.array(np.zeros(m, np.uint32)), pa.array(a), pa.array(b), pa.array(np.ones(m)),
            ], schema=edge_schema))


def mark_done(run, phase, count):
    os.makedirs(f"{run}/done/{phase}", exist_ok=True)
    for i in range(count):
        with open(f"{run}/done/{phase}/{i}.json", "w") as f:
            f.write('{"rows": 0}')


def task(phase, index, curate, run):
    """One task under measure.py; its log (stderr) kept in RUN/logs/<phase>-<index>.log."""
    os.makedirs(f"{run}/logs", exist_ok=True)
    return measure(f"{phase} {index}", ["sh", "-c", f'exec "$0" task --run "$1" --phase {phase} --index {index} '
                                        f'2> "$1/logs/{phase}-{index}.log"', curate, run])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--curate", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--edges", type=int, action="append", required=True)
    p.add_argument("--shards", type=int, default=8)
    p.add_argument("--cluster-only", action="store_true")
    p.add_argument("--memory", default="", help="[run] dedup_memory (DuckDB's limit), e.g. 4GB")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    inputs = []
    for k in range(args.shards):
        inputs.append(f"{args.work}/shard-{k:03}.jsonl")
        with open(inputs[-1], "w") as f:
            f.write(json.dumps({"id": f"x{k}", "text": "one small document of a few words for the plan"}) + "\n")
    config = f"{args.work}/minhash.toml"
    with open(config, "w") as f:
        memory = f'dedup_memory = "{args.memory}"\n' if args.memory else ""
        f.write(f'stage = "pretrain"\n[run]\n{memory}dedup_buckets = {BUCKETS}\n\n[[steps]]\nfilter = "minhash_dedup"\n')
    phases = [("buckets", BUCKETS), ("attach", args.shards), ("verify", args.shards), ("cluster", 1)]
    print(f"{args.shards} shards, {BUCKETS} buckets; per phase: CPU of all its tasks, largest task's peak memory\n")
    print("| edges | documents | signature, band (and edge) files | " + " | ".join(p for p, _ in phases) + " |")
    print("|---|---|---|" + "---|" * len(phases))
    for edges in args.edges:
        docs = edges * CLUSTER // (CLUSTER - 1)
        run = f"{args.work}/cluster-{edges}"
        shutil.rmtree(run, ignore_errors=True)
        subprocess.run([args.curate, "plan", "--config", config, "--input", *inputs, "--output", run,
                        "--keep-intermediates"], check=True, capture_output=True)
        for k in range(args.shards):
            subprocess.run([args.curate, "task", "--run", run, "--phase", "filter", "--index", str(k)],
                           check=True, capture_output=True)
            if args.cluster_only:
                write_edges_only(run, k, args.shards, docs)
            else:
                write_synthetic(run, k, args.shards, docs)
        size = sum(os.path.getsize(os.path.join(d, f)) for sub in ("signatures", "bands", "edges")
                   for d, _, fs in os.walk(f"{run}/{sub}") for f in fs)
        cells = []
        for phase, count in phases:
            if args.cluster_only and phase != "cluster":
                mark_done(run, phase, count)
                cells.append("-")
                continue
            ms = [task(phase, i, args.curate, run) for i in range(count)]
            cells.append(f"{sum(m['cpu'] for m in ms):.0f} s, {max(m['peak_tree_mb'] for m in ms) / 1e3:.2f} GB")
        with open(f"{run}/done/dedup.json") as f:
            found = json.load(f)["per_step"][0]
        assert found == docs - -(-docs // CLUSTER), (found, docs)
        print(f"| {found:,} | {docs:,} | {size / 1e9:.2f} GB | " + " | ".join(cells) + " |", flush=True)
        with open(f"{run}/logs/cluster-0.log") as f:
            parts = [line.strip() for line in f if "dedup step" in line or "written in" in line]
        print(f"  (cluster task: {'; '.join(parts)})", flush=True)
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    main()
