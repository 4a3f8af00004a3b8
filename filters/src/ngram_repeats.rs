//! Repeated n-grams of a token sequence, as Gopher's repetition rules measure them: for each
//! n, the characters covered by the most frequent n-gram and those in n-grams that repeat an
//! earlier one.
//!
//! Counting every n-gram of every n in a hash table costs a table insert per token per n. Most
//! n-grams of natural text occur once, and an n-gram can only occur twice where its shorter
//! prefix and suffix occur twice too. So the sizes are taken in increasing order and only
//! positions whose shorter n-grams repeat are counted at the next size: the results are exactly
//! those of counting everything (the tests check it), with a small fraction of the inserts.

use rustc_hash::FxHashMap;

/// The tokens of a document: a hash and a length (in characters) per token.
pub struct Tokens<'a> {
    hashes: &'a [u64],
    /// `starts[i]` is the sum of the lengths of tokens `0..i`.
    starts: Vec<usize>,
}

/// What one n-gram size measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NgramRepeats {
    /// Characters covered by all occurrences of the most frequent n-gram, its tokens joined by
    /// spaces; ties go to the longer n-gram.
    pub top_chars: usize,
    /// Characters in n-grams that repeat an earlier one, each position counted once (an n-gram
    /// that repeats skips the n tokens it covers, as datatrove's `find_all_duplicate` does).
    pub duplicated_chars: usize,
}

impl<'a> Tokens<'a> {
    /// Tokens with these hashes and character lengths (the same length for both slices).
    pub fn new(hashes: &'a [u64], lens: impl IntoIterator<Item = usize>) -> Self {
        let mut starts = Vec::with_capacity(hashes.len() + 1);
        let mut sum = 0;
        starts.push(0);
        for len in lens {
            sum += len;
            starts.push(sum);
        }
        assert_eq!(starts.len(), hashes.len() + 1, "one length per token");
        Self { hashes, starts }
    }

    /// Characters of the `n` tokens from `i`, without separators.
    fn chars(&self, i: usize, n: usize) -> usize {
        self.starts[i + n] - self.starts[i]
    }

