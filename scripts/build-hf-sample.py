#!/usr/bin/env python3
"""Writes Hugging Face dataset folders of real text with the `datasets` library's own writers:

  OUT/saved/      DatasetDict.save_to_disk: dataset_dict.json, train/ and test/ with Arrow files,
                  dataset_info.json and state.json
  OUT/hub/        a Hub repository's layout: data/train-*.parquet and data/test-*.parquet
                  (Dataset.to_parquet) and a README.md whose YAML `configs` name them
                  (huggingface_hub's DatasetCard)
  OUT/named/      no metadata: train.jsonl, test.jsonl, validation.jsonl (Dataset.to_json)

Each split's ids start with its name (train-0, test-0, ...), so a reader that mixes splits is
caught. Usage: build-hf-sample.py CURATE_DATA OUT  (run with the venv of install-test-python.sh)
"""
import json
import pathlib
import sys

import datasets
from huggingface_hub import DatasetCard, DatasetCardData

data, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])


def texts(name, limit):
    files = sorted((data / "stdlib" / name / "data").rglob("*.json"))
    got = []
    for f in files:
        try:
            t = json.loads(f.read_text()).get("text")
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(t, str):
            got.append(t)
        if len(got) == limit:
            break
    return got


pool = texts("sotu", 60) + texts("moby-dick", 60)
splits = {"train": pool[:80], "test": pool[80:100], "validation": pool[100:120]}
dd = datasets.DatasetDict({
    name: datasets.Dataset.from_dict({"id": [f"{name}-{i}" for i in range(len(t))], "content": t})
    for name, t in splits.items()
})

dd.save_to_disk(str(out / "saved"))

hub = out / "hub"
(hub / "data").mkdir(parents=True, exist_ok=True)
for name, ds in dd.items():
    ds.to_parquet(str(hub / "data" / f"{name}-00000-of-00001.parquet"))
card_data = DatasetCardData(configs=[{
    "config_name": "default",
    "data_files": [{"split": name, "path": f"data/{name}-*"} for name in dd],
}])
DatasetCard(f"---\n{card_data.to_yaml()}\n---\n\n# Speeches and chapters\n").save(str(hub / "README.md"))

named = out / "named"
named.mkdir(parents=True, exist_ok=True)
for name, ds in dd.items():
    ds.to_json(str(named / f"{name}.jsonl"), lines=True)
print(json.dumps({name: len(ds) for name, ds in dd.items()}))
