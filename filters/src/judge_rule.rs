//! `judge`: a user's model-judge rule as data: a judge rule file (prompt template with `{text}`
//! and the record's fields, labels, reject label, threshold, version; see `judges/rules/`) asked
//! of the run's `--judge` (or the step's own `judge_model`) about every record.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cold_start::judged::JudgeStep;
use crate::{BuildContext, Check, Document, Filter, FilterConfig, FilterError};

/// Options of `judge`.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct JudgeRuleConfig {
    /// The judge rule: a shipped rule's name or a TOML file.
    pub rule: String,
    /// A model for this step instead of the run's `--judge` (a GGUF file, or a /v1 URL with the
    /// model name after `#`).
    pub judge_model: String,
}

impl FilterConfig for JudgeRuleConfig {
    const NAME: &'static str = "judge";
    const DESCRIPTION: &'static str =
        "A rule as data: a judge rule file (template, labels, threshold) asked of the model judge";

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        self.build_in(&BuildContext::outside_run())
    }

    fn build_in(&self, ctx: &BuildContext) -> Result<Box<dyn Filter>, FilterError> {
        if self.rule.is_empty() {
            return Err(FilterError::Invalid {
                filter: Self::NAME.into(),
                message: "`rule` is missing".into(),
            });
        }
        let step = JudgeStep::new(Self::NAME, &self.rule, &self.judge_model, ctx)?;
        Ok(Box::new(JudgeRuleFilter { version: step.version(), step }))
    }
}

/// The `judge` filter.
pub struct JudgeRuleFilter {
    step: JudgeStep,
    version: String,
}

/// The record as the template sees it: its fields, and its text under `text`.
fn fields(doc: &Document) -> serde_json::Map<String, Value> {
    let mut map = match doc.meta.as_deref().and_then(|m| serde_json::from_str(m).ok()) {
        Some(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    map.insert("text".into(), Value::String(doc.text.clone()));
    map
}

impl Filter for JudgeRuleFilter {
    fn version(&self) -> &str {
        &self.version
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        crate::check_alone(self, doc)
    }

    fn check_batch(&self, docs: &mut [Document]) -> Result<Vec<Vec<Check>>, FilterError> {
        let records: Vec<_> = docs.iter().map(fields).collect();
        let probs = self.step.reject_probabilities(&records)?;
        Ok((0..docs.len()).map(|i| vec![self.step.check(probs.as_ref().map(|p| p[i]))]).collect())
    }
}
