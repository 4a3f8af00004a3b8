#!/usr/bin/env bash
# Installs the Python packages the tests write real inputs with into a virtual environment
# (default ~/.cache/curate-py/hf): Hugging Face `datasets` (with pyarrow), whose own writers make
# the dataset folders (save_to_disk, Parquet shards, a Hub README) that curate must read as
# their metadata says. Idempotent. Prints nothing when already installed.
set -euo pipefail
venv=${1:-${CURATE_PY:-$HOME/.cache/curate-py}/hf}
version=5.2.0
if "$venv/bin/python" -c "import datasets, huggingface_hub, sys; sys.exit(datasets.__version__ != '$version')" 2>/dev/null; then
  exit 0
fi
echo "installing datasets==$version into $venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "datasets==$version"
"$venv/bin/python" -c "import datasets, huggingface_hub"
