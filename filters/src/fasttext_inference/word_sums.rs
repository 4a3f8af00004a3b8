//! Each word's input rows, summed once: a line's hidden vector is the average of its words'
//! rows (with no word n-grams, as in lid.176), so a word met again adds its cached sum instead
//! of hashing its character n-grams and decoding a dozen quantized rows. Text is Zipfian: most
//! words of a document were met before, on the same thread.
//!
//! Per thread, bounded: two generations of at most [`GENERATION`] words each; when the young
//! one is full it becomes the old one and the old one is dropped, and a word found in the old
//! one moves to the young one, so the words in use stay (about least-recently-used) and a
//! corpus whose language changes from shard to shard is followed. Words longer than
//! [`LONGEST`] bytes are not kept; the others are keys of their own bytes, zero-padded
//! (fastText's words never hold a zero byte: it splits at them), so a lookup follows no pointer. Sums are in `f32` in the word's row order, then added to the
//! line's vector: the rounding differs from fastText's row-by-row sum by a few units in the
//! last place.

use rustc_hash::FxHashMap;

/// Words per generation: 7/8 of 32K, which fills a hash table of 32K slots to the load
/// hashbrown allows. Two generations per thread: at dimension 16, about 6 MB in all.
pub const GENERATION: usize = 28 << 10;
/// Longest word kept, in bytes.
pub const LONGEST: usize = 24;

/// A word of at most [`LONGEST`] bytes, zero-padded.
type Key = [u64; LONGEST / 8];

/// The key of `word`, if it is short enough. Built from loads of the word's own bytes, not
/// through a zero-padded copy on the stack (reading a copy back as words stalls the CPU).
#[inline]
fn key(word: &[u8]) -> Option<Key> {
    let len = word.len();
    if len > LONGEST {
        return None;
    }
    let mut key = [0u64; LONGEST / 8];
    for (i, k) in key.iter_mut().enumerate() {
        let start = 8 * i;
        if start >= len {
            break;
        }
        *k = le_bytes(word, start, len);
    }
    Some(key)
}

/// Bytes `start..min(start + 8, len)` of `word` as a little-endian integer (zero above).
#[inline(always)]
fn le_bytes(word: &[u8], start: usize, len: usize) -> u64 {
    let n = (len - start).min(8);
    let u32_at = |at: usize| u64::from(u32::from_le_bytes(word[at..at + 4].try_into().expect("4 bytes")));
    if n == 8 {
        u64::from_le_bytes(word[start..start + 8].try_into().expect("8 bytes"))
    } else if len >= 8 {
        // The 8 bytes ending at the end, shifted down to the ones wanted.
        let last = u64::from_le_bytes(word[len - 8..len].try_into().expect("8 bytes"));
        last >> (8 * (8 - n))
    } else if n >= 4 {
        // Two overlapping 4-byte loads: the shared bytes are the same in both.
        u32_at(start) | (u32_at(start + n - 4) << (8 * (n - 4)))
    } else {
        let byte = |at: usize| u64::from(word[start + at]);
        byte(0) | (byte(n / 2) << (8 * (n / 2))) | (byte(n - 1) << (8 * (n - 1)))
    }
}

/// What a word adds to a line.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Where its summed vector starts in the generation's `vectors`.
    at: u32,
    /// Its rows.
    rows: u32,
    /// Whether it is a word of the line (not a label, which adds no row).
    word: bool,
}

/// A cached word: its summed rows, how many, and whether it is a word (not a label).
pub type WordSum<'a> = (&'a [f32], usize, bool);

/// Words and their sums.
#[derive(Debug, Default)]
struct Generation {
    index: FxHashMap<Key, Entry>,
    vectors: Vec<f32>,
}

impl Generation {
    fn get(&self, word: &Key, dim: usize) -> Option<WordSum<'_>> {
        Some(self.sum(*self.index.get(word)?, dim))
    }

    fn sum(&self, e: Entry, dim: usize) -> WordSum<'_> {
        (&self.vectors[e.at as usize..e.at as usize + dim], e.rows as usize, e.word)
    }

    fn insert(&mut self, word: Key, vector: &[f32], rows: usize, is_word: bool) {
        if self.vectors.capacity() == 0 {
            // Room for a whole generation at once: growing by doubling would overshoot it.
            self.vectors.reserve_exact(GENERATION * vector.len());
            self.index.reserve(GENERATION);
        }
        let at = self.vectors.len() as u32;
        self.vectors.extend_from_slice(vector);
        self.index.insert(word, Entry { at, rows: rows as u32, word: is_word });
    }

    /// Empties it, keeping its room.
    fn clear(&mut self) {
        self.index.clear();
        self.vectors.clear();
    }
}

/// Models whose caches a thread keeps at once (two `language_id` steps with different
/// models take turns per document: each keeps its words).
pub const MODELS: usize = 4;

