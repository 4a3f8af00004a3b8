//! `multi_part`: drops queries that ask several sub-questions. Rules first: enumerated parts
//! ("(a) … (b) …", "1. … 2. …", "Part 2:") that each ask something, or three or more question
//! sentences, settle it; two question sentences are left to the judge (`judges/rules/
//! multi_part.toml`). The choices of a multiple-choice question (`(A)`, `B)`, `a) … b) … c)`
//! after a question) are not parts, and when a passage is followed by one `Question:`, only
//! what follows it is asked.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use unicode_segmentation::UnicodeSegmentation;

use super::choices::{choice_spans, without_choices};
use super::judged::JudgeStep;
use super::record;
use crate::response::language_mixing::prose;
use crate::{BuildContext, Check, Document, Filter, FilterConfig, FilterError};

/// Options of `multi_part`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MultiPartConfig {
    /// Most enumerated parts that ask something.
    pub max_parts: usize,
    /// Most question sentences the rules let through without asking the judge.
    pub max_questions_sure: usize,
    /// Most question sentences at all.
    pub max_questions: usize,
    /// Ask the judge about queries the rules leave open.
    pub judge: bool,
    /// The judge rule (a shipped name or a TOML file).
    pub judge_rule: String,
    /// A model for this step's judge questions instead of the run's `--judge`: a GGUF file, or
    /// a /v1 URL with the model name after `#` (`http://host:8000/v1#qwen2.5-72b-instruct`).
    pub judge_model: String,
}

impl Default for MultiPartConfig {
    fn default() -> Self {
        Self {
            max_parts: 1,
            max_questions_sure: 1,
            max_questions: 2,
            judge: true,
            judge_rule: "multi_part".into(),
            judge_model: String::new(),
        }
    }
}

impl FilterConfig for MultiPartConfig {
    const NAME: &'static str = "multi_part";
    const DESCRIPTION: &'static str =
        "Cold start: drop queries with several sub-questions (rules, then the judge)";

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        self.build_in(&BuildContext::outside_run())
    }

    fn build_in(&self, ctx: &BuildContext) -> Result<Box<dyn Filter>, FilterError> {
        let judge = if self.judge {
            Some(JudgeStep::new(Self::NAME, &self.judge_rule, &self.judge_model, ctx)?)
        } else {
            None
        };
        Ok(Box::new(MultiPart { config: self.clone(), judge }))
    }
}

/// The `multi_part` filter.
pub struct MultiPart {
    config: MultiPartConfig,
    judge: Option<JudgeStep>,
}

/// Enumeration markers after a line start, space or colon: `(a)`, `b)`, `(ii)`, `1.`, `2)`,
/// `Part 3:`; group `text` is where the part's text begins.
static MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?m)(?:^|[\s:;])(?:\((?:[a-h]|i{1,3}|iv|vi{0,3})\)|(?:[a-h]|i{1,3}|iv|vi{0,3})\)",
        r"|(?P<num>\d{1,2}[.)])|(?i:part)\s+\(?[a-z0-9]{1,3}\)?[:.])\s+(?P<text>\S)"
    ))
    .expect("valid regex")
});
/// A part that asks: a question mark, or an imperative or question word first.
static ASKS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\?|^\s*(?:find|compute|calculate|determine|show|prove|explain|evaluate|solve|simplify|what|how|why|which|write|give|list|derive|estimate|express|sketch|state)\b")
        .expect("valid regex")
});

/// A `Question:` label.
static QUESTION_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bquestion\s*:").expect("valid regex"));

/// What `query` asks: after its one `Question:` label when it has one (a passage, then the
/// question), else all of it.
fn asked(query: &str) -> &str {
    let mut labels = QUESTION_LABEL.find_iter(query);
    match (labels.next(), labels.next()) {
        (Some(label), None) => &query[label.end()..],
        _ => query,
    }
}

