#!/usr/bin/env bash
# Runs cargo with the given arguments, its output shown as usual, and when it fails ends with one
# line naming the likely cause and the fix (cargo's own message can be thousands of lines up).
set -uo pipefail
here=$(dirname "$0")
# The shared target directory and libraries: without them a build from a bare shell would go to
# ./target and leave "$CARGO_TARGET_DIR"/release/curate stale (env.sh keeps what is already set).
. "$here/env.sh"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# A fresh clone reuses the last build of unchanged files (see source-mtimes.sh).
"$here/source-mtimes.sh" restore || true
cargo "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
"$here/source-mtimes.sh" record || true
[ "$rc" = 0 ] && exit 0
explain() { echo; echo "curate: cargo $1 failed: $2" >&2; exit "$rc"; }
grep -q 'Unable to find libclang' "$log" &&
  explain "$1" "libclang is missing (apt-get install libclang-dev; scripts/install-build-deps.sh does it), or set LIBCLANG_PATH"
grep -qiE 'is `cmake` not installed|failed to execute command.*cmake' "$log" &&
  explain "$1" "CMake is missing (apt-get install cmake; scripts/install-build-deps.sh does it)"
grep -qE 'libduckdb.so is missing|cannot find -lduckdb|unable to find library -lduckdb' "$log" &&
  explain "$1" "DuckDB's library is missing: run scripts/fetch-libduckdb.sh, or build with --features bundled-duckdb"
grep -q 'No space left on device' "$log" &&
  explain "$1" "the disk is full (the target directory ${CARGO_TARGET_DIR:-target} needs about 10 GB)"
grep -qE 'linker `cc` not found|error: linker' "$log" &&
  explain "$1" "no working C linker (apt-get install g++)"
grep -q 'failed to select a version\|lock file .* needs to be updated' "$log" &&
  explain "$1" "Cargo.lock does not match Cargo.toml (a local edit?); git checkout Cargo.lock"
grep -qE 'Killed|signal: 9' "$log" &&
  explain "$1" "a compiler was killed, likely out of memory (try CARGO_BUILD_JOBS=1)"
explain "$1" "see the first 'error' above"
