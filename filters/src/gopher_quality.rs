//! Gopher quality heuristics (Rae et al. 2021, "Scaling Language Models", appendix A.1.1), with
//! the published thresholds as defaults, measured as datatrove's `GopherQualityFilter` does.

use serde::{Deserialize, Serialize};

use crate::words::{is_symbol_token, Words};
use crate::{Check, Document, Filter, FilterConfig, FilterError};

/// Options of `gopher_quality`. Set a `min_*` to 0 or a `max_*` ratio to 1 to turn a rule off.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GopherQualityConfig {
    /// Fewest words (tokens that are not pure punctuation).
    pub min_words: usize,
    /// Most words.
    pub max_words: usize,
    /// Smallest mean word length, in characters (space-delimited scripts only).
    pub min_mean_word_length: f64,
    /// Largest mean word length, in characters (space-delimited scripts only).
    pub max_mean_word_length: f64,
    /// Most `#` per word, and most ellipses (`...`, `…`) per word.
    pub max_symbol_word_ratio: f64,
    /// Largest fraction of lines that start with a bullet (`•`, `-`).
    pub max_bullet_lines_ratio: f64,
    /// Largest fraction of lines that end with an ellipsis.
    pub max_ellipsis_lines_ratio: f64,
    /// Smallest fraction of tokens that contain a letter.
    pub min_alpha_words_ratio: f64,
    /// Fewest stop words, for documents in `stop_words_languages` (or of unknown language).
    pub min_stop_words: usize,
    /// The stop words Gopher requires.
    pub stop_words: Vec<String>,
    /// ISO 639-1 codes of the languages the stop-word rule applies to.
    pub stop_words_languages: Vec<String>,
}

impl Default for GopherQualityConfig {
    fn default() -> Self {
        Self {
            min_words: 50,
            max_words: 100_000,
            min_mean_word_length: 3.0,
            max_mean_word_length: 10.0,
            max_symbol_word_ratio: 0.1,
            max_bullet_lines_ratio: 0.9,
            max_ellipsis_lines_ratio: 0.3,
            min_alpha_words_ratio: 0.8,
            min_stop_words: 2,
            stop_words: ["the", "be", "to", "of", "and", "that", "have", "with"].map(String::from).to_vec(),
            stop_words_languages: vec!["en".into()],
        }
    }
}

impl FilterConfig for GopherQualityConfig {
    const NAME: &'static str = "gopher_quality";
    const DESCRIPTION: &'static str =
        "Gopher quality heuristics: word count, mean word length, symbols, bullets, ellipses, letters, stop words";

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        if self.min_words > self.max_words {
            return Err(FilterError::Invalid {
                filter: Self::NAME.into(),
                message: format!("min_words ({}) exceeds max_words ({})", self.min_words, self.max_words),
            });
        }
        Ok(Box::new(GopherQuality { config: self.clone() }))
    }
}

/// The `gopher_quality` filter.
pub struct GopherQuality {
    config: GopherQualityConfig,
}

/// Above this fraction of unspaced-script tokens, word length says nothing about quality.
const UNSPACED_DOMINANT: f64 = 0.5;

