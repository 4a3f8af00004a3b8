//! Gopher repetition heuristics (Rae et al. 2021, table A1), with the published thresholds as
//! defaults, measured as datatrove's `GopherRepetitionFilter` does: duplicate lines and
//! paragraphs, the character share of the most frequent 2–4-gram, and the character share of
//! duplicated 5–10-grams. Tokens come from [`crate::words`], so unspaced scripts work too; there
//! a token is a character, and n-grams are `unspaced_ngram_scale` times longer.

use std::sync::LazyLock;

use regex::Regex;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64;

use crate::ngram_repeats::Tokens;
use crate::words::Words;
use crate::{Check, Document, Filter, FilterConfig, FilterError};

/// Options of `gopher_repetition`. A fraction of 1 turns its rule off.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GopherRepetitionConfig {
    /// Largest fraction of lines that repeat an earlier line.
    pub max_dup_line_frac: f64,
    /// Largest fraction of paragraphs that repeat an earlier paragraph.
    pub max_dup_para_frac: f64,
    /// Largest fraction of characters in repeated lines.
    pub max_dup_line_char_frac: f64,
    /// Largest fraction of characters in repeated paragraphs.
    pub max_dup_para_char_frac: f64,
    /// `[n, max]` pairs: the most frequent n-gram may cover at most `max` of the characters.
    pub top_ngrams: Vec<(usize, f64)>,
    /// `[n, max]` pairs: duplicated n-grams may cover at most `max` of the characters.
    pub dup_ngrams: Vec<(usize, f64)>,
    /// In text mostly in unspaced scripts (Chinese, Japanese, Thai...), tokens are characters,
    /// so n-grams are this many times longer to span about as many words.
    pub unspaced_ngram_scale: usize,
}

impl Default for GopherRepetitionConfig {
    fn default() -> Self {
        Self {
            max_dup_line_frac: 0.3,
            max_dup_para_frac: 0.3,
            max_dup_line_char_frac: 0.2,
            max_dup_para_char_frac: 0.2,
            top_ngrams: vec![(2, 0.2), (3, 0.18), (4, 0.16)],
            dup_ngrams: vec![(5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)],
            unspaced_ngram_scale: 3,
        }
    }
}

impl FilterConfig for GopherRepetitionConfig {
    const NAME: &'static str = "gopher_repetition";
    const DESCRIPTION: &'static str =
        "Gopher repetition heuristics: duplicate lines/paragraphs, top 2-4-grams, duplicated 5-10-grams";

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        if self.unspaced_ngram_scale == 0 {
            return Err(FilterError::Invalid {
                filter: Self::NAME.into(),
                message: "unspaced_ngram_scale must be at least 1".into(),
            });
        }
        if let Some((n, _)) = self.top_ngrams.iter().chain(&self.dup_ngrams).find(|(n, _)| *n == 0) {
            return Err(FilterError::Invalid {
                filter: Self::NAME.into(),
                message: format!("n-gram size must be at least 1, got {n}"),
            });
        }
        Ok(Box::new(GopherRepetition { config: self.clone() }))
    }
}

/// The `gopher_repetition` filter.
pub struct GopherRepetition {
    config: GopherRepetitionConfig,
}

static PARAGRAPH_BREAK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\n{2,}").unwrap());

