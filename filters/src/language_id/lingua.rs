//! lingua as the language detector: 75 languages, n-gram models compiled into the binary.

use std::str::FromStr;

use lingua::{IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder};

use super::{checks, invalid, sample, LanguageIdConfig};
use crate::{Check, Document, Filter, FilterError};

/// `language_id` with lingua.
pub struct LinguaLanguageId {
    detector: LanguageDetector,
    /// ISO 639-1 codes, as lingua writes them.
    keep: Vec<String>,
    min_confidence: f64,
    max_chars: usize,
}

/// The ISO 639-1 code of `language`.
fn code(language: Language) -> String {
    language.iso_code_639_1().to_string()
}

/// lingua's languages for ISO 639-1 `codes`, the option `key` named in the error.
fn parse_codes(codes: &[String], key: &str) -> Result<Vec<Language>, FilterError> {
    codes
        .iter()
        .map(|code| {
            IsoCode639_1::from_str(code)
                .map(|iso| Language::from_iso_code_639_1(&iso))
                .map_err(|_| invalid(format!("`{key}`: `{code}` is not an ISO 639-1 code that lingua knows")))
        })
        .collect()
}

impl LinguaLanguageId {
    /// The detector `config` describes.
    pub fn new(config: &LanguageIdConfig) -> Result<Self, FilterError> {
        let keep = parse_codes(&config.keep, "keep")?.into_iter().map(code).collect();
        let detect = parse_codes(&config.detect, "detect")?;
        let mut builder = match detect.len() {
            0 => LanguageDetectorBuilder::from_all_languages(),
            1 => return Err(invalid("`detect` needs at least two languages (or none for all)".into())),
            _ => LanguageDetectorBuilder::from_languages(&detect),
        };
        if config.low_accuracy {
            builder.with_low_accuracy_mode();
        }
        Ok(Self {
            detector: builder.build(),
            keep,
            min_confidence: config.min_confidence,
            max_chars: config.max_chars,
        })
    }

    /// The most likely language of `text` and its confidence, if any language is likely.
    pub fn detect(&self, text: &str) -> Option<(Language, f64)> {
        self.detector.compute_language_confidence_values(sample(text, self.max_chars)).into_iter().next()
    }
}

impl Filter for LinguaLanguageId {
    fn version(&self) -> &str {
        "1"
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        // lingua sums probabilities in hash-map order, which changes from process to process
        // in the last bits; rounding keeps outputs identical across runs.
        let detected = self.detect(&doc.text).map(|(l, c)| (code(l), (c * 1e9).round() / 1e9));
        checks(doc, detected, &self.keep, self.min_confidence)
    }
}
