#!/usr/bin/env python3
"""fastText's own predictions, from its Python binding, for checking curate's Rust inference.

Usage: fasttext-predict.py MODEL LINES_JSONL K OUT_JSONL

LINES_JSONL holds one JSON string per line: the exact line to predict on (ending in "\\n" as
the binding's `predict` would add it). OUT_JSONL gets, per line, the K best [label, probability]
pairs in fastText's order. Calls the binding's low-level `predict` (what `FastText.predict`
calls after adding the newline), so that no numpy conversion is involved.
"""
import json
import sys

import fasttext


def main():
    model_path, lines_path, k, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    fasttext.FastText.eprint = lambda *args, **kwargs: None  # the load-time warning
    model = fasttext.load_model(model_path)
    with open(lines_path, encoding="utf-8") as lines, open(out_path, "w", encoding="utf-8") as out:
        for raw in lines:
            line = json.loads(raw)
            predictions = model.f.predict(line, k, 0.0, "strict")
            out.write(json.dumps([[label, prob] for prob, label in predictions]) + "\n")


if __name__ == "__main__":
    main()
