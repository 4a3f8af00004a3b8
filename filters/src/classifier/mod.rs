//! The `classifier` step: a fastText model trained by `curate train-classifier` on a judge's
//! labels (`curate annotate`) labels every document, at pretrain speed. Each document gets two
//! measurements in `decisions`: `<name>:<label>` (the most probable label, its probability as
//! the score) and, for numeric labels (educational value 0–5), `<dimension>` (the expected
//! value),
//! so thresholds are tried in SQL before any is set. A threshold (`min_expected`) or an
//! allow-list (`keep`) makes the step reject.

mod text;

pub use text::prepare;

use std::path::PathBuf;

use std::cell::RefCell;

use crate::fasttext_inference::{FastTextModel, Workspace};
use serde::{Deserialize, Serialize};

use crate::{Check, Document, Filter, FilterConfig, FilterError};

/// The prefix of fastText's labels.
pub const LABEL_PREFIX: &str = "__label__";

/// Options of the `classifier` step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassifierConfig {
    /// The model `curate train-classifier` wrote (fastText `.bin` or `.ftz`).
    pub model: PathBuf,
    /// The dimension's name: the rule in decisions (e.g. `educational_value`).
    pub dimension: String,
    /// Characters of each document read (the same as in training).
    pub max_chars: usize,
    /// Reject documents whose expected value (numeric labels) is below this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_expected: Option<f64>,
    /// Reject documents whose most probable label is not one of these (empty: keep all).
    pub keep: Vec<String>,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        Self {
            model: PathBuf::new(),
            dimension: "classifier".into(),
            max_chars: 10_000,
            min_expected: None,
            keep: Vec::new(),
        }
    }
}

fn invalid(message: String) -> FilterError {
    FilterError::Invalid { filter: ClassifierConfig::NAME.into(), message }
}

impl FilterConfig for ClassifierConfig {
    const NAME: &'static str = "classifier";
    const DESCRIPTION: &'static str =
        "A fastText classifier from `curate train-classifier` labels every document: label, \
         probability and expected value as measurements; optional min_expected or keep";

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        Ok(Box::new(Classifier::new(self)?))
    }
}

/// The `classifier` step.
pub struct Classifier {
    model: FastTextModel,
    /// The model's labels, without the prefix, in the model's order.
    labels: Vec<String>,
    /// Each label as a number, when every label is one.
    values: Option<Vec<f64>>,
    config: ClassifierConfig,
}

impl Classifier {
    /// Loads the model `config` names.
    pub fn new(config: &ClassifierConfig) -> Result<Self, FilterError> {
        let path = &config.model;
        if path.as_os_str().is_empty() {
            return Err(invalid("`model` is required: the file `curate train-classifier` wrote".into()));
        }
        if !path.is_file() {
            return Err(invalid(format!("model {}: no such file", path.display())));
        }
        let model = FastTextModel::load(path).map_err(|e| invalid(format!("model {e}")))?;
        let labels: Vec<String> =
            model.labels().iter().map(|l| l.strip_prefix(LABEL_PREFIX).unwrap_or(l).to_string()).collect();
        if let Some(k) = config.keep.iter().find(|k| !labels.contains(k)) {
            return Err(invalid(format!(
                "`keep`: `{k}` is not a label of {} ({})",
                path.display(),
                labels.join(", ")
            )));
        }
        let values: Option<Vec<f64>> = labels.iter().map(|l| l.parse::<f64>().ok()).collect();
        if config.min_expected.is_some() && values.is_none() {
            return Err(invalid(format!(
                "`min_expected` needs numeric labels; {} has {}",
                path.display(),
                labels.join(", ")
            )));
        }
        Ok(Self { model, labels, values, config: config.clone() })
    }

    /// Every label of `text` with its probability, most probable first.
    pub fn predict(&self, text: &str) -> Vec<(String, f64)> {
        let mut line = prepare(text, self.config.max_chars);
        line.push('\n');
        WORKSPACE
            .with(|w| self.model.predict(line.as_bytes(), self.labels.len(), &mut w.borrow_mut()))
            .unwrap_or_default()
            .into_iter()
            .map(|(label, prob)| (self.labels[label].clone(), f64::from(prob).clamp(0.0, 1.0)))
            .collect()
    }

    /// The expected value of `ranked` (from [`Self::predict`]) when the labels are numbers:
    /// each label's value weighted by its probability.
    pub fn expected(&self, ranked: &[(String, f64)]) -> Option<f64> {
        let values = self.values.as_ref()?;
        let total: f64 = ranked.iter().map(|(_, p)| p).sum();
        let weighted: f64 = ranked
            .iter()
            .map(|(l, p)| values[self.labels.iter().position(|x| x == l).unwrap_or(0)] * p)
            .sum();
        Some(weighted / total.max(f64::MIN_POSITIVE))
    }
}

thread_local! {
    /// Each thread's buffers for fastText.
    static WORKSPACE: RefCell<Workspace> = RefCell::new(Workspace::default());
}

impl Filter for Classifier {
    fn version(&self) -> &str {
        "1"
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        let ranked = self.predict(&doc.text);
        let name = &self.config.dimension;
        let Some((top, p)) = ranked.first().cloned() else {
            return vec![Check::new(name.clone(), None, None, false, "the classifier gave no label")];
        };
        let kept = self.config.keep.is_empty() || self.config.keep.contains(&top);
        let mut checks = vec![Check::new(
            format!("{name}:{top}"),
            Some(p),
            None,
            kept,
            format!("label `{top}` is not one of {:?}", self.config.keep),
        )];
        if let Some(expected) = self.expected(&ranked) {
            let passed = self.config.min_expected.is_none_or(|m| expected >= m);
            checks.push(Check::new(
                name.clone(),
                Some(expected),
                self.config.min_expected,
                passed,
                format!("expected {name} {expected:.2} < {}", self.config.min_expected.unwrap_or_default()),
            ));
        }
        checks
    }
}
