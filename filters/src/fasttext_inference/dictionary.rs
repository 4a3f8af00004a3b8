//! fastText's dictionary and how a line becomes input rows: words found by their FNV-1a hash,
//! character n-grams of each word and word n-grams hashed into buckets, buckets renumbered by
//! the pruned index of a quantized model. Every hash and index is computed as fastText's C++
//! computes it (its signed-char FNV, its 64-bit word n-gram mix), so the rows are the same.
//!
//! Unlike the C++, nothing here allocates per token or per n-gram: n-gram hashes are extended
//! one byte at a time, and the pruned index is an open-addressing table, not a
//! `std::unordered_map`.

use super::reader::{ReadError, Reader};

/// The end-of-sentence token (fastText reads a newline as one).
pub const EOS: &[u8] = b"</s>";
/// The label prefix (fastText's default `-label`).
pub const LABEL_PREFIX: &[u8] = b"__label__";

/// One dictionary entry.
#[derive(Debug, Clone)]
struct Entry {
    word: Vec<u8>,
    count: i64,
    label: bool,
}

/// Bucket ids of a pruned model mapped to their rows (fastText's `pruneidx_`).
#[derive(Debug, Clone, Default)]
struct PrunedBuckets {
    /// Open addressing, power-of-two sized: `(bucket, row)`, bucket `-1` for an empty slot (a
    /// key and its value share a cache line).
    slots: Vec<(i32, i32)>,
    /// One bit per bucket id, set for those kept: most n-grams of a word not in the dictionary
    /// are pruned, and this answers for them from 256 KB (2M buckets) instead of the table.
    kept: Vec<u64>,
}

impl PrunedBuckets {
    fn new(pairs: &[(i32, i32)]) -> Self {
        let size = (pairs.len() * 2).next_power_of_two().max(16);
        let buckets = pairs.iter().map(|p| p.0.max(0) as usize + 1).max().unwrap_or(0);
        let mut table = Self { slots: vec![(-1, 0); size], kept: vec![0; buckets.div_ceil(64)] };
        for &(k, v) in pairs {
            if k >= 0 {
                table.kept[k as usize / 64] |= 1 << (k % 64);
            }
            let mut slot = table.slot(k);
            while table.slots[slot].0 != -1 && table.slots[slot].0 != k {
                slot = (slot + 1) & (size - 1);
            }
            table.slots[slot] = (k, v);
        }
        table
    }

    fn slot(&self, key: i32) -> usize {
        // Bucket ids are FNV hashes modulo the bucket count: mix them once more, cheaply.
        ((key as u32).wrapping_mul(0x9E37_79B1) >> 7) as usize & (self.slots.len() - 1)
    }

    #[inline(always)]
    fn get(&self, key: i32) -> Option<i32> {
        let bit = key as usize;
        if self.kept.get(bit / 64).is_none_or(|word| word & (1 << (bit % 64)) == 0) {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut slot = self.slot(key);
        loop {
            match self.slots[slot] {
                (-1, _) => return None,
                (k, v) if k == key => return Some(v),
                _ => slot = (slot + 1) & mask,
            }
        }
    }
}

/// How n-gram buckets become rows.
#[derive(Debug, Clone)]
enum Pruning {
    /// Not pruned: bucket `b` is row `nwords + b`.
    None,
    /// Pruned to nothing: n-grams add no row.
    All,
    /// Pruned: only the listed buckets, renumbered.
    Some(PrunedBuckets),
}

/// The parameters of the model that shape its input.
#[derive(Debug, Clone, Copy)]
pub struct InputParams {
    /// Buckets of n-gram hashes.
    pub bucket: i32,
    /// Shortest character n-gram.
    pub minn: i32,
    /// Longest character n-gram (0: none).
    pub maxn: i32,
    /// Longest word n-gram.
    pub word_ngrams: i32,
}

/// fastText's dictionary.
#[derive(Debug, Clone)]
pub struct Dictionary {
    entries: Vec<Entry>,
    nwords: i32,
    nlabels: i32,
    /// `word2int_`: open addressing by `fnv(word) % len`, linear probing.
    word2int: Vec<i32>,
    /// The rows of each word: itself and its character n-grams (`subwords`), flattened.
    subword_rows: Vec<i32>,
    subword_starts: Vec<usize>,
    pruning: Pruning,
    params: InputParams,
}

/// fastText's FNV-1a step: bytes are sign-extended, as its released models were trained with.
#[inline(always)]
fn fnv_step(h: u32, byte: u8) -> u32 {
    (h ^ (byte as i8 as i32 as u32)).wrapping_mul(16_777_619)
}

/// fastText's hash of a word.
#[inline]
pub fn fnv(bytes: &[u8]) -> u32 {
    bytes.iter().fold(2_166_136_261, |h, &b| fnv_step(h, b))
}

/// fastText's whitespace: where `readWord` splits.
#[inline(always)]
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c | 0)
}

