//! Language identification with lingua: writes `language` (ISO 639-1) and `language_score` to
//! every document it sees, and keeps documents in an allow-list above a minimum confidence.

use std::str::FromStr;

use lingua::{IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder};
use serde::{Deserialize, Serialize};

use crate::{Check, Document, Filter, FilterConfig, FilterError};

/// Options of `language_id`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LanguageIdConfig {
    /// ISO 639-1 codes of the languages to keep; empty keeps every detected language.
    pub keep: Vec<String>,
    /// ISO 639-1 codes of the languages to tell apart; empty means all of lingua's 75.
    pub detect: Vec<String>,
    /// Smallest confidence of the detected language, in `[0, 1]`.
    pub min_confidence: f64,
    /// Characters from the start of the text that are looked at; 0 looks at all of it. The cost
    /// grows with it (lingua scores every n-gram against every candidate language); 300
    /// characters give the same languages as 1,000 on real documents, at a third of the cost.
    pub max_chars: usize,
    /// lingua's low accuracy mode (trigrams only): less accurate below ~120 characters, and
    /// measured slower here on 300-character samples of documents; off by default.
    pub low_accuracy: bool,
}

impl Default for LanguageIdConfig {
    fn default() -> Self {
        Self { keep: vec![], detect: vec![], min_confidence: 0.5, max_chars: 300, low_accuracy: false }
    }
}

fn parse_codes(codes: &[String], key: &str) -> Result<Vec<Language>, FilterError> {
    codes
        .iter()
        .map(|code| {
            IsoCode639_1::from_str(code).map(|iso| Language::from_iso_code_639_1(&iso)).map_err(|_| {
                FilterError::Invalid {
                    filter: LanguageIdConfig::NAME.into(),
                    message: format!("`{key}`: `{code}` is not an ISO 639-1 code that lingua knows"),
                }
            })
        })
        .collect()
}

impl FilterConfig for LanguageIdConfig {
    const NAME: &'static str = "language_id";
    const DESCRIPTION: &'static str =
        "Language ID with lingua (75 languages): writes language and language_score; keeps an allow-list above a confidence";

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        let keep = parse_codes(&self.keep, "keep")?;
        let detect = parse_codes(&self.detect, "detect")?;
        if !(0.0..=1.0).contains(&self.min_confidence) {
            return Err(FilterError::Invalid {
                filter: Self::NAME.into(),
                message: format!("`min_confidence` must lie in [0, 1], got {}", self.min_confidence),
            });
        }
        let mut builder = match detect.len() {
            0 => LanguageDetectorBuilder::from_all_languages(),
            1 => {
                return Err(FilterError::Invalid {
                    filter: Self::NAME.into(),
                    message: "`detect` needs at least two languages (or none for all)".into(),
                })
            }
            _ => LanguageDetectorBuilder::from_languages(&detect),
        };
        if self.low_accuracy {
            builder.with_low_accuracy_mode();
        }
        Ok(Box::new(LinguaLanguageId {
            detector: builder.build(),
            keep,
            min_confidence: self.min_confidence,
            max_chars: self.max_chars,
        }))
    }
}

/// The `language_id` filter.
pub struct LinguaLanguageId {
    detector: LanguageDetector,
    keep: Vec<Language>,
    min_confidence: f64,
    max_chars: usize,
}

impl LinguaLanguageId {
    /// The most likely language of `text` and its confidence, if any language is likely.
    pub fn detect(&self, text: &str) -> Option<(Language, f64)> {
        let sample = match self.max_chars {
            0 => text,
            n => text.char_indices().nth(n).map_or(text, |(i, _)| &text[..i]),
        };
        self.detector.compute_language_confidence_values(sample).into_iter().next()
    }
}

impl Filter for LinguaLanguageId {
    fn version(&self) -> &str {
        "1"
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        let Some((language, confidence)) = self.detect(&doc.text).filter(|(_, c)| *c > 0.0) else {
            doc.language = None;
            doc.language_score = Some(0.0);
            return vec![Check::new("language_detected", None, None, false, "no language detected")];
        };
        // lingua sums probabilities in hash-map order, which changes from process to process
        // in the last bits; rounding keeps outputs identical across runs.
        let confidence = (confidence * 1e9).round() / 1e9;
        let code = language.iso_code_639_1().to_string();
        let allowed = self.keep.is_empty() || self.keep.contains(&language);
        let reason = format!("language `{code}` is not in keep list");
        doc.language = Some(code);
        doc.language_score = Some(confidence);
        vec![
            Check::new("language_allowed", None, None, allowed, reason),
            Check::at_least("language_confidence_min", confidence, self.min_confidence),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn detects_and_filters() {
        let config = LanguageIdConfig { keep: vec!["de".into()], ..Default::default() };
        let f = config.build().unwrap();
        let mut doc = Document::new(
            "1",
            "Der schnelle braune Fuchs springt über den faulen Hund und läuft in den Wald.",
            Arc::from("t"),
            1,
        );
        let checks = f.check(&mut doc);
        assert_eq!(doc.language.as_deref(), Some("de"));
        assert!(checks.iter().all(|c| c.passed), "{checks:?}");
        let mut doc = Document::new("2", "The quick brown fox jumps over the lazy dog.", Arc::from("t"), 1);
        let checks = f.check(&mut doc);
        assert_eq!(doc.language.as_deref(), Some("en"));
        assert!(!checks[0].passed && checks[0].reason.contains("`en`"));
        let mut doc = Document::new("3", "12345 !!! ???", Arc::from("t"), 1);
        assert!(!f.check(&mut doc)[0].passed);
    }

    #[test]
    fn bad_codes_are_refused() {
        let config = LanguageIdConfig { keep: vec!["english".into()], ..Default::default() };
        let err = config.build().err().unwrap().to_string();
        assert!(err.contains("`english` is not an ISO 639-1 code"), "{err}");
    }
}
