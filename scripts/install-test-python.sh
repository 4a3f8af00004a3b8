#!/usr/bin/env bash
# Installs the Python packages the tests use into a virtual environment (default
# ~/.cache/curate-py/hf): Hugging Face `datasets` (with pyarrow), whose own writers make the
# dataset folders (save_to_disk, Parquet shards, a Hub README) that curate must read as their
# metadata says; Hugging Face `tokenizers` and `gguf`, which rebuild a GGUF model's BPE
# tokenizer independently of llama.cpp to check curate's token counts; fastText's own Python
# binding (the `fasttext-wheel` build of fastText 0.9.2), against which curate's Rust fastText
# inference is checked. Idempotent. Prints nothing when already installed.
set -euo pipefail
venv=${1:-${CURATE_PY:-$HOME/.cache/curate-py}/hf}
datasets=5.2.0
tokenizers=0.23.3
gguf=0.19.0
fasttext=0.9.2
if "$venv/bin/python" -c "
import datasets, huggingface_hub, tokenizers, gguf, fasttext, sys, importlib.metadata as m
sys.exit(datasets.__version__ != '$datasets' or tokenizers.__version__ != '$tokenizers' or m.version('gguf') != '$gguf'
         or m.version('fasttext-wheel') != '$fasttext')" 2>/dev/null; then
  exit 0
fi
echo "installing datasets==$datasets tokenizers==$tokenizers gguf==$gguf fasttext-wheel==$fasttext into $venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "datasets==$datasets" "tokenizers==$tokenizers" "gguf==$gguf" \
  "fasttext-wheel==$fasttext"
"$venv/bin/python" -c "import datasets, huggingface_hub, tokenizers, gguf, fasttext"
