//! Similarity of a whole text to each benchmark item, for items reworded beyond what shared
//! n-grams see: the Jaccard similarity of their word bigrams once numbers and names are masked
//! ([`super::mask`]). A GSM8K question with its names and numbers changed and a sixth of its
//! words swapped for thesaurus synonyms keeps about 0.6 of its masked bigrams (Jaccard), while
//! the MATH problem most like any GSM8K question reaches 0.28.
//!
//! Items are found by MinHash LSH over those bigrams (64 bands of 2 values: an item with
//! similarity 0.3 is a candidate with probability 0.998), and each candidate's similarity is
//! then computed exactly from its stored bigrams. The similarity is of the whole text: a
//! document far longer than every item cannot reach the threshold and is not hashed (the
//! n-gram rules see items inside long documents).

use std::collections::HashMap;

use crate::dedup::minhash::{MinHashParams, MinHasher};
use crate::dedup::normalize::Normalization;
use crate::dedup::shingles::{shingle_hashes, ShingleUnit};

/// The LSH layout: bands × rows hash functions.
const BANDS: usize = 64;
const ROWS: usize = 2;

/// The masked word bigrams of every item, and the LSH table over them.
#[derive(Debug)]
pub struct SimilarityIndex {
    /// Each item's distinct masked bigram hashes, sorted, by item position.
    sets: Vec<Vec<u64>>,
    hasher: MinHasher,
    /// Band hash → items with that band.
    bands: HashMap<u64, Vec<u32>>,
    /// The most bigrams of any item.
    largest: usize,
}

impl Default for SimilarityIndex {
    fn default() -> Self {
        let params = MinHashParams {
            shingle_unit: ShingleUnit::Words,
            shingle_size: 2,
            bands: BANDS,
            rows: ROWS,
            seed: 7,
        };
        Self { sets: Vec::new(), hasher: MinHasher::new(params), bands: HashMap::new(), largest: 0 }
    }
}

/// The item most similar to a text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similar {
    /// The item's position in the index.
    pub item: u32,
    /// Jaccard similarity of the masked bigrams, in `[0, 1]`.
    pub similarity: f64,
}

/// Distinct hashes of the word bigrams of `text` with numbers and names masked, normalized by
/// `normalization`, sorted.
pub fn masked_bigrams(normalization: &Normalization, text: &str) -> Vec<u64> {
    let mut v = shingle_hashes(&normalization.apply(&super::mask(text)), ShingleUnit::Words, 2);
    v.sort_unstable();
    v.dedup();
    v
}

/// Jaccard similarity of two sorted sets.
fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - shared;
    if union == 0 {
        0.0
    } else {
        shared as f64 / union as f64
    }
}

impl SimilarityIndex {
    /// Adds the next item's bigrams (sorted, distinct; see [`masked_bigrams`]).
    pub fn push(&mut self, set: Vec<u64>) {
        let item = self.sets.len() as u32;
        let signature = self.hasher.signature_of(&set);
        if !signature.is_empty() {
            for band in self.hasher.band_hashes(&signature) {
                self.bands.entry(band).or_default().push(item);
            }
        }
        self.largest = self.largest.max(set.len());
        self.sets.push(set);
    }

    /// Items indexed.
    pub fn len(&self) -> usize {
        self.sets.len()
    }

    /// Whether no item has bigrams (an index made before similarity was indexed).
    pub fn is_empty(&self) -> bool {
        self.largest == 0
    }

    /// The most bigrams of any item.
    pub fn largest(&self) -> usize {
        self.largest
    }

    /// The bigrams of item `item`.
    pub fn set(&self, item: usize) -> &[u64] {
        &self.sets[item]
    }

    /// The item most similar to a text with bigrams `set`, if any is at least `at_least`
    /// similar to it as LSH finds (lower similarities may or may not be reported). A text with
    /// more than `largest / at_least` bigrams cannot reach `at_least` and is not looked at.
    pub fn most_similar(&self, set: &[u64], at_least: f64) -> Option<Similar> {
        if set.is_empty() || self.is_empty() || set.len() as f64 * at_least > self.largest as f64 {
            return None;
        }
        let signature = self.hasher.signature_of(set);
        let mut candidates: Vec<u32> = self
            .hasher
            .band_hashes(&signature)
            .iter()
            .filter_map(|band| self.bands.get(band))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .map(|item| Similar { item, similarity: jaccard(set, &self.sets[item as usize]) })
            .max_by(|a, b| a.similarity.total_cmp(&b.similarity).then(b.item.cmp(&a.item)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reworded_item_is_found_and_an_unrelated_text_is_not() {
        let n = Normalization::default();
        let mut index = SimilarityIndex::default();
        index.push(masked_bigrams(&n, "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?"));
        index.push(masked_bigrams(&n, "A robe takes 2 bolts of blue fiber and half that much white fiber. How many bolts in total does it take?"));
        let reworded = "Olga sold clips to 52 of her pals in June, and then she sold half as many clips in July. How many clips did Olga sell in total in June and July?";
        let found = index.most_similar(&masked_bigrams(&n, reworded), 0.3).unwrap();
        assert_eq!(found.item, 0);
        assert!(found.similarity > 0.5 && found.similarity < 1.0, "{found:?}");
        let unrelated = masked_bigrams(
            &n,
            "The committee will meet on Tuesday to discuss the budget for the new library wing.",
        );
        assert!(index.most_similar(&unrelated, 0.3).is_none_or(|s| s.similarity < 0.1));
        assert_eq!(jaccard(&[1, 2, 3], &[2, 3, 4]), 0.5);
    }
}