impl Dictionary {
    /// Reads the dictionary section of a model file.
    pub fn read<R: std::io::Read>(r: &mut Reader<R>, params: InputParams) -> Result<Self, ReadError> {
        let size = r.i32("dictionary size")?.max(0) as usize;
        let nwords = r.i32("dictionary word count")?;
        let nlabels = r.i32("dictionary label count")?;
        let _ntokens = r.i64("dictionary token count")?;
        let pruneidx_size = r.i64("pruned index size")?;
        let mut entries = Vec::with_capacity(size);
        for _ in 0..size {
            let word = r.c_string("dictionary entry")?;
            let count = r.i64("dictionary entry count")?;
            let label = r.u8("dictionary entry type")? == 1;
            entries.push(Entry { word, count, label });
        }
        let mut pairs = Vec::with_capacity(pruneidx_size.max(0) as usize);
        for _ in 0..pruneidx_size.max(0) {
            pairs.push((r.i32("pruned index")?, r.i32("pruned index")?));
        }
        let pruning = match pruneidx_size {
            n if n < 0 => Pruning::None,
            0 => Pruning::All,
            _ => Pruning::Some(PrunedBuckets::new(&pairs)),
        };
        let table_size = ((size as f64) / 0.7).ceil().max(1.0) as usize;
        let mut dict = Self {
            entries,
            nwords,
            nlabels,
            word2int: vec![-1; table_size],
            subword_rows: Vec::new(),
            subword_starts: Vec::new(),
            pruning,
            params,
        };
        for i in 0..size {
            let slot = dict.find(&dict.entries[i].word, fnv(&dict.entries[i].word));
            dict.word2int[slot] = i as i32;
        }
        // Each word's rows: itself, then its n-grams (none for the end-of-sentence token).
        let mut buffer = Vec::new();
        for i in 0..nwords.max(0) as usize {
            dict.subword_starts.push(dict.subword_rows.len());
            let mut rows = vec![i as i32];
            if dict.entries[i].word != EOS {
                buffer.clear();
                buffer.push(b'<');
                buffer.extend_from_slice(&dict.entries[i].word);
                buffer.push(b'>');
                dict.char_ngrams(&buffer, &mut rows);
            }
            dict.subword_rows.extend(rows);
        }
        dict.subword_starts.push(dict.subword_rows.len());
        Ok(dict)
    }

    /// The labels, in output order.
    pub fn labels(&self) -> Vec<String> {
        self.entries[self.nwords.max(0) as usize..]
            .iter()
            .take(self.nlabels.max(0) as usize)
            .map(|e| String::from_utf8_lossy(&e.word).into_owned())
            .collect()
    }

    /// How often each label occurred in training (hierarchical softmax builds its tree from them).
    pub fn label_counts(&self) -> Vec<i64> {
        self.entries[self.nwords.max(0) as usize..]
            .iter()
            .take(self.nlabels.max(0) as usize)
            .map(|e| e.count)
            .collect()
    }

    /// The slot of `word` in `word2int` (fastText's `find`).
    fn find(&self, word: &[u8], h: u32) -> usize {
        let len = self.word2int.len();
        let mut id = h as usize % len;
        while self.word2int[id] != -1 && self.entries[self.word2int[id] as usize].word != word {
            id = (id + 1) % len;
        }
        id
    }

    /// The entry id of `word`, or -1.
    fn id(&self, word: &[u8], h: u32) -> i32 {
        self.word2int[self.find(word, h)]
    }

    /// Adds the row of bucket `id` (fastText's `pushHash`).
    #[inline(always)]
    fn push_bucket(&self, rows: &mut Vec<i32>, id: i32) {
        if id < 0 {
            return;
        }
        match &self.pruning {
            Pruning::None => rows.push(self.nwords + id),
            Pruning::All => {}
            Pruning::Some(table) => {
                if let Some(row) = table.get(id) {
                    rows.push(self.nwords + row);
                }
            }
        }
    }

