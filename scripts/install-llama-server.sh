#!/usr/bin/env bash
# Installs llama.cpp's OpenAI-compatible server, as packaged on PyPI by llama-cpp-python[server],
# into a virtual environment (default ~/.cache/curate-py/llama): the real server the HTTP judge
# backend is tested and benchmarked against. pip compiles llama.cpp from the sdist (about 10 min
# on 2 cores, once; reruns find it installed). Built with the same SIMD level as curate's own
# llama.cpp (.cargo/config.toml), so benchmarks compare like with like.
set -euo pipefail
venv=${1:-${CURATE_PY:-$HOME/.cache/curate-py}/llama}
version=0.3.16
if "$venv/bin/python" -c "import llama_cpp, llama_cpp.server, sys; sys.exit(llama_cpp.__version__ != '$version')" 2>/dev/null; then
  exit 0
fi
echo "installing llama-cpp-python[server]==$version into $venv (compiles llama.cpp)"
python3 -m venv "$venv"
CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DLLAMA_CURL=OFF" \
CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
  "$venv/bin/pip" install -q "llama-cpp-python[server]==$version"
