//! MinHash signatures and their LSH bands.
//!
//! Each of `bands × rows` hash functions permutes a shingle's 32-bit hash: `h = a·x + b` (mod
//! 2^32, odd `a`) then `h ^ (h >> 16)`, with `a` and `b` drawn from a fixed seed, so signatures
//! are the same on every run and machine. 32-bit lanes let the loop run 8 functions at a time
//! (AVX2, detected at run time). A signature is cut into `bands` bands of `rows` values; documents that share a
//! band's hash are candidates, and candidates are verified by the share of equal values, an
//! unbiased estimate of their shingles' Jaccard similarity.

use serde::{Deserialize, Serialize};

use super::shingles::{shingle_hashes, ShingleUnit};
use xxhash_rust::xxh3::xxh3_64;

/// MinHash parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MinHashParams {
    /// What shingles are made of.
    pub shingle_unit: ShingleUnit,
    /// Tokens (or characters) per shingle.
    pub shingle_size: usize,
    /// LSH bands; `bands × rows` hash functions in all.
    pub bands: usize,
    /// Hash values per band.
    pub rows: usize,
    /// Seed of the hash functions.
    pub seed: u64,
}

impl Default for MinHashParams {
    fn default() -> Self {
        // datatrove's defaults: 5-gram shingles, 14 buckets of 8 hashes.
        Self { shingle_unit: ShingleUnit::Words, shingle_size: 5, bands: 14, rows: 8, seed: 1 }
    }
}

/// Computes signatures for fixed parameters.
#[derive(Debug, Clone)]
pub struct MinHasher {
    params: MinHashParams,
    a: Vec<u32>,
    b: Vec<u32>,
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Folds every shingle into the running minima: permutation `i` maps a shingle hash `x` to
/// `h = a[i] * x + b[i]` (mod 2^32, `a[i]` odd), then mixes the high bits down
/// (`h ^ (h >> 16)`, still a bijection), and keeps the minimum. 32-bit lanes, so the loop
/// vectorizes (8 lanes with AVX2).
#[inline(always)]
fn fold(sig: &mut [u32], a: &[u32], b: &[u32], shingles: &[u32]) {
    for &x in shingles {
        for ((s, a), b) in sig.iter_mut().zip(a).zip(b) {
            let h = a.wrapping_mul(x).wrapping_add(*b);
            *s = (*s).min(h ^ (h >> 16));
        }
    }
}

/// [`fold`] compiled for AVX2, chosen at run time: the release binary stays portable.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn fold_avx2(sig: &mut [u32], a: &[u32], b: &[u32], shingles: &[u32]) {
    fold(sig, a, b, shingles)
}

impl MinHasher {
    /// The hash functions of `params`.
    pub fn new(params: MinHashParams) -> Self {
        let n = params.bands * params.rows;
        let mut state = params.seed;
        let a = (0..n).map(|_| (splitmix64(&mut state) as u32) | 1).collect();
        let b = (0..n).map(|_| splitmix64(&mut state) as u32).collect();
        Self { params, a, b }
    }

    /// The parameters.
    pub fn params(&self) -> &MinHashParams {
        &self.params
    }

    /// The signature of `text` (already normalized); empty when it has no shingle.
    pub fn signature(&self, text: &str) -> Vec<u32> {
        self.signature_of(&shingle_hashes(text, self.params.shingle_unit, self.params.shingle_size))
    }

    /// The signature of a set of shingle hashes; empty for none.
    pub fn signature_of(&self, shingles: &[u64]) -> Vec<u32> {
        let shingles: Vec<u32> = shingles.iter().map(|x| (x ^ (x >> 32)) as u32).collect();
        if shingles.is_empty() {
            return Vec::new();
        }
        let mut sig = vec![u32::MAX; self.a.len()];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            unsafe { fold_avx2(&mut sig, &self.a, &self.b, &shingles) };
            return sig;
        }
        fold(&mut sig, &self.a, &self.b, &shingles);
        sig
    }

    /// The hash of each band of `signature`, the band's number mixed in.
    pub fn band_hashes(&self, signature: &[u32]) -> Vec<u64> {
        signature
            .chunks(self.params.rows)
            .enumerate()
            .map(|(i, band)| {
                let mut bytes = Vec::with_capacity(4 + band.len() * 4);
                bytes.extend_from_slice(&(i as u32).to_le_bytes());
                for v in band {
                    bytes.extend_from_slice(&v.to_le_bytes());
                }
                xxh3_64(&bytes)
            })
            .collect()
    }
}

/// The share of equal positions of two signatures: an estimate of the Jaccard similarity.
pub fn estimated_jaccard(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    a.iter().zip(b).filter(|(x, y)| x == y).count() as f64 / a.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn jaccard(a: &str, b: &str) -> f64 {
        let sa: HashSet<u64> = shingle_hashes(a, ShingleUnit::Words, 5).into_iter().collect();
        let sb: HashSet<u64> = shingle_hashes(b, ShingleUnit::Words, 5).into_iter().collect();
        sa.intersection(&sb).count() as f64 / sa.union(&sb).count() as f64
    }

    #[test]
    fn estimates_track_true_jaccard() {
        let h = MinHasher::new(MinHashParams { bands: 32, rows: 8, ..Default::default() });
        let base: Vec<String> = (0..300).map(|i| format!("w{i}")).collect();
        let a = base.join(" ");
        let mut edited = base.clone();
        for i in (0..300).step_by(25) {
            edited[i] = "changed".into();
        }
        let b = edited.join(" ");
        let (est, truth) = (estimated_jaccard(&h.signature(&a), &h.signature(&b)), jaccard(&a, &b));
        assert!((est - truth).abs() < 0.1, "estimate {est}, truth {truth}");
        // Two hashers made from the same parameters agree (the seed fixes the functions), one
        // made from another seed does not.
        let again = MinHasher::new(MinHashParams { bands: 32, rows: 8, ..Default::default() });
        assert_eq!(h.signature(&a), again.signature(&a));
        let other = MinHasher::new(MinHashParams { bands: 32, rows: 8, seed: 7, ..Default::default() });
        assert_ne!(h.signature(&a), other.signature(&a));
        assert_eq!(h.band_hashes(&h.signature(&a)).len(), 32);
    }

    /// The signature (AVX2 where the CPU has it) equals a plain scalar minimum over every
    /// shingle and hash function, written out here.
    #[test]
    fn signature_is_the_minimum_over_shingles() {
        let h = MinHasher::new(MinHashParams::default());
        let text =
            "the quick brown fox jumps over the lazy dog and then the quick brown cat sleeps all day long";
        let shingles: Vec<u32> =
            shingle_hashes(text, ShingleUnit::Words, 5).into_iter().map(|x| (x ^ (x >> 32)) as u32).collect();
        assert!(shingles.len() > 10);
        let expected: Vec<u32> =
            h.a.iter()
                .zip(&h.b)
                .map(|(&a, &b)| {
                    shingles
                        .iter()
                        .map(|&x| {
                            let v = ((a as u64 * x as u64 + b as u64) % (1u64 << 32)) as u32;
                            v ^ (v >> 16)
                        })
                        .min()
                        .unwrap()
                })
                .collect();
        assert_eq!(h.signature(text), expected);
    }
}
