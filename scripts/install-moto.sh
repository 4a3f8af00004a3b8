#!/usr/bin/env bash
# Installs moto (an S3-compatible server, run on the loopback address by the object-store
# tests: it enforces S3's 5 MiB minimum multipart part and pages listings at 1,000 keys) and
# boto3 (the tests' own S3 client for fixtures) into a virtual environment (default
# ~/.cache/curate-py/moto). Idempotent. Prints nothing when already installed.
set -euo pipefail
venv=${1:-${CURATE_PY:-$HOME/.cache/curate-py}/moto}
moto=5.2.5
boto3=1.44.8
if "$venv/bin/python" -c "
import sys, importlib.metadata as m
sys.exit(m.version('moto') != '$moto' or m.version('boto3') != '$boto3')" 2>/dev/null &&
  [ -x "$venv/bin/moto_server" ]; then
  exit 0
fi
echo "installing moto[server]==$moto boto3==$boto3 into $venv"
python3 -m venv "$venv"
"$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$moto" "boto3==$boto3"
"$venv/bin/python" -c "import moto, boto3, flask"
test -x "$venv/bin/moto_server"
