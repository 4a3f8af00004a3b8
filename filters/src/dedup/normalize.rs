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
        // NFKC leaves ASCII as it is; most text is mostly ASCII, so skip the decomposition then.
        if self.nfkc && !text.is_ascii() {
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
}
