#!/usr/bin/env python3
"""The buckets and cluster phases alone at a chosen number of edges: wall time, CPU, peak memory.

A run of one tiny shard is planned with one MinHash step (14 bands x 8 rows, the bench's
parameters) and its filter task run; then that shard's signature and band files are replaced by
synthetic ones: N documents in clusters of 10 that share their signature and all 14 band values,
so the buckets link each document to its predecessor and the cluster phase verifies the links
(Jaccard 1.0) and finds 0.9 N duplicates. The band rows are written grouped by bucket, as filter
tasks leave them. Every `curate task --phase buckets` (one after another; the table shows their
sum and the largest peak), then `--phase cluster`, run under bench/measure.py. Needs pyarrow and
numpy (the virtualenv of scripts/install-test-python.sh).

usage: cluster-scale.py --curate BIN --work DIR --edges 1000000 [--edges ...]
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


def chunk_bands(start, n, seed):
    """The band values of documents start..start+n: one random value per cluster and band."""
    rng = np.random.default_rng(seed)
    first_cluster, last_cluster = start // CLUSTER, (start + n - 1) // CLUSTER
    cluster_band = rng.integers(0, 2**63, size=(last_cluster - first_cluster + 1, BANDS), dtype=np.uint64)
    doc = np.arange(start, start + n, dtype=np.uint64)
    return doc, cluster_band[(doc // CLUSTER - first_cluster).astype(np.int64)]


def write_synthetic(run, docs):
    sig_file = next(f for f in os.listdir(f"{run}/signatures") if f.endswith(".parquet"))
    band_file = next(f for f in os.listdir(f"{run}/bands") if f.endswith(".parquet"))
    sig_schema = pq.read_schema(f"{run}/signatures/{sig_file}")
    band_schema = pq.read_schema(f"{run}/bands/{band_file}")
    rng = np.random.default_rng(7)
    width = BANDS * ROWS * 4
    with pq.ParquetWriter(f"{run}/signatures/{sig_file}", sig_schema) as sigs:
        for start in range(0, docs, CHUNK):
            n = min(CHUNK, docs - start)
            doc = np.arange(start, start + n, dtype=np.uint64)
            first_cluster, last_cluster = start // CLUSTER, (start + n - 1) // CLUSTER
            cluster_sig = rng.integers(0, 2**32, size=(last_cluster - first_cluster + 1, BANDS * ROWS),
                                       dtype=np.uint32)
            sig = np.ascontiguousarray(cluster_sig[(doc // CLUSTER - first_cluster).astype(np.int64)])
            sig_array = pa.FixedSizeBinaryArray.from_buffers(
                pa.binary(width), n, [None, pa.py_buffer(sig.tobytes())]).cast(pa.binary())
            sigs.write_table(pa.Table.from_arrays([
                pa.array(doc, pa.uint64()), pa.array([f"d{d}" for d in range(start, start + n)]),
                pa.array(["synthetic"] * n), pa.array(doc + 1, pa.uint64()),
                pa.array(np.zeros(n, np.uint64), pa.uint64()), sig_array,
            ], schema=sig_schema))
    # Band rows grouped by bucket (band % BUCKETS), as a filter task sorts them: each chunk's
    # bands are drawn again (same seed) for every bucket.
    with pq.ParquetWriter(f"{run}/bands/{band_file}", band_schema) as bands:
        for k in range(BUCKETS):
            for c, start in enumerate(range(0, docs, CHUNK)):
                doc, band = chunk_bands(start, min(CHUNK, docs - start), 1000 + c)
                rows = np.repeat(doc, BANDS)
                band = band.reshape(-1)
                keep = band % BUCKETS == k
                m = int(keep.sum())
                bands.write_table(pa.Table.from_arrays([
                    pa.array(rows[keep], pa.uint64()), pa.array(np.zeros(m, np.uint32), pa.uint32()),
                    pa.array(band[keep], pa.uint64()), pa.array(np.zeros(m, np.uint64), pa.uint64()),
                    pa.array(np.full(m, k, np.uint32), pa.uint32()),
                ], schema=band_schema))


def task(phase, index, curate, run):
    return measure(f"{phase} {index}", [curate, "task", "--run", run, "--phase", phase, "--index", str(index)])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--curate", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--edges", type=int, action="append", required=True)
    p.add_argument("--memory", default="", help="[run] dedup_memory (DuckDB's limit), e.g. 4GB")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    shard = f"{args.work}/one.jsonl"
    with open(shard, "w") as f:
        f.write(json.dumps({"id": "x", "text": "one small document of a few words for the plan"}) + "\n")
    config = f"{args.work}/minhash.toml"
    with open(config, "w") as f:
        memory = f'dedup_memory = "{args.memory}"\n' if args.memory else ""
        f.write(f'stage = "pretrain"\n[run]\n{memory}dedup_buckets = {BUCKETS}\n\n[[steps]]\nfilter = "minhash_dedup"\n')
    print("| edges | documents | signature + band files | buckets phase: CPU (16 tasks), largest peak | "
          "cluster: wall, CPU, peak |")
    print("|---|---|---|---|---|")
    for edges in args.edges:
        docs = edges * CLUSTER // (CLUSTER - 1)
        run = f"{args.work}/cluster-{edges}"
        shutil.rmtree(run, ignore_errors=True)
        subprocess.run([args.curate, "plan", "--config", config, "--input", shard, "--output", run,
                        "--keep-intermediates"], check=True, capture_output=True)
        subprocess.run([args.curate, "task", "--run", run, "--phase", "filter", "--index", "0"],
                       check=True, capture_output=True)
        write_synthetic(run, docs)
        size = sum(os.path.getsize(os.path.join(d, f)) for sub in ("signatures", "bands")
                   for d, _, fs in os.walk(f"{run}/{sub}") for f in fs)
        buckets = [task("buckets", k, args.curate, run) for k in range(BUCKETS)]
        m = task("cluster", 0, args.curate, run)
        with open(f"{run}/done/dedup.json") as f:
            found = json.load(f)["per_step"][0]
        assert found == docs - -(-docs // CLUSTER), (found, docs)
        print(f"| {found:,} | {docs:,} | {size / 1e9:.2f} GB | {sum(b['cpu'] for b in buckets):.0f} s, "
              f"{max(b['peak_tree_mb'] for b in buckets) / 1e3:.2f} GB | {m['wall']:.0f} s, {m['cpu']:.0f} s, "
              f"{m['peak_tree_mb'] / 1e3:.2f} GB |", flush=True)
        shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    main()
