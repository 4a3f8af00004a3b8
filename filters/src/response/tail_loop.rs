//! Degenerate loops at the end of a response: a model stuck repeating one phrase, line or
//! paragraph until it runs out of tokens.

/// Words in the loop a response ends with: the longest run, at the very end, of one unit of 1 to
/// `max_period` words repeated back to back at least `min_repeats` times; 0 when it has none.
pub fn tail_loop_words(text: &str, max_period: usize, min_repeats: usize) -> usize {
    let words: Vec<&str> = text.split_whitespace().collect();
    let n = words.len();
    let mut best = 0;
    for period in 1..=max_period.min(n / min_repeats.max(1)) {
        let unit = &words[n - period..];
        let mut repeats = 1;
        while repeats * period + period <= n {
            let start = n - (repeats + 1) * period;
            if &words[start..start + period] != unit {
                break;
            }
            repeats += 1;
        }
        if repeats >= min_repeats {
            best = best.max(repeats * period);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_loops_at_the_end_only() {
        let healthy = "We add 3 and 4 to get 7. Then 7 times 2 is 14. So the answer is 14.";
        assert_eq!(tail_loop_words(healthy, 50, 4), 0);
        let stuck = format!("{healthy} {}", "Let me check again. ".repeat(6));
        assert_eq!(tail_loop_words(&stuck, 50, 4), 24);
        let one_word = format!("{healthy} {}", "the ".repeat(10));
        assert_eq!(tail_loop_words(&one_word, 50, 4), 10);
        // A loop in the middle, then a proper ending, is not a tail loop.
        let recovered = format!("{} {healthy}", "Let me check again. ".repeat(6));
        assert_eq!(tail_loop_words(&recovered, 50, 4), 0);
    }
}