    /// The key of the n-gram at `i`. Token hashes are xxh3 hashes already, so a multiply-rotate
    /// fold mixes them enough for counting, at a fraction of the cost of hashing bytes again.
    fn key(&self, i: usize, n: usize) -> u64 {
        self.hashes[i..i + n]
            .iter()
            .fold(0, |h: u64, &x| (h.rotate_left(26) ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The measures for each size in `sizes` (any order, repeats allowed), in that order.
    pub fn repeats(&self, sizes: &[usize]) -> Vec<NgramRepeats> {
        let mut order: Vec<usize> = sizes.to_vec();
        order.sort_unstable();
        order.dedup();
        let mut measured: Vec<(usize, NgramRepeats)> = Vec::with_capacity(order.len());
        // `repeated[i]`: the n-gram at `i` of the last size counted occurs at least twice;
        // `None` before the first size, when every position is a candidate.
        let mut repeated: Option<(usize, Vec<bool>)> = None;
        for n in order {
            let (result, now_repeated) = self.measure(n, repeated.as_ref());
            measured.push((n, result));
            repeated = Some((n, now_repeated));
        }
        sizes
            .iter()
            .map(|n| measured.iter().find(|(m, _)| m == n).map_or_else(NgramRepeats::default, |(_, r)| *r))
            .collect()
    }

    /// One size `n`, counting only the positions that `shorter` (the repeats of a smaller size
    /// `m`) leaves possible: an n-gram at `i` repeats only if the m-grams at `i` and `i + n - m`
    /// do. Returns the measures and which positions' n-grams repeat.
    fn measure(&self, n: usize, shorter: Option<&(usize, Vec<bool>)>) -> (NgramRepeats, Vec<bool>) {
        let len = self.hashes.len();
        if n == 0 || len < n {
            return (NgramRepeats::default(), Vec::new());
        }
        let positions = len - n + 1;
        let candidate = |i: usize| match shorter {
            None => true,
            Some((m, rep)) => rep[i] && rep[i + n - m],
        };
        // Each distinct n-gram gets a number the first time it is met, so that counts and
        // what was seen are vectors, hashed once per position.
        let bound = shorter.map_or(positions, |(_, rep)| rep.iter().filter(|&&r| r).count());
        let mut ids: FxHashMap<u64, u32> = FxHashMap::with_capacity_and_hasher(bound, Default::default());
        let mut counts: Vec<u32> = Vec::with_capacity(bound);
        let mut at: Vec<(usize, u32)> = Vec::with_capacity(bound);
        for i in (0..positions).filter(|&i| candidate(i)) {
            let next = counts.len() as u32;
            let id = *ids.entry(self.key(i, n)).or_insert(next);
            if id == next {
                counts.push(0);
            }
            counts[id as usize] += 1;
            at.push((i, id));
        }
        at.retain(|&(_, id)| counts[id as usize] > 1);
        let mut repeated = vec![false; positions];
        for &(i, _) in &at {
            repeated[i] = true;
        }

        // The most frequent n-gram: among those that repeat, or else the longest single one.
        let top = at
            .iter()
            .map(|&(i, id)| {
                let count = counts[id as usize] as usize;
                (count, count * (self.chars(i, n) + n - 1))
            })
            .max()
            .or_else(|| (0..positions).map(|i| (1, self.chars(i, n) + n - 1)).max())
            .map_or(0, |(_, chars)| chars);

        // Duplicates in reading order; an n-gram that occurs once is never met again, so only
        // the positions of repeating ones are visited.
        let mut seen = vec![false; counts.len()];
        let (mut duplicated, mut next) = (0, 0);
        for &(i, id) in &at {
            if i < next {
                continue; // inside a duplicate just counted
            }
            if std::mem::replace(&mut seen[id as usize], true) {
                duplicated += self.chars(i, n);
                next = i + n;
            }
        }
        (NgramRepeats { top_chars: top, duplicated_chars: duplicated }, repeated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustc_hash::FxHashSet;

    /// Counting every n-gram, as the rules were first written: the reference.
    fn naive(hashes: &[u64], lens: &[usize], n: usize) -> NgramRepeats {
        if hashes.len() < n {
            return NgramRepeats::default();
        }
        let tokens = Tokens::new(hashes, lens.iter().copied());
        let mut counts: FxHashMap<u64, (usize, usize)> = FxHashMap::default();
        for i in 0..=hashes.len() - n {
            counts.entry(tokens.key(i, n)).or_insert((0, tokens.chars(i, n) + n - 1)).0 += 1;
        }
        let top = counts.values().map(|&(c, l)| (c, c * l)).max().map_or(0, |(_, chars)| chars);
        let mut seen = FxHashSet::default();
        let (mut duplicated, mut i) = (0, 0);
        while i + n <= hashes.len() {
            if seen.insert(tokens.key(i, n)) {
                i += 1;
            } else {
                duplicated += tokens.chars(i, n);
                i += n;
            }
        }
        NgramRepeats { top_chars: top, duplicated_chars: duplicated }
    }

    #[test]
    fn small_cases_match_datatrove() {
        // a b a b a b, n=2: "ab" new, "ba" new, "ab" repeat (+2, skip 2), "ab" repeat (+2);
        // the top 2-gram "a b" occurs 3 times, 3 characters each with the space.
        let tokens = Tokens::new(&[1, 2, 1, 2, 1, 2], [1; 6]);
        assert_eq!(tokens.repeats(&[2]), vec![NgramRepeats { top_chars: 9, duplicated_chars: 4 }]);
        // Nothing repeats: the top n-gram is the longest, nothing is duplicated.
        let tokens = Tokens::new(&[1, 2, 3, 4], [1, 5, 2, 1]);
        assert_eq!(
            tokens.repeats(&[2, 3]),
            vec![
                NgramRepeats { top_chars: 8, duplicated_chars: 0 },
                NgramRepeats { top_chars: 10, duplicated_chars: 0 }
            ]
        );
        assert_eq!(tokens.repeats(&[5]), vec![NgramRepeats::default()]);
    }

    #[test]
    fn pruned_counting_equals_counting_everything() {
        // Token streams with much and little repetition, from a small vocabulary (so n-grams
        // repeat by chance) and a large one, over every size order the rules may ask for.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for (len, vocab) in [(0, 3), (1, 3), (7, 2), (50, 3), (300, 5), (2000, 40), (3000, 5000)] {
            let hashes: Vec<u64> =
                (0..len).map(|_| xxhash_rust::xxh3::xxh3_64(&(next() % vocab).to_le_bytes())).collect();
            let lens: Vec<usize> = hashes.iter().map(|h| (h % 9 + 1) as usize).collect();
            let tokens = Tokens::new(&hashes, lens.iter().copied());
            for sizes in [vec![2, 3, 4, 5, 6, 7, 8, 9, 10], vec![10, 3, 7, 3], vec![1, 6, 30], vec![4]] {
                let expected: Vec<NgramRepeats> = sizes.iter().map(|&n| naive(&hashes, &lens, n)).collect();
                assert_eq!(tokens.repeats(&sizes), expected, "len {len}, vocab {vocab}, sizes {sizes:?}");
            }
        }
    }
}
