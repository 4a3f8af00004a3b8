//! The tables a run writes, as Parquet: their columns and builders that turn rows into
//! polars frames.
//!
//! | table | one row per | columns |
//! |---|---|---|
//! | `kept` | kept record | [`DOCUMENT_COLUMNS`] |
//! | `rejected` | rejected record | [`DOCUMENT_COLUMNS`] + the failing rule ([`REJECTION_COLUMNS`]) |
//! | `decisions` | rule applied to a record | [`DECISION_COLUMNS`] |
//! | `quarantine` | unreadable input | [`QUARANTINE_COLUMNS`] |

use polars::prelude::*;

use crate::{DecisionRow, Document, QuarantineRow};

/// Columns of `kept` and the first columns of `rejected`.
pub const DOCUMENT_COLUMNS: &[(&str, DataType)] = &[
    ("id", DataType::String),
    ("text", DataType::String),
    ("source_file", DataType::String),
    ("source_line", DataType::UInt64),
    ("language", DataType::String),
    ("language_score", DataType::Float64),
    ("meta", DataType::String),
    ("tokens", DataType::UInt64),
];

/// Columns that `rejected` adds: the first rule the record failed.
pub const REJECTION_COLUMNS: &[(&str, DataType)] = &[
    ("step", DataType::String),
    ("rule", DataType::String),
    ("rule_version", DataType::String),
    ("score", DataType::Float64),
    ("threshold", DataType::Float64),
    ("reason", DataType::String),
    ("cluster_id", DataType::UInt64),
    ("duplicate_of", DataType::String),
];

/// Columns of `decisions`.
pub const DECISION_COLUMNS: &[(&str, DataType)] = &[
    ("id", DataType::String),
    ("item", DataType::String),
    ("source_file", DataType::String),
    ("stage", DataType::String),
    ("step", DataType::String),
    ("rule", DataType::String),
    ("rule_version", DataType::String),
    ("score", DataType::Float64),
    ("threshold", DataType::Float64),
    ("kept", DataType::Boolean),
    ("reason", DataType::String),
];

/// Columns of `quarantine`.
pub const QUARANTINE_COLUMNS: &[(&str, DataType)] = &[
    ("source_file", DataType::String),
    ("line", DataType::UInt64),
    ("byte_offset", DataType::UInt64),
    ("error", DataType::String),
    ("raw", DataType::String),
];

/// Builds a polars schema from a column list.
pub fn schema_of(columns: &[&[(&str, DataType)]]) -> Schema {
    columns
        .iter()
        .flat_map(|cols| cols.iter())
        .map(|(name, dtype)| Field::new((*name).into(), dtype.clone()))
        .collect()
}

/// Schema of `kept`.
pub fn kept_schema() -> Schema {
    schema_of(&[DOCUMENT_COLUMNS])
}

/// Schema of `rejected`.
pub fn rejected_schema() -> Schema {
    schema_of(&[DOCUMENT_COLUMNS, REJECTION_COLUMNS])
}

/// Schema of `decisions`.
pub fn decisions_schema() -> Schema {
    schema_of(&[DECISION_COLUMNS])
}

/// Schema of `quarantine`.
pub fn quarantine_schema() -> Schema {
    schema_of(&[QUARANTINE_COLUMNS])
}

/// Accumulates rows of one table until they are written as one Parquet row group.
pub trait TableBuilder {
    /// Rows buffered.
    fn len(&self) -> usize;
    /// Whether no rows are buffered.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Approximate heap bytes buffered, to bound memory.
    fn bytes(&self) -> usize;
    /// Moves the buffered rows into a frame with the table's schema.
    fn take_frame(&mut self) -> PolarsResult<DataFrame>;
}

/// Builder for `kept` (without rejection) or `rejected` (with rejection) rows.
#[derive(Default)]
pub struct DocumentTable {
    with_rejection: bool,
    id: Vec<String>,
    text: Vec<String>,
    source_file: Vec<String>,
    source_line: Vec<u64>,
    language: Vec<Option<String>>,
    language_score: Vec<Option<f64>>,
    meta: Vec<Option<String>>,
    tokens: Vec<Option<u64>>,
    step: Vec<String>,
    rule: Vec<String>,
    rule_version: Vec<String>,
    score: Vec<Option<f64>>,
    threshold: Vec<Option<f64>>,
    reason: Vec<Option<String>>,
    cluster_id: Vec<Option<u64>>,
    duplicate_of: Vec<Option<String>>,
    bytes: usize,
}

impl DocumentTable {
    /// A builder for the `kept` table.
    pub fn kept() -> Self {
        Self::default()
    }

    /// A builder for the `rejected` table.
    pub fn rejected() -> Self {
        Self { with_rejection: true, ..Self::default() }
    }

