//! Text normalization before hashing, so that trivial differences do not hide duplicates.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// Which differences normalization removes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Normalization {
    /// Unicode NFKC: compatibility forms (full-width letters, ligatures) become their plain form.
    pub nfkc: bool,
    /// Lowercase everything.
    pub lowercase: bool,
    /// Drop punctuation and symbols.
    pub strip_punctuation: bool,
    /// Collapse runs of whitespace into one space and trim the ends.
    pub collapse_whitespace: bool,
}

impl Default for Normalization {
    fn default() -> Self {
        Self { nfkc: true, lowercase: true, strip_punctuation: true, collapse_whitespace: true }
    }
}

impl Normalization {
    /// Normalizes `text`.
    pub fn apply(&self, text: &str) -> String {
        if text.is_ascii() {
            self.apply_ascii(text)
        } else {
            self.apply_mixed(text)
        }
    }

    /// [`Normalization::apply`] for text with some non-ASCII characters: NFKC only over the
    /// stretches that need it. NFKC leaves ASCII as it is, an ASCII character is never the second
    /// of a composition, and canonical reordering moves only marks, so the text splits before
    /// any ASCII character that no non-ASCII one follows: each non-ASCII run with the ASCII
    /// character before it (`e` + a combining acute is `é`) goes through NFKC, the rest through
    /// the ASCII path. The same result as NFKC over the whole text, as the tests check.
    fn apply_mixed(&self, text: &str) -> String {
        let mut out = Output::new(self, text.len());
        let bytes = text.as_bytes();
        let mut done = 0;
        for run in crate::ascii_words::non_ascii_runs(text) {
            let start = if run.start > done { run.start - 1 } else { run.start };
            for &b in &bytes[done..start] {
                out.push_ascii(b);
            }
            out.extend(&text[start..run.end]);
            done = run.end;
        }
        for &b in &bytes[done..] {
            out.push_ascii(b);
        }
        out.text
    }

    /// [`Normalization::apply`] for any text, NFKC over all of it: what the faster paths
    /// must equal.
    #[cfg(test)]
    fn apply_general(&self, text: &str) -> String {
        let mut out = Output::new(self, text.len());
        out.extend(text);
        out.text
    }

    /// [`Normalization::apply`] for ASCII text, byte by byte (NFKC leaves ASCII as it is; most
    /// documents are ASCII). The same result, as a test checks.
    fn apply_ascii(&self, text: &str) -> String {
        let mut out = Output::new(self, text.len());
        for &b in text.as_bytes() {
            out.push_ascii(b);
        }
        out.text
    }
}

/// Normalized text being written, character by character.
struct Output<'a> {
    config: &'a Normalization,
    text: String,
    pending_space: bool,
}

impl<'a> Output<'a> {
    fn new(config: &'a Normalization, capacity: usize) -> Self {
        Self { config, text: String::with_capacity(capacity), pending_space: false }
    }

    /// Writes `text`'s characters, through NFKC when configured.
    fn extend(&mut self, text: &str) {
        if self.config.nfkc {
            text.nfkc().for_each(|c| self.push(c));
        } else {
            text.chars().for_each(|c| self.push(c));
        }
    }

    /// Writes one ASCII character: [`Output::push`] on bytes.
    fn push_ascii(&mut self, b: u8) {
        let config = self.config;
        let space = crate::ascii_words::is_space(b);
        if config.strip_punctuation && !b.is_ascii_alphanumeric() && !space {
            return;
        }
        if config.collapse_whitespace && space {
            self.pending_space = !self.text.is_empty();
            return;
        }
        if self.pending_space {
            self.text.push(' ');
            self.pending_space = false;
        }
        self.text.push(char::from(if config.lowercase { b.to_ascii_lowercase() } else { b }));
    }

    /// Writes one (already NFKC) character.
    fn push(&mut self, c: char) {
        let config = self.config;
        if config.strip_punctuation && !c.is_alphanumeric() && !c.is_whitespace() {
            return;
        }
        if config.collapse_whitespace && c.is_whitespace() {
            self.pending_space = !self.text.is_empty();
            return;
        }
        if self.pending_space {
            self.text.push(' ');
            self.pending_space = false;
        }
        if config.lowercase {
            self.text.extend(c.to_lowercase());
        } else {
            self.text.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_trivial_differences() {
        let n = Normalization::default();
        assert_eq!(n.apply("  Hello,\n\tWORLD!! ﬁne  "), "hello world fine");
        assert_eq!(n.apply("ＡＢＣ　１２３"), "abc 123");
        let keep_case = Normalization { lowercase: false, ..Default::default() };
        assert_eq!(keep_case.apply("Hello, World"), "Hello World");
    }

    /// The settings the faster paths are checked under.
    fn configs() -> [Normalization; 5] {
        [
            Normalization::default(),
            Normalization { nfkc: false, lowercase: false, ..Default::default() },
            Normalization { strip_punctuation: false, ..Default::default() },
            Normalization { collapse_whitespace: false, ..Default::default() },
            Normalization { strip_punctuation: false, collapse_whitespace: false, ..Default::default() },
        ]
    }

    #[test]
    fn the_ascii_path_gives_what_the_general_one_gives() {
        let text = "  It's 3.5\x0bkm\r\n-- A_B; \"Q\"\t\x0c(x) ~end~  ";
        for n in &configs() {
            assert_eq!(n.apply_ascii(text), n.apply_general(text), "{n:?}");
        }
    }

    #[test]
    fn the_mixed_path_gives_what_nfkc_over_the_whole_text_gives() {
        // Marks after ASCII letters (composed with them), compatibility forms, full-width
        // letters, Hangul jamo, non-ASCII spaces and punctuation, among ASCII.
        let alphabet = "aE z0.,-' \t\n\u{301}\u{308}\u{327}\u{fb01}\u{ff21}\u{1100}\u{1161}\u{11a8}\u{e9}\u{3000}\u{2019}\u{391}\u{3b0}\u{1e9b}\u{323}";
        let configs = configs();
        let texts = crate::random_strings::random_strings(alphabet, 0x2545_f491_4f6c_dd1d, 50_000, 14);
        for text in &texts {
            for n in &configs {
                assert_eq!(n.apply_mixed(text), n.apply_general(text), "{text:?} {n:?}");
            }
        }
        for text in crate::test_text::lingua_sentences() {
            for n in &configs {
                assert_eq!(n.apply_mixed(&text), n.apply_general(&text));
            }
        }
        for text in [
            "cafe\u{301} na\u{ef}ve \u{fb01}ne",
            "e\u{301}\u{323}x",
            "\u{1100}\u{1161}a",
            "A\u{30a}ngstr\u{f6}m",
        ] {
            assert_eq!(
                Normalization::default().apply_mixed(text),
                Normalization::default().apply_general(text)
            );
        }
    }

    #[test]
    fn the_ascii_path_gives_what_the_general_one_gives_on_random_text() {
        // Every ASCII class, short texts, a fixed pseudo-random sequence (as ascii_words' test).
        let alphabet = "aZq09_:.,;'\" \t\r\n\x0b\x0c-!?()~#$%&*+/<=>@[]^`{|}\x7f\x01";
        let configs = configs();
        let texts = crate::random_strings::random_strings(alphabet, 0x9e37_79b9_7f4a_7c15, 20_000, 16);
        assert!(texts.iter().any(|t| t.len() > 12));
        for text in &texts {
            for n in &configs {
                assert_eq!(n.apply_ascii(text), n.apply_general(text), "{text:?} {n:?}");
            }
        }
    }
}
