#!/usr/bin/env bash
# Installs what building curate needs, by name, and checks the result:
#   - Debian packages: cmake, libclang-dev and g++ (llama.cpp, the embedded judge, is compiled by
#     the llama-cpp-sys-2 crate with CMake, and its bindings are made with libclang), pkg-config,
#     python3-venv (the test and bench scripts make virtual environments: datasets, moto, llama);
#   - DuckDB's shared library, libduckdb.so 1.5.6, from npm's @duckdb/node-bindings-linux-<arch>
#     package, into $DUCKDB_LIB_DIR (see scripts/fetch-libduckdb.sh): linking it saves compiling
#     DuckDB's C++ (about 50 minutes on 2 cores). `cargo build --features bundled-duckdb` compiles
#     DuckDB instead, for a binary with no shared library beside it.
# Debian/Ubuntu only (apt-get). Elsewhere, install the same things by hand: a C++ compiler, CMake,
# libclang (LLVM), and either libduckdb 1.5.6 in $DUCKDB_LIB_DIR or the bundled-duckdb feature.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

packages=(cmake libclang-dev g++ pkg-config python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing build dependencies: ${missing[*]}"
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: apt-get not found; install by hand: a C++ compiler, CMake and libclang (LLVM)" >&2
    exit 1
  fi
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Check what was installed: the tools run, and libclang (the library bindgen loads, not
# libclang-cpp) is found where clang-sys looks for it.
fail() { echo "error: $1" >&2; exit 1; }
command -v cmake >/dev/null || fail "cmake is not on the PATH (apt-get install cmake)"
command -v c++ >/dev/null || fail "no C++ compiler on the PATH (apt-get install g++)"
python3 -c "import ensurepip, venv" || fail "python3 cannot make virtual environments (apt-get install python3-venv)"
libclang=$(ls /usr/lib/llvm-*/lib/libclang.so /usr/lib/*/libclang.so /usr/lib/*/libclang-*.so.* 2>/dev/null | head -n 1 || true)
[ -n "$libclang" ] || fail "libclang.so not found (apt-get install libclang-dev, or set LIBCLANG_PATH)"
python3 -c "import ctypes, sys; ctypes.CDLL(sys.argv[1]).clang_getClangVersion" "$libclang" \
  || fail "$libclang does not load as libclang (apt-get install --reinstall libclang-dev)"

scripts/fetch-libduckdb.sh