    /// Adds a kept document.
    pub fn push(&mut self, doc: Document) {
        debug_assert!(!self.with_rejection, "rejected rows need their decision");
        self.push_document(doc);
    }

    /// Adds a rejected document with the decision that rejected it.
    pub fn push_rejected(&mut self, doc: Document, decision: &DecisionRow) {
        self.push_decision(doc, decision);
        self.cluster_id.push(None);
        self.duplicate_of.push(None);
    }

    /// Adds a document rejected as a duplicate, with its cluster and the id of the record kept
    /// in its place.
    pub fn push_duplicate(
        &mut self,
        doc: Document,
        decision: &DecisionRow,
        cluster: u64,
        duplicate_of: &str,
    ) {
        self.push_decision(doc, decision);
        self.cluster_id.push(Some(cluster));
        self.duplicate_of.push(Some(duplicate_of.to_string()));
    }

    fn push_decision(&mut self, doc: Document, decision: &DecisionRow) {
        debug_assert!(self.with_rejection);
        self.push_document(doc);
        self.step.push(decision.step.to_string());
        self.rule.push(decision.rule.to_string());
        self.rule_version.push(decision.rule_version.to_string());
        self.score.push(decision.score);
        self.threshold.push(decision.threshold);
        self.reason.push(decision.reason.clone());
    }

    fn push_document(&mut self, doc: Document) {
        self.bytes += doc.text.len() + doc.id.len() + doc.meta.as_ref().map_or(0, String::len) + 64;
        self.id.push(doc.id);
        self.text.push(doc.text);
        self.source_file.push(doc.source.to_string());
        self.source_line.push(doc.line);
        self.language.push(doc.language);
        self.language_score.push(doc.language_score);
        self.meta.push(doc.meta);
        self.tokens.push(doc.tokens);
    }
}

impl TableBuilder for DocumentTable {
    fn len(&self) -> usize {
        self.id.len()
    }

    fn bytes(&self) -> usize {
        self.bytes
    }

    fn take_frame(&mut self) -> PolarsResult<DataFrame> {
        let height = self.id.len();
        self.bytes = 0;
        let mut columns = vec![
            Column::new("id".into(), std::mem::take(&mut self.id)),
            Column::new("text".into(), std::mem::take(&mut self.text)),
            Column::new("source_file".into(), std::mem::take(&mut self.source_file)),
            Column::new("source_line".into(), std::mem::take(&mut self.source_line)),
            Column::new("language".into(), std::mem::take(&mut self.language)),
            Column::new("language_score".into(), std::mem::take(&mut self.language_score)),
            Column::new("meta".into(), std::mem::take(&mut self.meta)),
            Column::new("tokens".into(), std::mem::take(&mut self.tokens)),
        ];
        if self.with_rejection {
            columns.extend([
                Column::new("step".into(), std::mem::take(&mut self.step)),
                Column::new("rule".into(), std::mem::take(&mut self.rule)),
                Column::new("rule_version".into(), std::mem::take(&mut self.rule_version)),
                Column::new("score".into(), std::mem::take(&mut self.score)),
                Column::new("threshold".into(), std::mem::take(&mut self.threshold)),
                Column::new("reason".into(), std::mem::take(&mut self.reason)),
                Column::new("cluster_id".into(), std::mem::take(&mut self.cluster_id)),
                Column::new("duplicate_of".into(), std::mem::take(&mut self.duplicate_of)),
            ]);
        }
        DataFrame::new(height, columns)
    }
}

/// Builder for the `decisions` table.
#[derive(Default)]
pub struct DecisionTable {
    id: Vec<String>,
    item: Vec<Option<String>>,
    source_file: Vec<String>,
    stage: Vec<String>,
    step: Vec<String>,
    rule: Vec<String>,
    rule_version: Vec<String>,
    score: Vec<Option<f64>>,
    threshold: Vec<Option<f64>>,
    kept: Vec<bool>,
    reason: Vec<Option<String>>,
    bytes: usize,
}

impl DecisionTable {
    /// Adds one decision.
    pub fn push(&mut self, d: DecisionRow) {
        self.bytes += d.id.len() + d.reason.as_ref().map_or(0, String::len) + 128;
        self.id.push(d.id);
        self.item.push(d.item);
        self.source_file.push(d.source_file.to_string());
        self.stage.push(d.stage.to_string());
        self.step.push(d.step.to_string());
        self.rule.push(d.rule.to_string());
        self.rule_version.push(d.rule_version.to_string());
        self.score.push(d.score);
        self.threshold.push(d.threshold);
        self.kept.push(d.kept);
        self.reason.push(d.reason);
    }
}