impl Filter for GopherQuality {
    fn version(&self) -> &str {
        "1"
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        let c = &self.config;
        let text = doc.text.as_str();
        let words = Words::of(text);
        let n_tokens = words.tokens.len().max(1) as f64;
        let non_symbol: Vec<&str> = words.tokens.iter().copied().filter(|w| !is_symbol_token(w)).collect();
        let n_words = non_symbol.len();
        let mut checks = vec![
            Check::at_least("word_count_min", n_words as f64, c.min_words as f64),
            Check::at_most("word_count_max", n_words as f64, c.max_words as f64),
        ];

        if words.unspaced_fraction() <= UNSPACED_DOMINANT && n_words > 0 {
            let ascii = text.is_ascii();
            let total: usize =
                non_symbol.iter().map(|w| if ascii { w.len() } else { w.chars().count() }).sum();
            let mean = total as f64 / n_words as f64;
            checks.push(Check::at_least("mean_word_length_min", mean, c.min_mean_word_length));
            checks.push(Check::at_most("mean_word_length_max", mean, c.max_mean_word_length));
        }

        let hashes = text.matches('#').count() as f64;
        checks.push(Check::at_most("hash_word_ratio", hashes / n_tokens, c.max_symbol_word_ratio));
        let ellipses = (text.matches("...").count() + text.matches('…').count()) as f64;
        checks.push(Check::at_most("ellipsis_word_ratio", ellipses / n_tokens, c.max_symbol_word_ratio));

        let lines: Vec<&str> = text.lines().collect();
        let n_lines = lines.len().max(1) as f64;
        let bullets = lines
            .iter()
            .filter(|l| {
                let l = l.trim_start();
                l.starts_with('•') || l.starts_with('-')
            })
            .count() as f64;
        checks.push(Check::at_most("bullet_lines_ratio", bullets / n_lines, c.max_bullet_lines_ratio));
        let ellipsis_lines = lines
            .iter()
            .filter(|l| {
                let l = l.trim_end();
                l.ends_with("...") || l.ends_with('…')
            })
            .count() as f64;
        checks.push(Check::at_most(
            "ellipsis_lines_ratio",
            ellipsis_lines / n_lines,
            c.max_ellipsis_lines_ratio,
        ));

        let alpha = words.tokens.iter().filter(|w| w.chars().any(char::is_alphabetic)).count();
        checks.push(Check::at_least("alpha_words_ratio", alpha as f64 / n_tokens, c.min_alpha_words_ratio));

        let applies = match &doc.language {
            Some(lang) => c.stop_words_languages.iter().any(|l| l == lang),
            None => true,
        };
        if applies {
            let stops = words.tokens.iter().filter(|w| c.stop_words.iter().any(|s| s == *w)).count();
            checks.push(Check::at_least("stop_words_min", stops as f64, c.min_stop_words as f64));
        }
        checks
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn run(text: &str, language: Option<&str>) -> Vec<Check> {
        let f = GopherQualityConfig::default().build().unwrap();
        let mut doc = Document::new("x", text, Arc::from("t"), 1);
        doc.language = language.map(String::from);
        f.check(&mut doc)
    }

    fn failed(checks: &[Check]) -> Vec<&str> {
        checks.iter().filter(|c| !c.passed).map(|c| c.rule.as_ref()).collect()
    }

    #[test]
    fn prose_passes_and_lists_fail() {
        let prose = "The committee met on Tuesday to discuss the budget for the coming year. \
            Members agreed that the library should receive more money, and that the roads \
            department would have to wait until the spring. After a long debate about the \
            park, the chair closed the meeting with a short statement to the press and thanked \
            everyone for coming to the hall on such a cold evening.";
        assert_eq!(failed(&run(prose, Some("en"))), Vec::<&str>::new());
        let list = "- a\n- b\n- c\n- d\n";
        let checks = run(list, Some("en"));
        let f = failed(&checks);
        assert!(f.contains(&"word_count_min") && f.contains(&"bullet_lines_ratio"), "{f:?}");
    }

    #[test]
    fn stop_words_only_for_their_languages() {
        let de = "Der Ausschuss traf sich am Dienstag, um den Haushalt für das kommende Jahr zu besprechen.";
        assert!(run(de, Some("de")).iter().all(|c| c.rule != "stop_words_min"));
        assert!(run(de, None).iter().any(|c| c.rule == "stop_words_min"));
    }

    #[test]
    fn chinese_is_counted_in_characters_without_word_length_rules() {
        let zh = "我们今天去北京参观了故宫和长城，天气很好，大家都很开心。".repeat(3);
        let checks = run(&zh, Some("zh"));
        assert!(checks.iter().all(|c| !c.rule.starts_with("mean_word_length")));
        let wc = checks.iter().find(|c| c.rule == "word_count_min").unwrap();
        assert!(wc.passed && wc.score.unwrap() >= 50.0, "{wc:?}");
    }
}
