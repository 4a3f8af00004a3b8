#!/usr/bin/env bash
# Puts DuckDB's shared library (libduckdb.so 1.5.6, the release the `duckdb` crate 1.10506.0 is
# made for) into $DUCKDB_LIB_DIR (scripts/env.sh: ~/.cache/curate-deps/duckdb, shared by every
# clone) and links .deps/duckdb in the clone to it, where .cargo/config.toml points a plain
# `cargo build`. It comes from
# DuckDB's own npm package @duckdb/node-bindings-linux-<arch> (MIT), which ships the library built
# by DuckDB's CI with the parquet and json extensions inside. Idempotent; checks the SHA-256.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
version=1.5.6-r.1
dest=$DUCKDB_LIB_DIR
link() { mkdir -p .deps; [ "$(readlink .deps/duckdb 2>/dev/null)" = "$dest" ] || { rm -rf .deps/duckdb; ln -s "$dest" .deps/duckdb; }; }
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) arch=x64; sha=3f4962cdd266eab2b479a5b5a4a6d063d279b2954ae814ed00385d553b747633 ;;
  Linux-aarch64) arch=arm64; sha= ;;
  *)
    echo "error: no prebuilt libduckdb for $(uname -s)-$(uname -m); build with --features bundled-duckdb" >&2
    exit 1 ;;
esac
if [ -f "$dest/libduckdb.so" ] && [ -f "$dest/VERSION" ] && [ "$(cat "$dest/VERSION")" = "$version" ]; then
  link
  exit 0
fi
command -v npm >/dev/null || { echo "error: npm is needed to fetch libduckdb (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetching libduckdb $version (@duckdb/node-bindings-linux-$arch from npm)"
(cd "$tmp" && npm pack --silent "@duckdb/node-bindings-linux-$arch@$version" >/dev/null)
tar xzf "$tmp"/*.tgz -C "$tmp" package/libduckdb.so
if [ -n "$sha" ]; then
  echo "$sha  $tmp/package/libduckdb.so" | sha256sum -c --quiet - \
    || { echo "error: libduckdb.so from npm does not have the expected SHA-256" >&2; exit 1; }
fi
mkdir -p "$dest"
mv "$tmp/package/libduckdb.so" "$dest/libduckdb.so"
echo "$version" > "$dest/VERSION"
link
