#!/usr/bin/env python3
"""Builds curate's small real multilingual sample from registry data (no network of its own).

Usage: build-sample.py DATA_DIR CARGO_REGISTRY_SRC OUT_DIR

- DATA_DIR: what scripts/fetch-data.sh made (npm @stdlib datasets: State of the Union speeches,
  Moby-Dick, SpamAssassin emails).
- CARGO_REGISTRY_SRC: the cargo registry's src folder (`~/.cargo/registry/src`), holding lingua's language-model crates
  (their testdata/sentences.txt: 1,000 real sentences in each of 75 languages).
- OUT_DIR: gets multilingual.jsonl.gz (documents of 8 consecutive sentences, 12 per language,
  plus single-word lines as junk) and english.jsonl (speeches cut at paragraph groups, Moby-Dick
  chapters, 400 raw emails). Deterministic: the same inputs give the same bytes.
"""
import glob
import gzip
import json
import os
import re
import sys


def lingua_docs(registry):
    dirs = sorted(glob.glob(os.path.join(registry, "*", "lingua-*-language-model-*", "testdata")))
    if not dirs:
        sys.exit(f"no lingua testdata under {registry}: run `cargo fetch --locked` first")
    seen = set()
    for d in dirs:
        lang = re.search(r"lingua-(.+)-language-model", d).group(1)
        if lang in seen:
            continue
        seen.add(lang)
        with open(os.path.join(d, "sentences.txt"), encoding="utf-8") as f:
            sentences = [s.strip() for s in f if s.strip()]
        for i in range(12):
            chunk = sentences[i * 8:(i + 1) * 8]
            if chunk:
                yield {"id": f"lingua-{lang}-{i}", "text": " ".join(chunk), "origin": f"lingua/{lang}"}
        with open(os.path.join(d, "single-words.txt"), encoding="utf-8") as f:
            words = [w.strip() for w in f if w.strip()]
        yield {"id": f"lingua-{lang}-word", "text": words[0], "origin": f"lingua/{lang}/single-word"}


def english_docs(data):
    sotu = sorted(glob.glob(os.path.join(data, "stdlib/sotu/data/*.json")))
    for path in sotu[-60:]:
        with open(path, encoding="utf-8") as f:
            speech = json.load(f)
        paragraphs = [p for p in re.split(r"\n+", speech["text"]) if p.strip()]
        for i in range(0, len(paragraphs), 6):
            yield {"id": f"sotu-{speech['year']}-{i // 6}", "text": "\n\n".join(paragraphs[i:i + 6]),
                   "origin": "stdlib/sotu", "year": speech["year"]}
    for path in sorted(glob.glob(os.path.join(data, "stdlib/moby-dick/data/chapter_*.json"))):
        with open(path, encoding="utf-8") as f:
            chapter = json.load(f)
        yield {"id": f"moby-dick-{chapter['chapter']}", "text": chapter["text"], "origin": "stdlib/moby-dick"}
    emails = sorted(glob.glob(os.path.join(data, "stdlib/spam-assassin/data/*/*.json")))
    for path in emails[::30][:400]:
        with open(path, encoding="utf-8") as f:
            mail = json.load(f)
        yield {"id": f"mail-{mail['group']}-{mail['id']}", "text": mail["text"], "origin": "stdlib/spam-assassin"}


def main():
    data, registry, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    with gzip.GzipFile(os.path.join(out, "multilingual.jsonl.gz"), "wb", mtime=0) as f:
        for doc in lingua_docs(registry):
            f.write((json.dumps(doc, ensure_ascii=False) + "\n").encode("utf-8"))
    with open(os.path.join(out, "english.jsonl"), "w", encoding="utf-8") as f:
        for doc in english_docs(data):
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    print(f"sample ready in {out}")


if __name__ == "__main__":
    main()
