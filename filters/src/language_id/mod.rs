//! Language identification: writes `language` and `language_score` to every document it sees,
//! and keeps documents in an allow-list above a minimum confidence. Two detectors: lingua (the
//! default: 75 languages, ISO 639-1 codes) and fastText with a model file such as lid.176
//! (176 languages, the model datatrove and CCNet use; its labels are the codes). Close languages
//! it cannot tell apart are named as their group ([`groups`]).

mod fasttext;
pub mod groups;
mod lingua;

use std::borrow::Cow;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

pub use self::fasttext::FastTextLanguageId;
pub use self::lingua::{LinguaDetector, LinguaLanguageId};
use crate::{Check, Document, FilterConfig, FilterError};

/// Options of `language_id`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LanguageIdConfig {
    /// Language codes to keep (ISO 639-1 for lingua; the model's labels for fastText, without
    /// `__label__`); empty keeps every detected language.
    pub keep: Vec<String>,
    /// lingua only: ISO 639-1 codes of the languages to tell apart; empty means all 75.
    pub detect: Vec<String>,
    /// Smallest confidence of the detected language, in `[0, 1]`.
    pub min_confidence: f64,
    /// Characters from the start of the text that are looked at; 0 looks at all of it. The cost
    /// grows with it; with lingua, 300 characters give the same languages as 1,000 on real
    /// documents, at a third of the cost.
    pub max_chars: usize,
    /// lingua's low accuracy mode (trigrams only): less accurate below ~120 characters, and
    /// measured slower here on 300-character samples of documents; off by default.
    pub low_accuracy: bool,
    /// A fastText language-ID model (`lid.176.ftz` or `.bin`): detect with fastText instead of
    /// lingua. Relative paths are taken from the working directory.
    pub fasttext_model: Option<PathBuf>,
    /// Close languages ([`groups::GROUPS`]: Croatian, Bosnian and Serbian; Bokmål and Nynorsk;
    /// Malay and Indonesian): when the best of them holds less than this share of the
    /// confidence they share, the document's language is the group (`sh`, `no`, `ms`) with
    /// their summed confidence. 0 always names the single best language. At 0.6 (the default)
    /// lingua names a wrong member for 3% of its Croatian test sentences instead of 10% (the
    /// group for 22%), and for 2% of Croatian exam questions instead of 11% (the group for 37%).
    pub group_min_share: f64,
}

impl Default for LanguageIdConfig {
    fn default() -> Self {
        Self {
            keep: vec![],
            detect: vec![],
            min_confidence: 0.5,
            max_chars: 300,
            low_accuracy: false,
            fasttext_model: None,
            group_min_share: 0.6,
        }
    }
}

impl FilterConfig for LanguageIdConfig {
    const NAME: &'static str = "language_id";
    const DESCRIPTION: &'static str =
        "Language ID with lingua (75 languages) or a fastText model (lid.176): writes \
         language and language_score; keeps an allow-list above a confidence";

    fn build(&self) -> Result<Box<dyn crate::Filter>, FilterError> {
        if !(0.0..=1.0).contains(&self.min_confidence) {
            return Err(invalid(format!("`min_confidence` must lie in [0, 1], got {}", self.min_confidence)));
        }
        if !(0.0..=1.0).contains(&self.group_min_share) {
            return Err(invalid(format!(
                "`group_min_share` must lie in [0, 1], got {}",
                self.group_min_share
            )));
        }
        match &self.fasttext_model {
            Some(model) => Ok(Box::new(FastTextLanguageId::new(self, model)?)),
            None => Ok(Box::new(LinguaLanguageId::new(self)?)),
        }
    }
}

/// An error in the options.
fn invalid(message: String) -> FilterError {
    FilterError::Invalid { filter: LanguageIdConfig::NAME.into(), message }
}

/// The first `max_chars` characters of `text` (all of it for 0), in Unicode's composed form
/// (NFC): both detectors learned composed text, and read decomposed accents as other letters
/// (Vietnamese in NFD was taken for Zulu).
fn sample(text: &str, max_chars: usize) -> Cow<'_, str> {
    let head = match max_chars {
        0 => text,
        n => text.char_indices().nth(n).map_or(text, |(i, _)| &text[..i]),
    };
    if is_nfc(head) {
        Cow::Borrowed(head)
    } else {
        Cow::Owned(head.nfc().collect())
    }
}

/// Whether `text` is surely in NFC: Unicode's quick check, run only over the non-ASCII runs.
/// An ASCII character is composed and starts afresh (the check forgets what came before it),
/// so each run can be checked alone; most text is mostly ASCII.
fn is_nfc(text: &str) -> bool {
    use unicode_normalization::{is_nfc_quick, IsNormalized};
    crate::ascii_words::non_ascii_runs(text).all(|run| is_nfc_quick(text[run].chars()) == IsNormalized::Yes)
}

/// Writes a detection to `doc`, and the checks on it: the language must be in `keep` (when it
/// is not empty; a group is in it when one of its members is) and its confidence at least
/// `min_confidence`.
fn checks(
    doc: &mut Document,
    detected: Option<(String, f64)>,
    keep: &[String],
    min_confidence: f64,
) -> Vec<Check> {
    let Some((code, confidence)) = detected.filter(|(_, c)| *c > 0.0) else {
        doc.language = None;
        doc.language_score = Some(0.0);
        return vec![Check::new("language_detected", None, None, false, "no language detected")];
    };
    let allowed = groups::allowed(keep, &code);
    let reason = format!("language `{code}` is not in keep list");
    doc.language = Some(code);
    doc.language_score = Some(confidence);
    vec![
        Check::new("language_allowed", None, None, allowed, reason),
        Check::at_least("language_confidence_min", confidence, min_confidence),
    ]
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
    fn the_nfc_check_over_runs_is_the_check_over_the_whole_text() {
        use unicode_normalization::{is_nfc_quick, IsNormalized};
        // Marks out of order after ASCII and after letters, composed and decomposed accents,
        // jamo, a compatibility form.
        let alphabet = "ab \u{301}\u{316}\u{327}e\u{e9}\u{1100}\u{1161}\u{ac00}\u{fb01}\u{2126}.";
        let texts = crate::random_strings::random_strings(alphabet, 7, 20_000, 10);
        let mut differ = 0;
        for text in &texts {
            let whole = is_nfc_quick(text.chars()) == IsNormalized::Yes;
            assert_eq!(is_nfc(text), whole, "{text:?}");
            differ += usize::from(!whole);
        }
        assert!(differ > 1_000 && differ < 19_000, "{differ}");
        let vietnamese = "Tiếng Việt có dấu";
        assert!(is_nfc(vietnamese));
        assert!(!is_nfc(&vietnamese.nfd().collect::<String>()));
    }

    #[test]
    fn bad_codes_are_refused() {
        let config = LanguageIdConfig { keep: vec!["english".into()], ..Default::default() };
        let err = config.build().err().unwrap().to_string();
        assert!(err.contains("`english` is not an ISO 639-1 code"), "{err}");
    }
}
