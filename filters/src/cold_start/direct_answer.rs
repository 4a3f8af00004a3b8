//! `direct_answer`: drops queries a model answers right without thinking: the judge answers
//! with thinking off (`judges/rules/direct_answer.toml`, greedy), and when its answer matches the
//! reference the query is too easy to teach reasoning. Needs the judge; queries without a
//! reference answer (code with tests) pass.

use serde::{Deserialize, Serialize};

use super::judged::JudgeStep;
use super::record;
use crate::answer::{equivalent, final_answer};
use crate::{BuildContext, Check, Document, Filter, FilterConfig, FilterError};

/// Options of `direct_answer`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DirectAnswerConfig {
    /// The field holding the reference answer.
    pub reference_field: String,
    /// The judge rule (a generate rule: a shipped name or a TOML file).
    pub judge_rule: String,
    /// A model for this step's judge questions instead of the run's `--judge`: a GGUF file, or
    /// a /v1 URL with the model name after `#` (`http://host:8000/v1#qwen2.5-72b-instruct`).
    pub judge_model: String,
}

impl Default for DirectAnswerConfig {
    fn default() -> Self {
        Self {
            reference_field: "reference_answer".into(),
            judge_rule: "direct_answer".into(),
            judge_model: String::new(),
        }
    }
}

impl FilterConfig for DirectAnswerConfig {
    const NAME: &'static str = "direct_answer";
    const DESCRIPTION: &'static str =
        "Cold start: drop queries the judge answers right without chain-of-thought";

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        self.build_in(&BuildContext::outside_run())
    }

    fn build_in(&self, ctx: &BuildContext) -> Result<Box<dyn Filter>, FilterError> {
        let judge = JudgeStep::new(Self::NAME, &self.judge_rule, &self.judge_model, ctx)?;
        Ok(Box::new(DirectAnswer { config: self.clone(), judge }))
    }
}

/// The `direct_answer` filter.
pub struct DirectAnswer {
    config: DirectAnswerConfig,
    judge: JudgeStep,
}

/// The answer in a direct reply: a stated final answer, else the reply's last line.
pub fn direct_reply_answer(reply: &str) -> String {
    match final_answer(reply) {
        Some(a) => a.text,
        None => reply.trim().lines().last().unwrap_or("").trim().to_string(),
    }
}

impl Filter for DirectAnswer {
    fn version(&self) -> &str {
        "1"
    }

    fn check(&self, _doc: &mut Document) -> Vec<Check> {
        vec![Check::new("answered_without_reasoning", None, None, true, "")]
    }

    fn check_batch(&self, docs: &mut [Document]) -> Result<Vec<Vec<Check>>, FilterError> {
        let fields: Vec<_> = docs.iter().map(record::fields).collect();
        let asked: Vec<usize> = (0..docs.len())
            .filter(|&i| record::text(&fields[i], &self.config.reference_field).is_some())
            .collect();
        let mut out: Vec<Vec<Check>> = docs.iter_mut().map(|d| self.check(d)).collect();
        if asked.is_empty() {
            return Ok(out);
        }
        let records: Vec<_> = asked.iter().map(|&i| fields[i].clone()).collect();
        let Some(replies) = self.judge.generate(&records)? else { return Ok(out) };
        for (&i, reply) in asked.iter().zip(replies) {
            let reference = record::text(&fields[i], &self.config.reference_field).unwrap_or_default();
            let answer = direct_reply_answer(&reply);
            let right = equivalent(&answer, &reference);
            let reason = format!(
                "answered_without_reasoning: the judge answered `{answer}` without thinking, matching the reference `{reference}`"
            );
            out[i] = vec![Check::new(
                "answered_without_reasoning",
                Some(f64::from(u8::from(right))),
                Some(0.0),
                !right,
                reason,
            )];
        }
        Ok(out)
    }
}
