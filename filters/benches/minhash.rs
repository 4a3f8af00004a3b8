//! MinHash signature throughput on real text, one core: `cargo bench -p curate-filters --bench minhash`.
//!
//! Reads State of the Union speeches and Moby-Dick chapters from `$CURATE_DATA` (what
//! `scripts/fetch-data.sh` fetched) and reports MB/s for normalization + signature + bands,
//! and for the signature alone.

use std::path::PathBuf;
use std::time::Instant;

use curate_filters::dedup::minhash::{MinHashParams, MinHasher};
use curate_filters::dedup::normalize::Normalization;
use curate_filters::dedup::DedupMethod;

fn texts() -> Vec<String> {
    let data = std::env::var_os("CURATE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/curate-data"));
    let mut out = Vec::new();
    for dataset in ["sotu", "moby-dick"] {
        let dir = data.join("stdlib").join(dataset).join("data");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}; run scripts/fetch-data.sh", dir.display()))
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "txt"))
            .collect();
        files.sort();
        out.extend(files.iter().map(|p| std::fs::read_to_string(p).unwrap()));
    }
    out
}

fn measure(label: &str, texts: &[String], mut f: impl FnMut(&str) -> usize) {
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut sink = 0;
    let start = Instant::now();
    let mut rounds = 0;
    while start.elapsed().as_secs_f64() < 3.0 {
        for t in texts {
            sink += f(t);
        }
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{label:<44} {:>7.1} MB/s on one core ({} MB of real text x {rounds}, checksum {sink})",
        (bytes * rounds) as f64 / 1e6 / secs,
        bytes / 1_000_000
    );
}

fn main() {
    let texts = texts();
    let method = DedupMethod::build("minhash_dedup", toml::Table::new()).unwrap();
    measure("minhash_dedup signature (normalize+sign+bands)", &texts, |t| method.signature(t).bands.len());
    let normalized: Vec<String> = texts.iter().map(|t| Normalization::default().apply(t)).collect();
    let hasher = MinHasher::new(MinHashParams::default());
    measure("signature alone (normalized text, 112 hashes)", &normalized, |t| hasher.signature(t).len());
    measure("normalization alone", &texts, |t| Normalization::default().apply(t).len());
}
