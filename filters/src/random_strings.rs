//! For tests of fast paths against general ones: short pseudo-random strings over an alphabet
//! of tricky characters, from a fixed xorshift sequence (the same strings on every run).

/// `count` strings of 0..`max_len` characters of `alphabet`, from `seed`.
pub(crate) fn random_strings(alphabet: &[u8], seed: u64, count: usize, max_len: u64) -> Vec<String> {
    let mut state = seed;
    (0..count)
        .map(|_| {
            let len = (state % max_len) as usize;
            (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize] as char
                })
                .collect()
        })
        .collect()
}
