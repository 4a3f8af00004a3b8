//! lingua as the language detector: 75 languages, n-gram models compiled into the binary.
//! Two corrections measured on real exam questions: close languages are named as their group
//! when the evidence between them is thin ([`super::groups`]), and Kazakh needs Kazakh letters
//! (lingua 1.8 calls short Ukrainian text with `і` but none of `ї є ґ` Kazakh at confidence 1.0,
//! 2% of Ukrainian exam questions).

use std::str::FromStr;

use lingua::{IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder};

use super::{checks, groups, invalid, sample, LanguageIdConfig};
use crate::{Check, Document, Filter, FilterError};

/// lingua's detector with its correction: text it takes for Kazakh without a Kazakh letter is
/// detected again without Kazakh. Language ID and the language-mixing rule both use it.
pub struct LinguaDetector {
    detector: LanguageDetector,
    /// The same languages but Kazakh (none when Kazakh is not detected).
    without_kazakh: Option<LanguageDetector>,
}

impl LinguaDetector {
    /// A detector of `languages` (at least two), in lingua's low accuracy mode when asked.
    pub fn new(languages: &[Language], low_accuracy: bool) -> Self {
        let build = |languages: &[Language]| {
            let mut builder = LanguageDetectorBuilder::from_languages(languages);
            if low_accuracy {
                builder.with_low_accuracy_mode();
            }
            builder.build()
        };
        let others: Vec<Language> = languages.iter().copied().filter(|l| *l != Language::Kazakh).collect();
        let without_kazakh = (others.len() < languages.len() && others.len() >= 2).then(|| build(&others));
        Self { detector: build(languages), without_kazakh }
    }

    /// A detector of all 75 languages.
    pub fn all() -> Self {
        Self::new(&Language::all().into_iter().collect::<Vec<_>>(), false)
    }

    /// Languages of `text` with their confidences, most likely first.
    pub fn confidence_values(&self, text: &str) -> Vec<(Language, f64)> {
        let ranked = self.detector.compute_language_confidence_values(text);
        match (&self.without_kazakh, ranked.first()) {
            (Some(others), Some((Language::Kazakh, _))) if !text.contains(|c| KAZAKH_LETTERS.contains(c)) => {
                others.compute_language_confidence_values(text)
            }
            _ => ranked,
        }
    }
}

/// `language_id` with lingua.
pub struct LinguaLanguageId {
    detector: LinguaDetector,
    group_min_share: f64,
    /// ISO 639-1 codes, as lingua writes them.
    keep: Vec<String>,
    min_confidence: f64,
    max_chars: usize,
}

/// The ISO 639-1 code of `language`.
fn code(language: Language) -> String {
    language.iso_code_639_1().to_string()
}

/// Letters of Kazakh's Cyrillic alphabet that Russian and Ukrainian lack: every sentence of
/// lingua's Kazakh test set (1,000) has one.
const KAZAKH_LETTERS: &str = "ӘәҒғҚқҢңҰұҮүӨөҺһ";

/// lingua's languages for ISO 639-1 `codes`, the option `key` named in the error. A group's
/// code that is no language of lingua's (`sh`, `no`) stands for its members.
fn parse_codes(codes: &[String], key: &str) -> Result<Vec<Language>, FilterError> {
    let mut languages = Vec::new();
    for code in codes {
        let known = |c: &str| IsoCode639_1::from_str(c).is_ok();
        let members: Vec<&str> = match groups::group_of(code) {
            Some(group) if group.code == code && !known(code) => {
                group.members.iter().copied().filter(|m| known(m)).collect()
            }
            _ => vec![code.as_str()],
        };
        for member in members {
            let iso = IsoCode639_1::from_str(member).map_err(|_| {
                invalid(format!("`{key}`: `{code}` is not an ISO 639-1 code that lingua knows"))
            })?;
            let language = Language::from_iso_code_639_1(&iso);
            if !languages.contains(&language) {
                languages.push(language);
            }
        }
    }
    Ok(languages)
}

impl LinguaLanguageId {
    /// The detector `config` describes.
    pub fn new(config: &LanguageIdConfig) -> Result<Self, FilterError> {
        parse_codes(&config.keep, "keep")?;
        let mut detect = parse_codes(&config.detect, "detect")?;
        if detect.len() == 1 {
            return Err(invalid("`detect` needs at least two languages (or none for all)".into()));
        }
        if detect.is_empty() {
            detect = Language::all().into_iter().collect();
        }
        Ok(Self {
            detector: LinguaDetector::new(&detect, config.low_accuracy),
            group_min_share: config.group_min_share,
            keep: config.keep.clone(),
            min_confidence: config.min_confidence,
            max_chars: config.max_chars,
        })
    }

    /// Languages of `text` with their confidences, most likely first.
    pub fn ranked(&self, text: &str) -> Vec<(Language, f64)> {
        self.detector.confidence_values(&sample(text, self.max_chars))
    }

    /// The ISO 639-1 code of the language of `text` (or of its group) and its confidence, if
    /// any language is likely.
    pub fn detect(&self, text: &str) -> Option<(String, f64)> {
        let ranked: Vec<(String, f64)> =
            self.ranked(text).into_iter().take_while(|(_, c)| *c > 0.0).map(|(l, c)| (code(l), c)).collect();
        groups::decide(&ranked, self.group_min_share)
    }
}

impl Filter for LinguaLanguageId {
    fn version(&self) -> &str {
        // 2: groups of close languages, Kazakh needs Kazakh letters.
        "2"
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        // lingua sums probabilities in hash-map order, which changes from process to process
        // in the last bits; rounding keeps outputs identical across runs.
        let detected = self.detect(&doc.text).map(|(l, c)| (l, (c * 1e9).round() / 1e9));
        checks(doc, detected, &self.keep, self.min_confidence)
    }
}
