//! The per-document half of deduplication: normalization, shingles, MinHash and SimHash
//! signatures. The global half (clustering across all shards of a run) lives in the `curate`
//! binary, which joins signatures with DuckDB so that it can spill to disk.

pub mod method;
pub mod minhash;
pub mod normalize;
pub mod shingles;
pub mod simhash;

pub use method::{decode_sig, DedupMethod, Signature, DEDUP_STEPS};
