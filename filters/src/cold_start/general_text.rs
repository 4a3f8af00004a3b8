//! `general_text`: drops queries that ask for free text nobody can verify (essays, stories,
//! letters, opinions). Rules settle clear requests ("Write a story about …", "What do you think
//! of …") and clearly verifiable ones (numbers, math, code); the judge (`judges/rules/
//! general_text.toml`) decides the rest.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::judged::JudgeStep;
use super::record;
use crate::{BuildContext, Check, Document, Filter, FilterConfig, FilterError};

/// Options of `general_text`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GeneralTextConfig {
    /// Ask the judge about queries the rules leave open.
    pub judge: bool,
    /// The judge rule (a shipped name or a TOML file).
    pub judge_rule: String,
    /// A model for this step's judge questions instead of the run's `--judge`: a GGUF file, or
    /// a /v1 URL with the model name after `#` (`http://host:8000/v1#qwen2.5-72b-instruct`).
    pub judge_model: String,
}

impl Default for GeneralTextConfig {
    fn default() -> Self {
        Self { judge: true, judge_rule: "general_text".into(), judge_model: String::new() }
    }
}

impl FilterConfig for GeneralTextConfig {
    const NAME: &'static str = "general_text";
    const DESCRIPTION: &'static str = "Cold start: drop requests for free text (essays, stories, opinions)";

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        self.build_in(&BuildContext::outside_run())
    }

    fn build_in(&self, ctx: &BuildContext) -> Result<Box<dyn Filter>, FilterError> {
        let judge = if self.judge {
            Some(JudgeStep::new(Self::NAME, &self.judge_rule, &self.judge_model, ctx)?)
        } else {
            None
        };
        Ok(Box::new(GeneralText { judge }))
    }
}

/// The `general_text` filter.
pub struct GeneralText {
    judge: Option<JudgeStep>,
}

/// A request for a piece of writing.
static WRITING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^\W*(?:please\s+|can you\s+|could you\s+)?(?:write|compose|draft|create|generate|craft|pen)\b",
        r".{0,60}?\b(?:essay|story|stories|poem|poetry|letter|e-?mail|blog|article|speech|review|summary|paragraph",
        r"|song|lyrics|narrative|cover letter|tweet|post|dialogue|script|haiku|sonnet|limerick|slogan|toast|eulogy|anecdote)\b",
    ))
    .expect("valid regex")
});
/// A request for an opinion or a personal account.
static OPINION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:what do you think|what is your (?:opinion|view|favou?rite)|in your opinion|how do you feel|describe your|tell me about yourself|do you agree)\b")
        .expect("valid regex")
});
/// Signs of a verifiable problem: numbers, math, code.
static VERIFIABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d|\$|\\[a-z]+|[=<>^]|```|\b(?:def|function|return|class|int|string|array|list)\b|(?i:\bprogram\b|\bcode\b|\balgorithm\b)")
        .expect("valid regex")
});

/// What the rules make of a query: `Some(true)` free text, `Some(false)` verifiable, `None` open.
pub fn free_text(query: &str) -> Option<bool> {
    if WRITING.is_match(query) || OPINION.is_match(query) {
        Some(true)
    } else if VERIFIABLE.is_match(query) {
        Some(false)
    } else {
        None
    }
}

impl Filter for GeneralText {
    fn version(&self) -> &str {
        "1"
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        vec![rule_check(free_text(&doc.text))]
    }

    fn check_batch(&self, docs: &mut [Document]) -> Result<Vec<Vec<Check>>, FilterError> {
        let verdicts: Vec<Option<bool>> = docs.iter().map(|d| free_text(&d.text)).collect();
        let mut out: Vec<Vec<Check>> = verdicts.iter().map(|v| vec![rule_check(*v)]).collect();
        if let Some(judge) = &self.judge {
            let open: Vec<usize> = (0..docs.len()).filter(|&i| verdicts[i].is_none()).collect();
            if !open.is_empty() {
                let records: Vec<_> = open.iter().map(|&i| record::fields(&docs[i])).collect();
                let probs = judge.reject_probabilities(&records)?;
                for (k, &i) in open.iter().enumerate() {
                    out[i].push(judge.check(probs.as_ref().map(|p| p[k])));
                }
            }
        }
        Ok(out)
    }
}

/// The rules' check: fails on a clear request for free text.
fn rule_check(verdict: Option<bool>) -> Check {
    let score = match verdict {
        Some(true) => 1.0,
        Some(false) => 0.0,
        None => 0.5,
    };
    Check::new(
        "free_text_request",
        Some(score),
        Some(1.0),
        verdict != Some(true),
        "free_text_request: asks for free text that cannot be verified",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_tell_writing_from_problems() {
        assert_eq!(free_text("Write a short story about a dragon who learns to fly."), Some(true));
        assert_eq!(free_text("Please compose a letter to your landlord about the rent."), Some(true));
        assert_eq!(free_text("What do you think about social media?"), Some(true));
        assert_eq!(free_text("Write a Python function that returns the n-th prime."), Some(false));
        assert_eq!(free_text("Janet has 3 apples and buys 2 more. How many does she have?"), Some(false));
        assert_eq!(free_text("Why is the sky blue?"), None);
    }
}
