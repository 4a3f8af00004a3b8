#!/usr/bin/env bash
# Builds curate in release mode and installs it: PREFIX/bin/curate and, beside it,
# PREFIX/lib/curate/libduckdb.so (the binary looks there first). PREFIX defaults to ~/.local;
# make sure PREFIX/bin is on your PATH. Usage: scripts/install.sh [PREFIX]
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${1:-$HOME/.local}
. scripts/env.sh
scripts/install-build-deps.sh
scripts/cargo.sh build --release --locked
install -d "$prefix/bin" "$prefix/lib/curate"
install -m 755 "$CARGO_TARGET_DIR/release/curate" "$prefix/bin/curate"
install -m 644 "$DUCKDB_LIB_DIR/libduckdb.so" "$prefix/lib/curate/libduckdb.so"
echo "installed $prefix/bin/curate ($("$prefix/bin/curate" --version))"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "note: $prefix/bin is not on your PATH; add it: export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
