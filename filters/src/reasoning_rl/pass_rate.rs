//! `pass_rate`: how often the policy solves a query. Each of the query's sampled responses
//! (`sample_responses` with the run's `--policy`, or responses given in the input) is verified
//! as cold-start responses are: the final answer against the reference answer, code against the
//! tests in the sandbox. The share that pass is the pass rate, written into the record
//! (`curate_pass_rate`) and the decisions. A query is kept when its pass rate lies strictly
//! between `above` and `below`: never solved, it teaches the policy nothing it can reach;
//! always solved, nothing it does not already know.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::answer::final_answer;
use crate::cold_start::correctness::{verifier, Correctness};
use crate::cold_start::record;
use crate::{Check, Document, Filter, FilterConfig, FilterError};

/// Options of `pass_rate`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PassRateConfig {
    /// The field holding the sampled responses: strings, or objects with the text and `model`.
    pub responses_field: String,
    /// The key of a response object's text.
    pub response_text_key: String,
    /// The field holding the reference answer.
    pub reference_field: String,
    /// The field holding tests, run against each response's code when there is no reference.
    pub tests_field: String,
    /// The Python interpreter that runs the tests.
    pub python: String,
    /// Seconds one test run may take (a timeout fails the response).
    pub test_timeout_seconds: u64,
    /// Address space one test run may use, in MiB.
    pub test_memory_mib: u64,
    /// The pass rate must be greater than this (0: at least one right response). -1 keeps
    /// queries nothing solved.
    pub above: f64,
    /// The pass rate must be less than this (1: at least one wrong response). 2 keeps queries
    /// everything solved.
    pub below: f64,
}

impl Default for PassRateConfig {
    fn default() -> Self {
        Self {
            responses_field: "responses".into(),
            response_text_key: "text".into(),
            reference_field: "reference_answer".into(),
            tests_field: "tests".into(),
            python: "python3".into(),
            test_timeout_seconds: 10,
            test_memory_mib: 1024,
            above: 0.0,
            below: 1.0,
        }
    }
}

impl FilterConfig for PassRateConfig {
    const NAME: &'static str = "pass_rate";
    const DESCRIPTION: &'static str =
        "Reasoning RL: verify the policy's sampled responses; keep queries whose pass rate lies in a band";

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        if self.above >= self.below {
            return Err(FilterError::Invalid {
                filter: Self::NAME.into(),
                message: format!(
                    "the band is empty: above ({}) must be less than below ({})",
                    self.above, self.below
                ),
            });
        }
        let correctness =
            Correctness::new(Self::NAME, &self.python, self.test_timeout_seconds, self.test_memory_mib)?;
        Ok(Box::new(PassRate { config: self.clone(), correctness }))
    }
}

/// The `pass_rate` filter.
pub struct PassRate {
    config: PassRateConfig,
    correctness: Correctness,
}

impl PassRate {
    /// The checks of one query: one per response (under its item), then the band.
    fn measure(&self, doc: &mut Document) -> Vec<Check> {
        let mut fields = record::fields(doc);
        let c = &self.config;
        if let Some(problem) = record::responses_problem(&fields, &c.responses_field, &c.response_text_key) {
            return vec![Check::new(
                "responses_well_formed",
                None,
                None,
                false,
                format!("responses_well_formed: {problem}"),
            )];
        }
        let (reference, tests) = verifier(&fields, &c.reference_field, &c.tests_field);
        let responses = record::responses(&fields, &c.responses_field, &c.response_text_key);
        if responses.is_empty() {
            let reason = format!(
                "pass_rate_measured: no responses in `{}` to measure a pass rate with: give --policy MODEL (and --sample K)",
                c.responses_field
            );
            return vec![Check::new("pass_rate_measured", Some(0.0), Some(1.0), false, reason)];
        }
        let verdicts: Vec<(Check, Option<String>)> = responses
            .par_iter()
            .map(|(text, _)| {
                let answer = final_answer(text);
                let check = self
                    .correctness
                    .check(text, answer.as_ref(), reference.as_deref(), tests.as_deref())
                    .unwrap_or_else(|| {
                        Check::new(
                            "verifiable",
                            None,
                            None,
                            false,
                            "verifiable: no reference answer and no tests",
                        )
                    });
                (check, answer.map(|a| a.text))
            })
            .collect();
        let n = verdicts.len();
        let passing = verdicts.iter().filter(|(c, _)| c.passed).count();
        let rate = passing as f64 / n as f64;
        let summary: Vec<Value> = verdicts
            .iter()
            .enumerate()
            .map(|(i, (check, answer))| json!({"index": i, "answer": answer, "passed": check.passed, "rule": check.rule}))
            .collect();
        fields.insert("curate_pass_rate".into(), json!(rate));
        fields.insert("curate_samples".into(), json!(n));
        fields.insert("curate_responses".into(), Value::Array(summary));
        record::store(doc, fields);

        let mut checks: Vec<Check> = verdicts
            .into_iter()
            .enumerate()
            .map(|(i, (check, _))| check.on(format!("response {}", i + 1)))
            .collect();
        let above = rate > c.above;
        checks.push(Check::new(
            "pass_rate_above",
            Some(rate),
            Some(c.above),
            above,
            format!(
                "pass_rate_above: {passing} of {n} responses right, pass rate {rate:.3} is not above {}: too hard for the policy",
                c.above
            ),
        ));
        let below = rate < c.below;
        checks.push(Check::new(
            "pass_rate_below",
            Some(rate),
            Some(c.below),
            below,
            format!(
                "pass_rate_below: {passing} of {n} responses right, pass rate {rate:.3} is not below {}: too easy for the policy",
                c.below
            ),
        ));
        checks
    }
}

impl Filter for PassRate {
    fn version(&self) -> &str {
        // 2: final answers read as the cold-start responses step reads them (its version 3).
        "2"
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        self.measure(doc)
    }

    fn check_batch(&self, docs: &mut [Document]) -> Result<Vec<Vec<Check>>, FilterError> {
        Ok(docs.par_iter_mut().map(|d| self.measure(d)).collect())
    }
}
