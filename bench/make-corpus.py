#!/usr/bin/env python3
"""Builds a JSONL corpus of a chosen size from curate's real sample (scripts/build-sample.py).

Usage: make-corpus.py SAMPLE_DIR OUT_DIR TOTAL_MB [SHARD_MB]

Cycles through the sample's real documents (speeches, chapters, emails, sentences in 75
languages) with unique ids until TOTAL_MB is written, in shards of SHARD_MB (default 100).
From the second round on, 30% of each document's words are swapped for other words of the same
document (seeded), so that copies are neither exact nor near duplicates of each other and the
dedup steps see a realistic number of distinct documents.
"""
import gzip
import json
import os
import random
import sys


def vary(text, rng):
    words = text.split(" ")
    if len(words) < 8:
        return text + f" {rng.randrange(10**9)}"
    for i in range(len(words)):
        if rng.random() < 0.3:
            words[i] = words[rng.randrange(len(words))]
    return " ".join(words)


def main():
    sample, out, total_mb = sys.argv[1], sys.argv[2], float(sys.argv[3])
    shard_mb = float(sys.argv[4]) if len(sys.argv) > 4 else 100.0
    docs = []
    with gzip.open(os.path.join(sample, "multilingual.jsonl.gz"), "rt", encoding="utf-8") as f:
        docs += [json.loads(l) for l in f]
    with open(os.path.join(sample, "english.jsonl"), encoding="utf-8") as f:
        docs += [json.loads(l) for l in f]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(42)
    total, limit, shard, i = 0, total_mb * 1e6, 0, 0
    while total < limit:
        path = os.path.join(out, f"corpus-{shard:04d}.jsonl")
        written = 0
        with open(path, "w", encoding="utf-8") as f:
            while written < shard_mb * 1e6 and total + written < limit:
                doc = dict(docs[i % len(docs)])
                doc["id"] = f"{doc['id']}-{i}"
                if i >= len(docs):
                    doc["text"] = vary(doc["text"], rng)
                line = json.dumps(doc, ensure_ascii=False) + "\n"
                f.write(line)
                written += len(line.encode("utf-8"))
                i += 1
        total += written
        shard += 1
    print(f"{out}: {shard} shards, {total / 1e6:.0f} MB, {i} documents")


if __name__ == "__main__":
    main()
