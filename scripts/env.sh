# Sourced by the project's scripts: where builds, data and prebuilt libraries live, all outside
# the clone so that every clone shares them (and a fresh clone rebuilds nothing).
#   CARGO_TARGET_DIR  build output            (default ~/.cache/curate-target)
#   CURATE_DATA       real test/bench data    (default ~/.cache/curate-data)
#   CURATE_DEPS       prebuilt libraries      (default ~/.cache/curate-deps)
#   CURATE_PY         Python virtualenvs of tests and benchmarks (default ~/.cache/curate-py)
#   DUCKDB_LIB_DIR    libduckdb.so, linked by the duckdb crate and found at run time
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/curate-target}
export CURATE_DATA=${CURATE_DATA:-$HOME/.cache/curate-data}
export CURATE_DEPS=${CURATE_DEPS:-$HOME/.cache/curate-deps}
export CURATE_PY=${CURATE_PY:-$HOME/.cache/curate-py}
export DUCKDB_LIB_DIR=${DUCKDB_LIB_DIR:-$CURATE_DEPS/duckdb}
