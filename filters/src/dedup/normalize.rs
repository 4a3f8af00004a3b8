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
            self.apply_general(text)
        }
    }

    /// [`Normalization::apply`] for any text.
    fn apply_general(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut pending_space = false;
        let mut push = |c: char, out: &mut String| {
            if self.strip_punctuation && !c.is_alphanumeric() && !c.is_whitespace() {
                return;
            }
            if self.collapse_whitespace && c.is_whitespace() {
                pending_space = !out.is_empty();
                return;
            }
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            if self.lowercase {
                out.extend(c.to_lowercase());
            } else {
                out.push(c);
            }
        };
        if self.nfkc {
            for c in text.nfkc() {
                push(c, &mut out);
            }
        } else {
            for c in text.chars() {
                push(c, &mut out);
            }
        }
        out
    }

    /// [`Normalization::apply`] for ASCII text, byte by byte (NFKC leaves ASCII as it is; most
    /// documents are ASCII). The same result, as a test checks.
    fn apply_ascii(&self, text: &str) -> String {
        let mut out = Vec::with_capacity(text.len());
        let mut pending_space = false;
        for &b in text.as_bytes() {
            // `char::is_whitespace` on ASCII: also the vertical tab, unlike `u8::is_ascii_whitespace`.
            let space = b.is_ascii_whitespace() || b == 0x0B;
            if self.strip_punctuation && !b.is_ascii_alphanumeric() && !space {
                continue;
            }
            if self.collapse_whitespace && space {
                pending_space = !out.is_empty();
                continue;
            }
            if pending_space {
                out.push(b' ');
                pending_space = false;
            }
            out.push(if self.lowercase { b.to_ascii_lowercase() } else { b });
        }
        String::from_utf8(out).expect("ASCII in, ASCII out")
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

    #[test]
    fn the_ascii_path_gives_what_the_general_one_gives() {
        let text = "  It's 3.5\x0bkm\r\n-- A_B; \"Q\"\t\x0c(x) ~end~  ";
        for n in [
            Normalization::default(),
            Normalization { nfkc: false, lowercase: false, ..Default::default() },
            Normalization { strip_punctuation: false, ..Default::default() },
            Normalization { collapse_whitespace: false, ..Default::default() },
        ] {
            assert_eq!(n.apply_ascii(text), n.apply_general(text), "{n:?}");
        }
    }

    #[test]
    fn the_ascii_path_gives_what_the_general_one_gives_on_random_text() {
        // Every ASCII class, short texts, a fixed pseudo-random sequence (as ascii_words' test).
        let alphabet = "aZq09_:.,;'\" \t\r\n\x0b\x0c-!?()~#$%&*+/<=>@[]^`{|}\x7f\x01";
        let configs = [
            Normalization::default(),
            Normalization { nfkc: false, lowercase: false, ..Default::default() },
            Normalization { strip_punctuation: false, ..Default::default() },
            Normalization { collapse_whitespace: false, ..Default::default() },
        ];
        let texts = crate::random_strings::random_strings(alphabet, 0x9e37_79b9_7f4a_7c15, 20_000, 16);
        assert!(texts.iter().any(|t| t.len() > 12));
        for text in &texts {
            for n in &configs {
                assert_eq!(n.apply_ascii(text), n.apply_general(text), "{text:?} {n:?}");
            }
        }
    }
}
