use std::sync::Arc;

/// One row of the `decisions` table: one rule of one step applied to one record.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionRow {
    /// The record's id.
    pub id: String,
    /// The part of the record the rule judged, when not the whole record (e.g. `response 2`
    /// of a query); such decisions do not reject the record by themselves.
    pub item: Option<String>,
    /// The input file or URL the record came from.
    pub source_file: Arc<str>,
    /// The stage that ran, e.g. `pretrain`.
    pub stage: Arc<str>,
    /// The step inside the stage, e.g. `gopher_quality`.
    pub step: Arc<str>,
    /// The rule inside the step, e.g. `word_count_min`.
    pub rule: Arc<str>,
    /// The version of the step's rules, so that results of different versions can be told apart.
    pub rule_version: Arc<str>,
    /// What the rule measured.
    pub score: Option<f64>,
    /// The bound it was compared with.
    pub threshold: Option<f64>,
    /// Whether the record passed this rule.
    pub kept: bool,
    /// Why it failed; `None` when it passed.
    pub reason: Option<String>,
}