impl TableBuilder for DecisionTable {
    fn len(&self) -> usize {
        self.id.len()
    }

    fn bytes(&self) -> usize {
        self.bytes
    }

    fn take_frame(&mut self) -> PolarsResult<DataFrame> {
        let height = self.id.len();
        self.bytes = 0;
        DataFrame::new(
            height,
            vec![
                Column::new("id".into(), std::mem::take(&mut self.id)),
                Column::new("item".into(), std::mem::take(&mut self.item)),
                Column::new("source_file".into(), std::mem::take(&mut self.source_file)),
                Column::new("stage".into(), std::mem::take(&mut self.stage)),
                Column::new("step".into(), std::mem::take(&mut self.step)),
                Column::new("rule".into(), std::mem::take(&mut self.rule)),
                Column::new("rule_version".into(), std::mem::take(&mut self.rule_version)),
                Column::new("score".into(), std::mem::take(&mut self.score)),
                Column::new("threshold".into(), std::mem::take(&mut self.threshold)),
                Column::new("kept".into(), std::mem::take(&mut self.kept)),
                Column::new("reason".into(), std::mem::take(&mut self.reason)),
            ],
        )
    }
}

/// Builder for the `quarantine` table.
#[derive(Default)]
pub struct QuarantineTable {
    source_file: Vec<String>,
    line: Vec<u64>,
    byte_offset: Vec<Option<u64>>,
    error: Vec<String>,
    raw: Vec<Option<String>>,
    bytes: usize,
}

impl QuarantineTable {
    /// Adds one quarantined input.
    pub fn push(&mut self, q: QuarantineRow) {
        self.bytes += q.error.len() + q.raw.as_ref().map_or(0, String::len) + 64;
        self.source_file.push(q.source_file);
        self.line.push(q.line);
        self.byte_offset.push(q.byte_offset);
        self.error.push(q.error);
        self.raw.push(q.raw);
    }
}

impl TableBuilder for QuarantineTable {
    fn len(&self) -> usize {
        self.source_file.len()
    }

    fn bytes(&self) -> usize {
        self.bytes
    }

    fn take_frame(&mut self) -> PolarsResult<DataFrame> {
        let height = self.source_file.len();
        self.bytes = 0;
        DataFrame::new(
            height,
            vec![
                Column::new("source_file".into(), std::mem::take(&mut self.source_file)),
                Column::new("line".into(), std::mem::take(&mut self.line)),
                Column::new("byte_offset".into(), std::mem::take(&mut self.byte_offset)),
                Column::new("error".into(), std::mem::take(&mut self.error)),
                Column::new("raw".into(), std::mem::take(&mut self.raw)),
            ],
        )
    }
}

/// Builder for a task's dedup signatures: `doc, id, source_file, source_line`, then `key_<i>` and `sig_<i>`
/// for each dedup step `i`.
pub struct SignatureTable {
    doc: Vec<u64>,
    id: Vec<String>,
    source_file: Vec<String>,
    source_line: Vec<u64>,
    keys: Vec<Vec<u64>>,
    sigs: Vec<Vec<Vec<u8>>>,
    bytes: usize,
}

impl SignatureTable {
    /// A builder for `steps` dedup steps.
    pub fn new(steps: usize) -> Self {
        Self {
            doc: vec![],
            id: vec![],
            source_file: vec![],
            source_line: vec![],
            keys: vec![vec![]; steps],
            sigs: vec![vec![]; steps],
            bytes: 0,
        }
    }

    /// The schema for `steps` dedup steps.
    pub fn schema(steps: usize) -> Schema {
        let mut fields = vec![
            Field::new("doc".into(), DataType::UInt64),
            Field::new("id".into(), DataType::String),
            Field::new("source_file".into(), DataType::String),
            Field::new("source_line".into(), DataType::UInt64),
        ];
        for i in 0..steps {
            fields.push(Field::new(format!("key_{i}").into(), DataType::UInt64));
            fields.push(Field::new(format!("sig_{i}").into(), DataType::Binary));
        }
        fields.into_iter().collect()
    }

    /// Adds the signatures of one document (`keys[i]`, `sigs[i]` for step `i`).
    pub fn push(&mut self, doc: u64, d: &Document, keys: &[u64], sigs: Vec<Vec<u8>>) {
        self.bytes += d.id.len() + d.source.len() + 32 + sigs.iter().map(Vec::len).sum::<usize>();
        self.doc.push(doc);
        self.id.push(d.id.clone());
        self.source_file.push(d.source.to_string());
        self.source_line.push(d.line);
        for (i, (k, s)) in keys.iter().zip(sigs).enumerate() {
            self.keys[i].push(*k);
            self.sigs[i].push(s);
        }
    }
}