/// The caches of one thread, one per model it predicts with (the last [`MODELS`]).
#[derive(Debug, Default)]
pub struct PerModel(Vec<WordSums>);

impl PerModel {
    /// The cache of `model` (of dimension `dim`): a new one for a model not seen lately.
    pub fn of(&mut self, model: u64, dim: usize) -> &mut WordSums {
        let at = match self.0.iter().position(|s| s.model == model && s.dim == dim) {
            Some(at) => at,
            None => {
                if self.0.len() >= MODELS {
                    self.0.remove(0);
                }
                self.0.push(WordSums { model, dim, ..WordSums::default() });
                self.0.len() - 1
            }
        };
        &mut self.0[at]
    }
}

/// The cache of one thread, for one model.
#[derive(Debug, Default)]
pub struct WordSums {
    /// The model the sums are of (see `FastTextModel::id`).
    model: u64,
    dim: usize,
    young: Generation,
    old: Generation,
    /// A word's sum on its way from the old generation to the young one.
    moved: Vec<f32>,
}

impl WordSums {
    /// The cached sum of `word` (moved to the young generation if it was in the old one).
    #[inline]
    pub fn get(&mut self, word: &[u8]) -> Option<WordSum<'_>> {
        let key = key(word)?;
        if let Some(&e) = self.young.index.get(&key) {
            return Some(self.young.sum(e, self.dim));
        }
        let (vector, rows, is_word) = self.old.get(&key, self.dim)?;
        let mut moved = std::mem::take(&mut self.moved);
        moved.clear();
        moved.extend_from_slice(vector);
        self.insert(word, &moved, rows, is_word);
        self.moved = moved;
        self.young.get(&key, self.dim)
    }

    /// Keeps `word`'s sum (`vector`, of `rows` rows); a word too long is not kept.
    pub fn insert(&mut self, word: &[u8], vector: &[f32], rows: usize, is_word: bool) {
        let Some(key) = key(word) else { return };
        if vector.len() != self.dim {
            return;
        }
        if self.young.index.len() >= GENERATION {
            std::mem::swap(&mut self.young, &mut self.old);
            self.young.clear();
        }
        self.young.insert(key, vector, rows, is_word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(sums: &mut WordSums, word: &str) -> bool {
        sums.get(word.as_bytes()).is_some()
    }

    #[test]
    fn keys_are_the_zero_padded_bytes() {
        let word: Vec<u8> = (1..=LONGEST as u8).collect();
        for len in 0..=LONGEST {
            let mut padded = [0u8; LONGEST];
            padded[..len].copy_from_slice(&word[..len]);
            let expected: Vec<u64> =
                padded.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect();
            assert_eq!(key(&word[..len]).unwrap().to_vec(), expected, "length {len}");
        }
        assert!(key(&[1; LONGEST + 1]).is_none());
    }

    #[test]
    fn keeps_the_words_in_use_within_two_generations() {
        let mut caches = PerModel::default();
        let sums = caches.of(1, 2);
        sums.insert(b"hot", &[0.5, 0.25], 3, true);
        sums.insert(b"label", &[0.0, 0.0], 0, false);
        for i in 0..GENERATION - 2 {
            sums.insert(format!("w{i}").as_bytes(), &[i as f32, 1.0], 1, true);
        }
        // The young generation is full: the next word starts a new one, the old stays.
        sums.insert(b"new", &[1.0, 1.0], 1, true);
        assert_eq!(sums.get(b"hot"), Some((&[0.5, 0.25][..], 3, true)));
        assert_eq!(sums.get(b"label"), Some((&[0.0, 0.0][..], 0, false)));
        assert_eq!(sums.get(b"w7"), Some((&[7.0, 1.0][..], 1, true)));
        // A generation later, only what was used ("hot", "label", "w7") and the new words stay.
        for i in 0..GENERATION {
            sums.insert(format!("x{i}").as_bytes(), &[0.0, 0.0], 1, true);
        }
        assert!(has(sums, "hot") && has(sums, "w7") && has(sums, "x0"));
        assert!(!has(sums, "w8"));
        // Too long: not kept.
        sums.insert(&[b'a'; LONGEST + 1], &[0.0, 0.0], 1, true);
        assert!(sums.get(&[b'a'; LONGEST + 1]).is_none());
        // Another model has a cache of its own; the first keeps its words, until more models
        // than a thread keeps came after it.
        assert!(!has(caches.of(2, 2), "hot"));
        caches.of(2, 2).insert(b"hot", &[9.0, 9.0], 1, true);
        assert_eq!(caches.of(1, 2).get(b"hot"), Some((&[0.5, 0.25][..], 3, true)));
        assert_eq!(caches.of(2, 2).get(b"hot"), Some((&[9.0, 9.0][..], 1, true)));
        for model in 3..3 + MODELS as u64 {
            caches.of(model, 2);
        }
        assert!(!has(caches.of(1, 2), "hot"));
    }
}