impl Filter for GopherRepetition {
    fn version(&self) -> &str {
        "1"
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        let c = &self.config;
        let text = doc.text.as_str();
        let text_chars = text.chars().count().max(1) as f64;
        let mut checks = Vec::with_capacity(4 + c.top_ngrams.len() + c.dup_ngrams.len());

        let paragraphs: Vec<&str> = PARAGRAPH_BREAK.split(text.trim()).collect();
        let (dup, dup_chars) = duplicates(&paragraphs);
        let n_para = paragraphs.len().max(1) as f64;
        checks.push(Check::at_most("dup_para_frac", dup as f64 / n_para, c.max_dup_para_frac));
        checks.push(Check::at_most(
            "dup_para_char_frac",
            dup_chars as f64 / text_chars,
            c.max_dup_para_char_frac,
        ));

        let lines: Vec<&str> = text.split('\n').filter(|l| !l.is_empty()).collect();
        let (dup, dup_chars) = duplicates(&lines);
        let n_lines = lines.len().max(1) as f64;
        checks.push(Check::at_most("dup_line_frac", dup as f64 / n_lines, c.max_dup_line_frac));
        checks.push(Check::at_most(
            "dup_line_char_frac",
            dup_chars as f64 / text_chars,
            c.max_dup_line_char_frac,
        ));

        let words = Words::of(text);
        let hashes: Vec<u64> = words.tokens.iter().map(|w| xxh3_64(w.as_bytes())).collect();
        let ascii = text.is_ascii();
        let tokens = Tokens::new(
            &hashes,
            words.tokens.iter().map(|w| if ascii { w.len() } else { w.chars().count() }),
        );
        // Rules keep their names (`top_2gram...`) whatever the scale, so thresholds stay comparable.
        let scale = if words.unspaced_fraction() > 0.5 { c.unspaced_ngram_scale } else { 1 };
        let sizes: Vec<usize> = c.top_ngrams.iter().chain(&c.dup_ngrams).map(|&(n, _)| n * scale).collect();
        let repeats = tokens.repeats(&sizes);
        let (top, dup) = repeats.split_at(c.top_ngrams.len());
        for (&(n, max), r) in c.top_ngrams.iter().zip(top) {
            checks.push(Check::at_most(
                format!("top_{n}gram_char_frac"),
                r.top_chars as f64 / text_chars,
                max,
            ));
        }
        for (&(n, max), r) in c.dup_ngrams.iter().zip(dup) {
            let chars = r.duplicated_chars as f64;
            checks.push(Check::at_most(format!("dup_{n}gram_char_frac"), chars / text_chars, max));
        }
        checks
    }
}

/// How many elements repeat an earlier one, and how many characters those repeats hold.
fn duplicates(items: &[&str]) -> (usize, usize) {
    let mut seen = FxHashSet::with_capacity_and_hasher(items.len(), Default::default());
    let (mut count, mut chars) = (0, 0);
    for item in items {
        if !seen.insert(*item) {
            count += 1;
            chars += item.chars().count();
        }
    }
    (count, chars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn failed(text: &str) -> Vec<String> {
        let f = GopherRepetitionConfig::default().build().unwrap();
        let mut doc = Document::new("x", text, Arc::from("t"), 1);
        f.check(&mut doc).into_iter().filter(|c| !c.passed).map(|c| c.rule.into_owned()).collect()
    }

    #[test]
    fn varied_text_passes() {
        let t = "It was a bright cold day in April, and the clocks were striking thirteen.\n\
            Winston Smith, his chin nuzzled into his breast in an effort to escape the vile wind,\n\
            slipped quickly through the glass doors of Victory Mansions, though not quickly enough\n\
            to prevent a swirl of gritty dust from entering along with him.";
        assert!(failed(t).is_empty(), "{:?}", failed(t));
    }

    #[test]
    fn loops_fail_line_and_ngram_rules() {
        let t = "Buy cheap watches now.\n".repeat(10);
        let f = failed(&t);
        assert!(f.contains(&"dup_line_frac".to_string()), "{f:?}");
        assert!(f.contains(&"top_2gram_char_frac".to_string()), "{f:?}");
        assert!(f.contains(&"dup_5gram_char_frac".to_string()), "{f:?}");
    }

    #[test]
    fn chinese_repetition_is_seen() {
        let t = "这是一个测试句子，我们重复它。".repeat(20);
        assert!(failed(&t).iter().any(|r| r.starts_with("dup_")), "{:?}", failed(&t));
    }
}