impl TableBuilder for SignatureTable {
    fn len(&self) -> usize {
        self.doc.len()
    }

    fn bytes(&self) -> usize {
        self.bytes
    }

    fn take_frame(&mut self) -> PolarsResult<DataFrame> {
        let height = self.doc.len();
        self.bytes = 0;
        let mut columns = vec![
            Column::new("doc".into(), std::mem::take(&mut self.doc)),
            Column::new("id".into(), std::mem::take(&mut self.id)),
            Column::new("source_file".into(), std::mem::take(&mut self.source_file)),
            Column::new("source_line".into(), std::mem::take(&mut self.source_line)),
        ];
        for (i, (keys, sigs)) in self.keys.iter_mut().zip(self.sigs.iter_mut()).enumerate() {
            columns.push(Column::new(format!("key_{i}").into(), std::mem::take(keys)));
            let sigs = std::mem::take(sigs);
            let refs: Vec<&[u8]> = sigs.iter().map(Vec::as_slice).collect();
            columns.push(Column::new(format!("sig_{i}").into(), refs));
        }
        DataFrame::new(height, columns)
    }
}

/// Builder for a task's LSH bands: `doc, step, band, key`.
#[derive(Default)]
pub struct BandTable {
    doc: Vec<u64>,
    step: Vec<u32>,
    band: Vec<u64>,
    key: Vec<u64>,
}

impl BandTable {
    /// The schema.
    pub fn schema() -> Schema {
        [
            ("doc", DataType::UInt64),
            ("step", DataType::UInt32),
            ("band", DataType::UInt64),
            ("key", DataType::UInt64),
        ]
        .into_iter()
        .map(|(n, t)| Field::new(n.into(), t))
        .collect()
    }

    /// Adds one band of one document.
    pub fn push(&mut self, doc: u64, step: u32, band: u64, key: u64) {
        self.doc.push(doc);
        self.step.push(step);
        self.band.push(band);
        self.key.push(key);
    }
}

impl TableBuilder for BandTable {
    fn len(&self) -> usize {
        self.doc.len()
    }

    fn bytes(&self) -> usize {
        self.doc.len() * 28
    }

    fn take_frame(&mut self) -> PolarsResult<DataFrame> {
        let height = self.doc.len();
        DataFrame::new(
            height,
            vec![
                Column::new("doc".into(), std::mem::take(&mut self.doc)),
                Column::new("step".into(), std::mem::take(&mut self.step)),
                Column::new("band".into(), std::mem::take(&mut self.band)),
                Column::new("key".into(), std::mem::take(&mut self.key)),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn frames_match_their_schemas() {
        let mut kept = DocumentTable::kept();
        kept.push(Document::new("a", "hello", Arc::from("f.jsonl"), 1));
        let df = kept.take_frame().unwrap();
        assert_eq!(df.height(), 1);
        assert_eq!(df.schema().as_ref(), &kept_schema());
        assert!(kept.is_empty());

        let mut rejected = DocumentTable::rejected();
        let d = DecisionRow {
            id: "b".into(),
            item: None,
            source_file: Arc::from("f.jsonl"),
            stage: Arc::from("pretrain"),
            step: Arc::from("gopher_quality"),
            rule: Arc::from("word_count_min"),
            rule_version: Arc::from("1"),
            score: Some(1.0),
            threshold: Some(50.0),
            kept: false,
            reason: Some("too short".into()),
        };
        rejected.push_rejected(Document::new("b", "x", Arc::from("f.jsonl"), 2), &d);
        let df = rejected.take_frame().unwrap();
        assert_eq!(df.schema().as_ref(), &rejected_schema());

        let mut decisions = DecisionTable::default();
        decisions.push(d);
        assert_eq!(decisions.take_frame().unwrap().schema().as_ref(), &decisions_schema());

        let mut q = QuarantineTable::default();
        q.push(QuarantineRow {
            source_file: "f.jsonl".into(),
            line: 3,
            byte_offset: Some(10),
            error: "not JSON".into(),
            raw: Some("{".into()),
        });
        assert_eq!(q.take_frame().unwrap().schema().as_ref(), &quarantine_schema());

        let mut sigs = SignatureTable::new(2);
        sigs.push(7, &Document::new("c", "t", Arc::from("f"), 1), &[1, 2], vec![vec![], vec![1, 2, 3, 4]]);
        assert_eq!(sigs.take_frame().unwrap().schema().as_ref(), &SignatureTable::schema(2));
        let mut bands = BandTable::default();
        bands.push(7, 1, 99, 0);
        assert_eq!(bands.take_frame().unwrap().schema().as_ref(), &BandTable::schema());
    }
}
