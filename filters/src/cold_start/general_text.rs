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

/// A request to write, at the start of the query or of one of its sentences ("… You are the
/// cat. Write a short rap …").
const ASK: &str = r"(?:^|[.!?:;]\s+|\n)\W*(?:please\s+|can you\s+|could you\s+|now\s+)?(?:write|compose|draft|create|generate|craft|pen)\b";

/// A request for a piece of writing that is free text whatever else the query says.
static WRITING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "(?i){ASK}{}{}{}",
        r".{0,60}?\b(?:essays?|story|stories|poems?|poetry|letters?|e-?mails?|blog|articles?|speech|songs?|lyrics",
        r"|narrative|cover letter|tweets?|haiku|sonnets?|limericks?|slogans?|toast|eulogy|anecdotes?|jokes?|raps?",
        r"|verses?|odes?|ballads?|fables?|fairy tales?|monologues?|pentameter|puns?|(?:funny|boring|witty|humorous|rhyming|epic) (?:lines?|sentences?))\b",
    ))
    .expect("valid regex")
});
/// A request for writing that may also be an exercise (a summary, a line, a paragraph): free
/// text only when nothing in the query looks checkable.
static WRITING_WEAK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        "(?i){ASK}{}",
        r".{0,60}?\b(?:review|summary|paragraph|post|dialogue|script|lines?|description|introduction|bio(?:graphy)?)\b"
    ))
    .expect("valid regex")
});
/// Requests for writing in a few other languages (Japanese, Chinese, German, French, Spanish);
/// the judge settles the rest of the world's.
static WRITING_OTHER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?:詩|物語|小説|手紙|エッセイ|作文|歌詞|ジョーク|大喜利|俳句|川柳|短歌|ラップ|スピーチ|感想文)を?[^。？]{0,12}(?:書いて|作って|作成して|書きなさい|詠んで)",
        r"|写一?封|写一?(?:篇|首|段|个|份)[^。？]{0,12}(?:文章|作文|诗|故事|散文|歌词|笑话|演讲稿|小说)",
        r"|(?i:^\W*(?:schreib(?:e|en sie)?|verfasse)\b.{0,60}?(?:gedicht|geschichte|aufsatz|brief|essay|rede|lied|witz))",
        r"|(?i:^\W*(?:écris|écrivez|rédige[zr]?)\b.{0,60}?(?:poème|histoire|essai|lettre|dissertation|discours|chanson|blague))",
        r"|(?i:^\W*(?:escribe|escriba|redacta)\b.{0,60}?(?:poema|historia|cuento|ensayo|carta|discurso|canción|chiste))",
    ))
    .expect("valid regex")
});
/// A request for an opinion or a personal account.
static OPINION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:what do you think|what is your (?:opinion|view|favou?rite)|in your opinion|how do you feel|describe your|tell me about yourself|do you agree)\b")
        .expect("valid regex")
});
/// A request for code: verifiable by tests even when it says "write".
static CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"```|(?i:\b(?:python|java(?:script)?|c\+\+|rust|sql|regex|bash|program|code|algorithm)\b|\bfunctions? (?:to|that|which|called|named|`))")
        .expect("valid regex")
});
/// Signs of a verifiable problem: numbers, math.
static VERIFIABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\d|\$|\\[a-z]+|[=<>^]|\b(?:def|return|class|int|string|array|list)\b").expect("valid regex")
});

/// What the rules make of a query: `Some(true)` free text, `Some(false)` verifiable, `None` open.
pub fn free_text(query: &str) -> Option<bool> {
    if CODE.is_match(query) {
        Some(false)
    } else if WRITING.is_match(query) || WRITING_OTHER.is_match(query) || OPINION.is_match(query) {
        Some(true)
    } else if VERIFIABLE.is_match(query) {
        Some(false)
    } else if WRITING_WEAK.is_match(query) {
        Some(true)
    } else {
        None
    }
}

impl Filter for GeneralText {
    fn version(&self) -> &str {
        "2"
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
        // Writing asked for after a role, and code asked for with "write".
        assert_eq!(free_text("You are a cat. Write a short but epic rap praising yourself."), Some(true));
        assert_eq!(free_text("Write a function to find the shared elements of two lists."), Some(false));
        // A weak kind of writing is free text only when nothing else is checkable.
        assert_eq!(free_text("Write a review of your favourite restaurant."), Some(true));
        assert_eq!(free_text("Write the equation of the line through (1, 2) and (3, 8)."), Some(false));
        assert_eq!(free_text("Schreibe ein Gedicht über den Herbst."), Some(true));
        assert_eq!(free_text("写一首关于春天的诗"), Some(true));
        assert_eq!(free_text("Write a story about the return of the king."), Some(true));
        assert_eq!(free_text("春についての俳句を書いて。"), Some(true));
    }
}
