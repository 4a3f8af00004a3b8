//! Splitting text into words for the Gopher heuristics, in any script.
//!
//! Space-delimited scripts are split at Unicode word boundaries (UAX #29), which keeps
//! punctuation as tokens of its own, as the NLTK tokenizer used by Gopher and datatrove does.
//! Scripts written without spaces between words (Chinese, Japanese, Thai, Lao, Khmer, Myanmar)
//! have no boundaries to find without a dictionary, so each of their characters (grapheme
//! cluster) counts as one token. [`Words::unspaced_fraction`] says how much of a text is such
//! tokens, so rules calibrated on English words (mean word length) can step aside.

use unicode_segmentation::UnicodeSegmentation;

use crate::ascii_words;

/// The tokens of a text.
#[derive(Debug, Default)]
pub struct Words<'a> {
    /// Tokens in order: words, punctuation, and single characters of unspaced scripts.
    pub tokens: Vec<&'a str>,
    /// How many tokens come from unspaced scripts.
    pub unspaced: usize,
}

impl<'a> Words<'a> {
    /// Splits `text` into tokens.
    pub fn of(text: &'a str) -> Self {
        let mut words = Words::default();
        if text.is_ascii() {
            // The same boundaries, found faster; ASCII has no unspaced script.
            words.tokens = ascii_words::segments(text)
                .filter(|s| !s.bytes().all(|b| b.is_ascii_whitespace() || b == 0x0B))
                .collect();
            return words;
        }
        for segment in text.split_word_bounds() {
            if segment.chars().all(char::is_whitespace) {
                continue;
            }
            if segment.chars().any(is_unspaced_script) {
                for g in segment.graphemes(true) {
                    if !g.chars().all(char::is_whitespace) {
                        words.tokens.push(g);
                        words.unspaced += 1;
                    }
                }
            } else {
                words.tokens.push(segment);
            }
        }
        words
    }

    /// Fraction of tokens that come from unspaced scripts.
    pub fn unspaced_fraction(&self) -> f64 {
        if self.tokens.is_empty() {
            0.0
        } else {
            self.unspaced as f64 / self.tokens.len() as f64
        }
    }
}

/// Whether `c` belongs to a script written without spaces between words.
pub fn is_unspaced_script(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF        // Thai, Lao
        | 0x1000..=0x109F      // Myanmar
        | 0x1780..=0x17FF      // Khmer
        | 0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF      // CJK Extension A
        | 0x4E00..=0x9FFF      // CJK Unified Ideographs
        | 0xF900..=0xFAFF      // CJK Compatibility Ideographs
        | 0x20000..=0x2FA1F    // CJK Extensions B..F, Compatibility Supplement
    )
}

/// Whether every character of `token` is punctuation or a symbol (no letter, digit or mark).
pub fn is_symbol_token(token: &str) -> bool {
    token.chars().all(|c| !c.is_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_keeps_punctuation_as_tokens() {
        let w = Words::of("Hello, world! It's 3.5 km.");
        assert_eq!(w.tokens, vec!["Hello", ",", "world", "!", "It's", "3.5", "km", "."]);
        assert_eq!(w.unspaced, 0);
    }

    #[test]
    fn chinese_and_thai_count_characters() {
        let w = Words::of("我们今天去北京。");
        // Seven characters and the full stop, which is punctuation as in English.
        assert_eq!(w.tokens.len(), 8, "{:?}", w.tokens);
        assert_eq!(w.unspaced, 7);
        assert!(w.unspaced_fraction() > 0.8);
        let w = Words::of("สวัสดีครับ");
        // Thai combining vowels stay with their consonant.
        assert!(w.tokens.len() < "สวัสดีครับ".chars().count());
        assert_eq!(w.unspaced, w.tokens.len());
    }

    #[test]
    fn symbols() {
        assert!(is_symbol_token("..."));
        assert!(is_symbol_token("—"));
        assert!(!is_symbol_token("a."));
    }
}
