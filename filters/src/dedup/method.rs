//! The dedup steps a stage can name, their options, and the per-document signatures they need.

use serde::{Deserialize, Serialize};

use super::minhash::{MinHashParams, MinHasher};
use super::normalize::Normalization;
use super::shingles::ShingleUnit;
use super::simhash;
use crate::FilterError;

/// Options of `exact_dedup`: documents equal after normalization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ExactDedupConfig {
    /// What is ignored when comparing texts.
    pub normalization: Normalization,
}

/// Options of `minhash_dedup`: near-duplicates by MinHash-LSH.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MinHashDedupConfig {
    /// What is ignored when comparing texts.
    pub normalization: Normalization,
    /// Signature and band parameters.
    pub minhash: MinHashParams,
    /// Candidates are duplicates when their estimated Jaccard similarity is at least this.
    pub threshold: f64,
}

impl Default for MinHashDedupConfig {
    fn default() -> Self {
        Self { normalization: Normalization::default(), minhash: MinHashParams::default(), threshold: 0.7 }
    }
}

/// Options of `simhash_dedup`: near-duplicates by SimHash fingerprints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SimHashDedupConfig {
    /// What is ignored when comparing texts.
    pub normalization: Normalization,
    /// What shingles are made of.
    pub shingle_unit: ShingleUnit,
    /// Tokens (or characters) per shingle.
    pub shingle_size: usize,
    /// Fingerprints at most this many bits apart are duplicates.
    pub max_distance: u32,
    /// Inside a block, each fingerprint is compared with this many neighbours in sorted order.
    pub window: usize,
}

impl Default for SimHashDedupConfig {
    fn default() -> Self {
        Self {
            normalization: Normalization::default(),
            shingle_unit: ShingleUnit::Words,
            shingle_size: 3,
            max_distance: 3,
            window: 8,
        }
    }
}

/// A configured dedup step.
#[derive(Debug, Clone)]
pub enum DedupMethod {
    /// Exact duplicates after normalization.
    Exact(ExactDedupConfig),
    /// MinHash-LSH near-duplicates.
    MinHash(MinHashDedupConfig, MinHasher),
    /// SimHash near-duplicates.
    SimHash(SimHashDedupConfig),
}

/// What one document contributes to a dedup step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Signature {
    /// The exact hash (exact) or fingerprint (simhash); 0 for minhash.
    pub key: u64,
    /// The MinHash signature as little-endian `u32`s (minhash only).
    pub sig: Vec<u8>,
    /// LSH bands (minhash) or fingerprint blocks (simhash) that make candidates meet.
    pub bands: Vec<u64>,
}

/// Names of the dedup steps, with one line each for `curate stages`.
pub const DEDUP_STEPS: &[(&str, &str)] = &[
    (
        "exact_dedup",
        "Exact duplicates after normalization (case, whitespace, punctuation, NFKC), across all shards",
    ),
    ("minhash_dedup", "Near-duplicates by MinHash-LSH with Jaccard verification and union-find clusters"),
    ("simhash_dedup", "Near-duplicates by SimHash fingerprints within a Hamming distance"),
];

fn parse<T: serde::de::DeserializeOwned>(name: &str, options: toml::Table) -> Result<T, FilterError> {
    options.try_into().map_err(|e: toml::de::Error| FilterError::Config {
        filter: name.into(),
        message: e.message().to_string(),
    })
}

impl DedupMethod {
    /// Whether `name` is a dedup step.
    pub fn is_dedup(name: &str) -> bool {
        DEDUP_STEPS.iter().any(|(n, _)| *n == name)
    }

    /// Builds the step `name` from its options.
    pub fn build(name: &str, options: toml::Table) -> Result<Self, FilterError> {
        let invalid = |message: String| FilterError::Invalid { filter: name.into(), message };
        match name {
            "exact_dedup" => Ok(Self::Exact(parse(name, options)?)),
            "minhash_dedup" => {
                let c: MinHashDedupConfig = parse(name, options)?;
                if c.minhash.bands == 0 || c.minhash.rows == 0 || c.minhash.shingle_size == 0 {
                    return Err(invalid("bands, rows and shingle_size must be positive".into()));
                }
                if !(0.0..=1.0).contains(&c.threshold) {
                    return Err(invalid(format!("threshold must lie in [0, 1], got {}", c.threshold)));
                }
                let hasher = MinHasher::new(c.minhash.clone());
                Ok(Self::MinHash(c, hasher))
            }
            "simhash_dedup" => {
                let c: SimHashDedupConfig = parse(name, options)?;
                if c.max_distance >= 32 || c.window == 0 || c.shingle_size == 0 {
                    return Err(invalid("need max_distance < 32, window > 0, shingle_size > 0".into()));
                }
                Ok(Self::SimHash(c))
            }
            other => Err(FilterError::Unknown {
                name: other.into(),
                known: "exact_dedup, minhash_dedup, simhash_dedup".into(),
            }),
        }
    }

    /// Every option of `name` with its default.
    pub fn defaults(name: &str) -> toml::Table {
        let table = match name {
            "exact_dedup" => toml::Table::try_from(ExactDedupConfig::default()),
            "minhash_dedup" => toml::Table::try_from(MinHashDedupConfig::default()),
            _ => toml::Table::try_from(SimHashDedupConfig::default()),
        };
        table.expect("dedup defaults serialize")
    }

    /// The signature of one document's text.
    pub fn signature(&self, text: &str) -> Signature {
        match self {
            Self::Exact(c) => Signature {
                key: xxhash_rust::xxh3::xxh3_64(c.normalization.apply(text).as_bytes()),
                ..Default::default()
            },
            Self::MinHash(c, hasher) => {
                let sig = hasher.signature(&c.normalization.apply(text));
                let bands = if sig.is_empty() { Vec::new() } else { hasher.band_hashes(&sig) };
                Signature { key: 0, sig: sig.iter().flat_map(|v| v.to_le_bytes()).collect(), bands }
            }
            Self::SimHash(c) => {
                let fp = simhash::fingerprint(&c.normalization.apply(text), c.shingle_unit, c.shingle_size);
                Signature { key: fp, sig: Vec::new(), bands: simhash::blocks(fp, c.max_distance) }
            }
        }
    }
}

/// Decodes a MinHash signature stored by [`DedupMethod::signature`].
pub fn decode_sig(bytes: &[u8]) -> Vec<u32> {
    bytes.chunks_exact(4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}
