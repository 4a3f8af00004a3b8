//! MinHash signature throughput on real text, one core: `cargo bench -p curate-filters --bench minhash`.
//!
//! Reads State of the Union speeches and Moby-Dick chapters from `$CURATE_DATA` (what
//! `scripts/fetch-data.sh` fetched) and reports MB/s for normalization + signature + bands,
//! and for the signature alone.

mod common;

use common::{measure, texts};
use curate_filters::dedup::minhash::{MinHashParams, MinHasher};
use curate_filters::dedup::normalize::Normalization;
use curate_filters::dedup::DedupMethod;

fn main() {
    let texts = texts();
    let method = DedupMethod::build("minhash_dedup", toml::Table::new()).unwrap();
    measure("minhash_dedup signature (normalize+sign+bands)", &texts, |t| method.signature(t).bands.len());
    let normalized: Vec<String> = texts.iter().map(|t| Normalization::default().apply(t)).collect();
    let hasher = MinHasher::new(MinHashParams::default());
    measure("signature alone (normalized text, 112 hashes)", &normalized, |t| hasher.signature(t).len());
    measure("normalization alone", &texts, |t| Normalization::default().apply(t).len());
}
