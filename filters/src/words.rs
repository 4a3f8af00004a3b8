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
    ///
    /// UAX #29 never joins across ASCII whitespace, except a run of it with a mark or joiner
    /// that follows (WB4) and spaces with other spaces (WB3d). So the words with a non-ASCII
    /// character, with the whitespace before them, go through the general segmenter, and the
    /// ASCII stretches between them through the fast one: the same tokens as segmenting the
    /// whole text (the tests compare them), without the general tables for the English words
    /// of a text that has one curly quote.
    pub fn of(text: &'a str) -> Self {
        let mut words = Words::default();
        let bytes = text.as_bytes();
        let mut done = 0;
        while let Some(offset) = bytes[done..].iter().position(|b| !b.is_ascii()) {
            let first = done + offset;
            let mut start = first;
            while start > done && !ascii_words::is_space(bytes[start - 1]) {
                start -= 1;
            }
            while start > done && ascii_words::is_space(bytes[start - 1]) {
                start -= 1;
            }
            let end = general_stretch_end(text, first);
            words.push_ascii(&text[done..start]);
            words.push_general(&text[start..end]);
            done = end;
        }
        words.push_ascii(&text[done..]);
        words
    }

    /// Tokens of ASCII text, by the fast segmenter.
    fn push_ascii(&mut self, text: &'a str) {
        // The same boundaries, found faster; ASCII has no unspaced script.
        self.tokens.extend(ascii_words::words(text));
    }

    /// Tokens of any text, by the general segmenter.
    fn push_general(&mut self, text: &'a str) {
        for segment in text.split_word_bounds() {
            if segment.chars().all(char::is_whitespace) {
                continue;
            }
            if segment.chars().any(is_unspaced_script) {
                for g in segment.graphemes(true) {
                    if !g.chars().all(char::is_whitespace) {
                        self.tokens.push(g);
                        self.unspaced += 1;
                    }
                }
            } else {
                self.tokens.push(segment);
            }
        }
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

/// Where the stretch for the general segmenter that holds the non-ASCII character at `first`
/// ends: at the next ASCII whitespace, unless a non-ASCII space comes right before it (UAX #29
/// keeps spaces together, WB3d), then at the next one after that.
fn general_stretch_end(text: &str, first: usize) -> usize {
    let bytes = text.as_bytes();
    let mut from = first;
    loop {
        let Some(offset) = bytes[from..].iter().position(|&b| ascii_words::is_space(b)) else {
            return text.len();
        };
        let end = from + offset;
        match text[..end].chars().next_back() {
            Some(c) if !c.is_ascii() && c.is_whitespace() => {
                from = end + bytes[end..].iter().take_while(|&&b| ascii_words::is_space(b)).count();
            }
            _ => return end,
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

    /// The general segmenter over the whole text: what `Words::of` must equal.
    fn whole_text(text: &str) -> (Vec<&str>, usize) {
        let mut words = Words::default();
        words.push_general(text);
        (words.tokens, words.unspaced)
    }

    fn same_as_whole_text(text: &str) {
        let w = Words::of(text);
        assert_eq!((w.tokens, w.unspaced), whole_text(text), "{text:?}");
    }

    #[test]
    fn stretches_split_as_the_whole_text() {
        for text in [
            "l\u{2019}amour  na\u{ef}ve\r\n caf\u{e9}. It\u{2019}s 3.5\u{a0}km",
            "a \u{301}b",                             // a mark after a space joins the space (WB4)
            "a  \u{200d}b \t\u{fe0f}c",               // a joiner, a variation selector
            "x\u{3000} y \u{2003}\u{2003} z\u{2003}", // non-ASCII spaces join ASCII ones (WB3d)
            "x\u{2003} \u{301}b",                     // ... and then a mark after them
            "\u{1f1eb}\u{1f1f7} \u{1f1e9}\u{1f1ea}\u{1f1eb} flags",
            "\u{3000}",
            " \u{2003}",
            "我们 today 去北京。 ok",
            "\r\n\u{301}\n\u{301}\r\u{301}",
        ] {
            same_as_whole_text(text);
        }
    }

    #[test]
    fn random_text_splits_as_the_whole_text() {
        // ASCII classes, whitespace of both kinds, marks, joiners, letters of several scripts.
        let alphabet = "aZ09_:.,;'\" \t\r\n\x0b\x0c-!?\u{e9}\u{301}\u{200d}\u{2019}\u{a0}\u{3000}\u{2003}\u{1f1eb}\u{4e00}\u{e01}\u{5d0}\u{430}";
        for text in crate::random_strings::random_strings(alphabet, 0x9e37_79b9_7f4a_7c15, 50_000, 14) {
            same_as_whole_text(&text);
        }
    }

    #[test]
    fn real_text_splits_as_the_whole_text() {
        for text in crate::test_text::lingua_sentences() {
            same_as_whole_text(&text);
        }
    }

    #[test]
    fn symbols() {
        assert!(is_symbol_token("..."));
        assert!(is_symbol_token("—"));
        assert!(!is_symbol_token("a."));
    }
}
