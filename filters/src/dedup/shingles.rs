//! Shingles: the overlapping n-grams whose sets MinHash compares.

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::words::Words;

/// What a shingle is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShingleUnit {
    /// Word tokens (characters for unspaced scripts like Chinese, see [`crate::words`]).
    Words,
    /// Characters.
    Chars,
}

/// Hashes of the `size`-grams of `text`, in order (with repeats). A text shorter than one
/// shingle gives one shingle of all of it, so that short texts can still match.
pub fn shingle_hashes(text: &str, unit: ShingleUnit, size: usize) -> Vec<u64> {
    let size = size.max(1);
    let mut out = Vec::new();
    match unit {
        ShingleUnit::Words => {
            let words = Words::of(text);
            let hashes: Vec<u64> = words.tokens.iter().map(|w| xxh3_64(w.as_bytes())).collect();
            if hashes.is_empty() {
                return out;
            }
            for window in hashes.windows(size.min(hashes.len())) {
                out.push(combine(window));
            }
        }
        ShingleUnit::Chars => {
            let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
            let n = starts.len() - 1;
            if n == 0 {
                return out;
            }
            let size = size.min(n);
            for i in 0..=n - size {
                out.push(xxh3_64(&text.as_bytes()[starts[i]..starts[i + size]]));
            }
        }
    }
    out
}

/// One hash for a sequence of token hashes.
pub fn combine(hashes: &[u64]) -> u64 {
    // Shingles are short: hash from the stack, not from a fresh allocation per shingle.
    const STACK: usize = 16;
    if hashes.len() <= STACK {
        let mut bytes = [0u8; STACK * 8];
        for (i, h) in hashes.iter().enumerate() {
            bytes[i * 8..i * 8 + 8].copy_from_slice(&h.to_le_bytes());
        }
        return xxh3_64(&bytes[..hashes.len() * 8]);
    }
    let bytes: Vec<u8> = hashes.iter().flat_map(|h| h.to_le_bytes()).collect();
    xxh3_64(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_short_texts() {
        assert_eq!(shingle_hashes("a b c d e f", ShingleUnit::Words, 5).len(), 2);
        assert_eq!(shingle_hashes("a b", ShingleUnit::Words, 5).len(), 1);
        assert_eq!(shingle_hashes("", ShingleUnit::Words, 5).len(), 0);
        assert_eq!(shingle_hashes("我们今天去", ShingleUnit::Chars, 3).len(), 3);
        // Chinese word tokens are characters, so word shingles work there too.
        assert_eq!(shingle_hashes("我们今天去北京", ShingleUnit::Words, 5).len(), 3);
    }
}
