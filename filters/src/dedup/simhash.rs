//! SimHash fingerprints (Charikar 2002) through the `simhash` crate, and the blocks that make
//! near fingerprints meet: two 64-bit fingerprints within Hamming distance `k` agree on at
//! least one of `k + 1` blocks (pigeonhole), so documents are compared only within blocks.

use super::shingles::{shingle_hashes, ShingleUnit};

/// The SimHash of an (already normalized) text over its shingles.
pub fn fingerprint(text: &str, unit: ShingleUnit, size: usize) -> u64 {
    let shingles: Vec<String> =
        shingle_hashes(text, unit, size).iter().map(|h| format!("{h:016x}")).collect();
    simhash::simhash_stream(shingles.iter().map(String::as_str))
}

/// The `max_distance + 1` blocks of `fp`, each tagged with its index so blocks never collide.
pub fn blocks(fp: u64, max_distance: u32) -> Vec<u64> {
    let n = (max_distance + 1).clamp(1, 64) as u64;
    let width = 64 / n;
    (0..n)
        .map(|i| {
            let shift = i * width;
            let bits = if i == n - 1 { 64 - shift } else { width };
            let mask = if bits >= 64 { u64::MAX } else { (1u64 << bits) - 1 };
            (i << 58) ^ ((fp >> shift) & mask)
        })
        .collect()
}

/// Bits that differ between two fingerprints.
pub fn distance(a: u64, b: u64) -> u32 {
    simhash::hamming_distance(a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_word_changed_in_a_long_text_is_within_the_default_distance() {
        let defaults = crate::dedup::method::SimHashDedupConfig::default();
        let (max, size) = (defaults.max_distance, defaults.shingle_size);
        let base: Vec<String> = (0..1000).map(|i| format!("word{i}")).collect();
        let fa = fingerprint(&base.join(" "), ShingleUnit::Words, size);
        // One word changed, at 20 places in turn: nearly always within the default distance.
        let mut within = 0;
        for at in (25..1000).step_by(50) {
            let mut edited = base.clone();
            edited[at] = "other".into();
            within +=
                usize::from(distance(fa, fingerprint(&edited.join(" "), ShingleUnit::Words, size)) <= max);
        }
        assert!(within >= 18, "{within} of 20 one-word edits within distance {max}");
        // An unrelated text is far.
        let c: String = (0..1000).map(|i| format!("x{i} ")).collect();
        let fc = fingerprint(&c, ShingleUnit::Words, size);
        assert!(distance(fa, fc) > 12, "{}", distance(fa, fc));
    }

    #[test]
    fn pigeonhole_blocks() {
        let a = 0xDEAD_BEEF_0123_4567u64;
        let b = a ^ 0b1011; // three bits differ, all in block 0
        let shared = blocks(a, 3).iter().zip(blocks(b, 3)).filter(|(x, y)| **x == *y).count();
        assert_eq!(shared, 3);
        assert_eq!(blocks(a, 3).len(), 4);
    }
}
