//! Links curate to DuckDB's shared library unless the `bundled-duckdb` feature compiles DuckDB in.
//! The library is looked up at run time next to the installed binary (`../lib/curate`, where
//! scripts/install.sh puts it) and then where it was linked from (`.deps/duckdb` in the clone).

use std::env;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-env-changed=DUCKDB_LIB_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    if env::var_os("CARGO_FEATURE_BUNDLED_DUCKDB").is_some() {
        return;
    }
    let dir = env::var("DUCKDB_LIB_DIR").unwrap_or_default();
    let lib = Path::new(&dir).join("libduckdb.so");
    if !lib.is_file() {
        panic!(
            "\n\ncurate links DuckDB's shared library, and {} is missing.\n\
             Run scripts/install-build-deps.sh (it fetches libduckdb 1.5.6 from npm), or build with\n\
             `--features bundled-duckdb` to compile DuckDB from source (about 50 min on 2 cores).\n\n",
            lib.display()
        );
    }
    println!("cargo:rerun-if-changed={}", lib.display());
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,$ORIGIN/../lib/curate:{dir}");
    }
}