/// Enumerated parts of `query` that ask something (choices of a multiple-choice question aside).
pub fn asking_parts(query: &str) -> usize {
    let query = &without_choices(query);
    let starts: Vec<usize> = MARKER
        .captures_iter(query)
        .filter_map(|c| {
            let text = c.name("text")?;
            // "2. Then" is a list item; "x = 2. 3 apples" is not.
            let numbered = c.name("num").is_some();
            (!numbered || text.as_str().chars().all(char::is_uppercase)).then_some(text.start())
        })
        .collect();
    if starts.len() < 2 {
        return 0;
    }
    starts
        .iter()
        .enumerate()
        .filter(|(i, &start)| {
            let end = starts.get(i + 1).copied().unwrap_or(query.len());
            ASKS.is_match(&query[start..end.max(start)])
        })
        .count()
}

/// Sentences of the query's prose (math, code, quotes and choices aside) that end with a
/// question mark; after a single `Question:` label, only those that follow it. A question with
/// a list of choices counts once: one letter answers it, whatever its passage asks on the way.
pub fn question_sentences(query: &str) -> usize {
    let asked = asked(query);
    if !choice_spans(asked).is_empty() {
        return usize::from(prose(asked).contains('?'));
    }
    prose(asked).split_sentence_bounds().filter(|s| s.trim_end().ends_with('?')).count()
}

impl Filter for MultiPart {
    fn version(&self) -> &str {
        "2"
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        self.rules(&doc.text).0
    }

    fn check_batch(&self, docs: &mut [Document]) -> Result<Vec<Vec<Check>>, FilterError> {
        let mut out: Vec<(Vec<Check>, bool)> = docs.iter().map(|d| self.rules(&d.text)).collect();
        if let Some(judge) = &self.judge {
            let open: Vec<usize> = (0..docs.len()).filter(|&i| out[i].1).collect();
            if !open.is_empty() {
                let records: Vec<_> = open.iter().map(|&i| record::fields(&docs[i])).collect();
                let probs = judge.reject_probabilities(&records)?;
                for (k, &i) in open.iter().enumerate() {
                    out[i].0.push(judge.check(probs.as_ref().map(|p| p[k])));
                }
            }
        }
        Ok(out.into_iter().map(|(c, _)| c).collect())
    }
}

impl MultiPart {
    /// The rules' checks, and whether they leave the query open for the judge.
    fn rules(&self, query: &str) -> (Vec<Check>, bool) {
        let parts = asking_parts(query) as f64;
        let questions = question_sentences(query) as f64;
        let checks = vec![
            Check::at_most("asking_parts", parts, self.config.max_parts as f64),
            Check::at_most("question_sentences", questions, self.config.max_questions as f64),
        ];
        let settled = checks.iter().any(|c| !c.passed) || questions <= self.config.max_questions_sure as f64;
        (checks, !settled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumerated_asks_are_parts_and_choices_are_not() {
        assert_eq!(
            asking_parts(
                "A ball is thrown up at 20 m/s.\n(a) Find its peak height.\n(b) How long is it in the air?"
            ),
            2
        );
        assert_eq!(asking_parts("Let f(x) = x^2. 1. Compute f(2). 2. Find f'(x)."), 2);
        assert_eq!(asking_parts("Which is a prime? (A) 4 (B) 6 (C) 7 (D) 9"), 0);
        assert_eq!(asking_parts("Janet has 3 apples and buys 2 more. How many does she have?"), 0);
        // Enumerated premises that ask nothing are not parts.
        assert_eq!(asking_parts("Suppose: 1. x > 0 2. y > x\nIs y positive?"), 0);
    }

    #[test]
    fn questions_outside_math_and_quotes_count() {
        assert_eq!(question_sentences("What is 2+2? And what is 3+3? Also, why?"), 3);
        assert_eq!(question_sentences("She asked \"why?\" and left. How far did she walk?"), 1);
        // Rhetorical questions in a passage, then the question; choices worded as questions.
        let passage = "Passage: Should we care? Who decides? Nobody knows.Question: Which option fits?\nA. Why?\nB. How?\nC. Who?";
        assert_eq!(question_sentences(passage), 1);
        let source = "Read the source. How do they imagine it? And where to? What followed?\nA. war\nB. peace\nC. exile";
        assert_eq!(question_sentences(source), 1);
        assert_eq!(question_sentences("Question: What is 2+2? Question: Why?"), 2);
    }
}
