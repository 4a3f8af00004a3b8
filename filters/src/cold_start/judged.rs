//! A filter's questions to the run's model judge: one judge rule (a prompt template, labels, a
//! threshold, a version; see `judges/rules/`), asked for many records in one batch. Without a
//! judge the questions are skipped (with `--no-judge`) or the run refuses to start.

use std::sync::Arc;

use curate_judges::{JudgeRule, RuleKind, SharedJudge};
use serde_json::{Map, Value};

use crate::{BuildContext, Check, FilterError};

/// A judge rule asked on behalf of a filter.
pub struct JudgeStep {
    filter: &'static str,
    judge: Option<Arc<SharedJudge>>,
    rule: JudgeRule,
    key: String,
}

impl JudgeStep {
    /// The judge rule `rule` (a shipped rule's name or a TOML file) for the filter `filter`,
    /// asked of `model` when not empty (the step's own judge), else of the run's `--judge`.
    /// Fails when there is no judge and `--no-judge` was not given.
    pub fn new(
        filter: &'static str,
        rule: &str,
        model: &str,
        ctx: &BuildContext,
    ) -> Result<Self, FilterError> {
        let rule =
            JudgeRule::load(rule).map_err(|source| FilterError::Judge { filter: filter.into(), source })?;
        let key = format!("{}@{}", rule.name, rule.version);
        if !model.is_empty() {
            let Some(open) = ctx.open_model.as_ref() else {
                // Outside a run (checking a config): the model is opened when the run starts.
                let url = model.starts_with("http://") || model.starts_with("https://");
                if !url && !std::path::Path::new(model).exists() {
                    return Err(FilterError::Invalid {
                        filter: filter.into(),
                        message: format!(
                            "judge_model {model:?}: no such file (give a .gguf file or a /v1 URL)"
                        ),
                    });
                }
                return Ok(Self { filter, judge: None, rule, key });
            };
            let judge =
                open(model).map_err(|message| FilterError::Invalid { filter: filter.into(), message })?;
            return Ok(Self { filter, judge: Some(judge), rule, key });
        }
        if ctx.judge.is_none() {
            if !ctx.no_judge {
                return Err(FilterError::NoJudge { filter: filter.into() });
            }
            if let Ok(mut skipped) = ctx.skipped.lock() {
                skipped.push(format!("{filter}: judge rule {key}"));
            }
        }
        Ok(Self { filter, judge: ctx.judge.clone(), rule, key })
    }

    /// The rule's version, for decisions.
    pub fn version(&self) -> String {
        self.rule.version.clone()
    }

    /// The rule's name, as its checks are named.
    pub fn rule_name(&self) -> String {
        format!("judge_{}", self.rule.name)
    }

    /// Every label's probability for each record; `None` when the run has no judge.
    fn scores(&self, records: &[Map<String, Value>]) -> Result<Option<Vec<Vec<f64>>>, FilterError> {
        let Some(judge) = &self.judge else { return Ok(None) };
        let wrap = |source| FilterError::Judge { filter: self.filter.into(), source };
        let requests = records
            .iter()
            .map(|r| self.rule.score_request(&Value::Object(r.clone())))
            .collect::<Result<Vec<_>, _>>()
            .map_err(wrap)?;
        judge.score(&self.key, &requests).map(Some).map_err(wrap)
    }

    /// The probability the judge gives the rule's reject label for each record; `None` when the
    /// run has no judge.
    pub fn reject_probabilities(
        &self,
        records: &[Map<String, Value>],
    ) -> Result<Option<Vec<f64>>, FilterError> {
        if self.judge.is_none() {
            return Ok(None);
        }
        let reject = self.rule.reject_label.as_ref().ok_or_else(|| FilterError::Invalid {
            filter: self.filter.into(),
            message: format!("judge rule `{}` has no reject_label", self.rule.name),
        })?;
        let index = self.rule.labels.iter().position(|l| l == reject).unwrap_or(0);
        Ok(self.scores(records)?.map(|scores| scores.into_iter().map(|s| s[index]).collect()))
    }

    /// The index (in the rule's labels) of the most probable label for each record, with its
    /// probability; `None` without a judge.
    pub fn labels(&self, records: &[Map<String, Value>]) -> Result<Option<Vec<(usize, f64)>>, FilterError> {
        let most_likely = |s: Vec<f64>| {
            s.iter().enumerate().fold((0, f64::MIN), |b, (i, &p)| if p > b.1 { (i, p) } else { b })
        };
        Ok(self.scores(records)?.map(|scores| scores.into_iter().map(most_likely).collect()))
    }

    /// The judge's completions (a `generate` rule, greedy, thinking off); `None` without a judge.
    pub fn generate(&self, records: &[Map<String, Value>]) -> Result<Option<Vec<String>>, FilterError> {
        let Some(judge) = &self.judge else { return Ok(None) };
        let wrap = |source| FilterError::Judge { filter: self.filter.into(), source };
        if self.rule.kind != RuleKind::Generate {
            return Err(FilterError::Invalid {
                filter: self.filter.into(),
                message: format!("judge rule `{}` is not a generate rule", self.rule.name),
            });
        }
        let requests = records
            .iter()
            .map(|r| self.rule.generate_request(&Value::Object(r.clone())))
            .collect::<Result<Vec<_>, _>>()
            .map_err(wrap)?;
        judge.generate(&self.key, &requests).map(Some).map_err(wrap)
    }

    /// The check for a record given the reject label's probability (`None`: skipped, passes).
    pub fn check(&self, probability: Option<f64>) -> Check {
        match probability {
            Some(p) => Check::at_most(self.rule_name(), p, self.rule.threshold),
            None => Check::new(self.rule_name(), None, None, true, ""),
        }
    }
}
