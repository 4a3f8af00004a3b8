//! For tests of fast paths against general ones: short pseudo-random strings over an alphabet
//! of tricky characters, from a fixed xorshift sequence (the same strings on every run).

/// `count` strings of 0..`max_len` characters of `alphabet`, from `seed`.
pub(crate) fn random_strings(alphabet: &str, seed: u64, count: usize, max_len: u64) -> Vec<String> {
    let alphabet: Vec<char> = alphabet.chars().collect();
    let mut state = seed;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..count)
        .map(|_| {
            // A length drawn like the characters: a length of 0 must not stop the sequence.
            let len = next() % max_len;
            (0..len).map(|_| alphabet[(next() % alphabet.len() as u64) as usize]).collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn strings_vary_in_length_to_the_end() {
        // An empty string once stopped the sequence: every later string was empty too.
        let texts = super::random_strings("ab", 1, 10_000, 12);
        let chars: usize = texts.iter().map(String::len).sum();
        assert!(chars > 10_000 * 4, "{chars}");
        assert!(texts[9_000..].iter().any(|t| t.len() > 8));
        assert!(texts.iter().any(String::is_empty));
    }
}