    /// The character n-grams of `word` (already wrapped in `<` and `>`), as rows.
    fn char_ngrams(&self, word: &[u8], rows: &mut Vec<i32>) {
        let InputParams { bucket, minn, maxn, .. } = self.params;
        let len = word.len();
        for i in 0..len {
            if word[i] & 0xC0 == 0x80 {
                continue;
            }
            let mut h: u32 = 2_166_136_261;
            let mut j = i;
            let mut n = 1;
            while j < len && n <= maxn {
                h = fnv_step(h, word[j]);
                j += 1;
                while j < len && word[j] & 0xC0 == 0x80 {
                    h = fnv_step(h, word[j]);
                    j += 1;
                }
                if n >= minn && !(n == 1 && (i == 0 || j == len)) {
                    self.push_bucket(rows, (h % bucket as u32) as i32);
                }
                n += 1;
            }
        }
    }

    /// Calls `each(token)` for every token of one line of text, as fastText's `getLine` reads
    /// it from a stream: words split at ASCII whitespace, a newline read as the
    /// end-of-sentence token which ends the line (as does a literal `</s>`). Tokens are not
    /// hashed here: a word whose rows are cached needs no hash ([`fnv`] when one does).
    #[inline]
    pub fn tokens(text: &[u8], mut each: impl FnMut(&[u8])) {
        let mut pos = 0;
        let len = text.len();
        loop {
            // readWord: skip spaces; a newline met before any byte is the end of the sentence.
            let mut token: &[u8] = &[];
            let mut found = false;
            while pos < len {
                let b = text[pos];
                if is_space(b) {
                    pos += 1;
                    if b == b'\n' {
                        token = EOS;
                        found = true;
                        break;
                    }
                    continue;
                }
                let start = pos;
                while pos < len && !is_space(text[pos]) {
                    pos += 1;
                }
                // A newline after the word is left for the next read.
                token = &text[start..pos];
                found = true;
                break;
            }
            if !found {
                break;
            }
            each(token);
            if token == EOS {
                break;
            }
        }
    }

    /// Appends the input rows of one token (`h`, its [`fnv`] hash) to `rows`: the word's own
    /// row and its character n-grams. False when the token is a label (it adds no row and is
    /// no word of the line).
    #[inline]
    pub fn token_rows(&self, token: &[u8], h: u32, rows: &mut Vec<i32>, scratch: &mut Scratch) -> bool {
        let wid = self.id(token, h);
        let label = if wid < 0 { token.starts_with(LABEL_PREFIX) } else { self.entries[wid as usize].label };
        if label {
            return false;
        }
        if wid < 0 {
            if token != EOS {
                scratch.wrapped.clear();
                scratch.wrapped.push(b'<');
                scratch.wrapped.extend_from_slice(token);
                scratch.wrapped.push(b'>');
                self.char_ngrams(&scratch.wrapped, rows);
            }
        } else if self.params.maxn <= 0 {
            rows.push(wid);
        } else {
            let w = wid as usize;
            rows.extend_from_slice(&self.subword_rows[self.subword_starts[w]..self.subword_starts[w + 1]]);
        }
        true
    }

    /// Whether the model has word n-grams (rows that depend on a word's neighbours).
    pub fn has_word_ngrams(&self) -> bool {
        self.params.word_ngrams > 1
    }

    /// fastText's `addWordNgrams`: hashes of word sequences up to `word_ngrams` long.
    pub fn word_ngrams(&self, hashes: &[i32], rows: &mut Vec<i32>) {
        let n = self.params.word_ngrams.max(0) as usize;
        let bucket = self.params.bucket as u64;
        for i in 0..hashes.len() {
            let mut h = hashes[i] as i64 as u64;
            for &next in hashes.iter().take(i + n.max(1)).skip(i + 1) {
                h = h.wrapping_mul(116_049_371).wrapping_add(next as i64 as u64);
                self.push_bucket(rows, (h % bucket) as i32);
            }
        }
    }
}

/// A buffer [`Dictionary::token_rows`] reuses.
#[derive(Debug, Default)]
pub struct Scratch {
    wrapped: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_sign_extends_bytes_as_fasttext_does() {
        // Values from fastText's C++ (`Dictionary::hash`), ASCII and not.
        assert_eq!(fnv(b""), 2_166_136_261);
        assert_eq!(fnv(b"a"), 0xe40c_292c);
        // A byte >= 0x80 is XORed sign-extended: differs from textbook FNV-1a.
        let textbook = "é".bytes().fold(2_166_136_261u32, |h, b| (h ^ b as u32).wrapping_mul(16_777_619));
        assert_ne!(fnv("é".as_bytes()), textbook);
    }

    #[test]
    fn pruned_buckets_find_every_key() {
        let pairs: Vec<(i32, i32)> = (0..1000).map(|i| (i * 7919 % 2_000_000, i)).collect();
        let table = PrunedBuckets::new(&pairs);
        for (k, v) in &pairs {
            assert_eq!(table.get(*k), Some(*v));
        }
        assert_eq!(table.get(1), None);
    }
}
