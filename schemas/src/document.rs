use std::sync::Arc;

/// One input record on its way through a stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The record's id: from the configured id field, or derived from its source and line.
    pub id: String,
    /// The text that filters look at.
    pub text: String,
    /// The input file or URL the record came from, as the user named it.
    pub source: Arc<str>,
    /// 1-based line in a JSONL source, or 1-based row in a Parquet source.
    pub line: u64,
    /// The record's other fields as a JSON object, kept so that nothing the user had is lost.
    pub meta: Option<String>,
    /// ISO 639-1 code of the detected language, once language ID has run.
    pub language: Option<String>,
    /// Confidence of `language`, in `[0, 1]`.
    pub language_score: Option<f64>,
    /// Tokens of `text` under the run's tokenizer, when the run names one.
    pub tokens: Option<u64>,
}

impl Document {
    /// A document with the given id and text and no annotations.
    pub fn new(id: impl Into<String>, text: impl Into<String>, source: Arc<str>, line: u64) -> Self {
        Self {
            id: id.into(),
            text: text.into(),
            source,
            line,
            meta: None,
            language: None,
            language_score: None,
            tokens: None,
        }
    }
}
