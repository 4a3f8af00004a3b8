//! fastText as the language detector, with a model file such as lid.176 (176 languages; the
//! model datatrove's `LanguageFilter` and CCNet use), through curate's own fastText inference
//! ([`crate::fasttext_inference`]: the C++'s probabilities, several times faster). Its text is
//! prepared as datatrove does: newlines become spaces, and the line is ended as fastText's Python
//! `predict` ends it.

use std::cell::RefCell;
use std::path::Path;

use crate::fasttext_inference::{FastTextModel, Workspace};

use super::{checks, groups, invalid, sample, LanguageIdConfig};
use crate::{Check, Document, Filter, FilterError};

/// `language_id` with fastText.
pub struct FastTextLanguageId {
    model: FastTextModel,
    keep: Vec<String>,
    min_confidence: f64,
    max_chars: usize,
    group_min_share: f64,
}

/// The prefix of fastText's labels.
const LABEL_PREFIX: &str = "__label__";

impl FastTextLanguageId {
    /// Loads the model `config` names at `path`.
    pub fn new(config: &LanguageIdConfig, path: &Path) -> Result<Self, FilterError> {
        if !config.detect.is_empty() || config.low_accuracy {
            return Err(invalid("`detect` and `low_accuracy` are lingua's options, not fastText's".into()));
        }
        if !path.is_file() {
            return Err(invalid(format!("fastText model {}: no such file", path.display())));
        }
        let model = FastTextModel::load(path).map_err(|e| invalid(format!("fastText model {e}")))?;
        let labels = model.labels();
        if let Some(code) = config.keep.iter().find(|c| !labels.contains(&format!("{LABEL_PREFIX}{c}"))) {
            return Err(invalid(format!("`keep`: `{code}` is not a label of {}", path.display())));
        }
        Ok(Self {
            model,
            keep: config.keep.clone(),
            min_confidence: config.min_confidence,
            max_chars: config.max_chars,
            group_min_share: config.group_min_share,
        })
    }

    /// The most likely label of `text` (without `__label__`) and its probability, or its
    /// group's ([`groups`]: lid.176 splits Serbo-Croatian four ways, `hr`, `bs`, `sr`, `sh`).
    pub fn detect(&self, text: &str) -> Option<(String, f64)> {
        let text = sample(text, self.max_chars);
        let predictions = WORKSPACE.with(|w| {
            let (work, line) = &mut *w.borrow_mut();
            one_line(&text, line);
            // The best four: enough for a group's members to share their evidence.
            let predictions = self.model.predict(line, 4, work);
            if line.capacity() > KEPT_LINE {
                *line = Vec::new();
            }
            predictions
        })?;
        let labels = self.model.labels();
        let ranked: Vec<(String, f64)> = predictions
            .into_iter()
            .map(|(label, prob)| {
                let label = &labels[label];
                let code = label.strip_prefix(LABEL_PREFIX).unwrap_or(label).to_string();
                // Probabilities come as f32 and can exceed 1 by a rounding step.
                (code, f64::from(prob).clamp(0.0, 1.0))
            })
            .collect();
        groups::decide(&ranked, self.group_min_share)
    }
}

/// `text` as one line, as datatrove gives it to fastText (newlines as spaces), ended by the
/// newline fastText's Python binding adds (it reads as an end-of-sentence token), with no NUL
/// (the C++ read a C string). Both are ASCII bytes, never part of a longer character, so the
/// bytes are replaced in place of decoding characters.
fn one_line(text: &str, line: &mut Vec<u8>) {
    line.clear();
    line.extend_from_slice(text.as_bytes());
    for b in line.iter_mut() {
        if *b == b'\n' || *b == 0 {
            *b = b' ';
        }
    }
    line.push(b'\n');
}

/// Bytes of line a thread keeps room for between documents.
const KEPT_LINE: usize = 1 << 20;

thread_local! {
    /// Each thread's buffers for fastText, and its line.
    static WORKSPACE: RefCell<(Workspace, Vec<u8>)> = RefCell::new((Workspace::default(), Vec::new()));
}

impl Filter for FastTextLanguageId {
    fn version(&self) -> &str {
        // 2: groups of close languages. (3 would be due if curate's fastText inference gave
        // other labels than the C++ it replaced; it gives the same.)
        "2"
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        checks(doc, self.detect(&doc.text), &self.keep, self.min_confidence)
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn a_line_has_spaces_for_newlines_and_nuls_and_ends_in_a_newline() {
        let mut line = b"left over".to_vec();
        one_line("Ünïcode\nline\0two\r\n", &mut line);
        assert_eq!(line, "Ünïcode line two\r \n".as_bytes());
        one_line("", &mut line);
        assert_eq!(line, b"\n");
    }
}
