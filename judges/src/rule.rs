//! Judge rules as data: a prompt template with `{field}` placeholders, the labels to score or
//! the completion to ask for, and when the answer rejects a record. Versioned: the version goes
//! into decisions and the verdict cache key.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{GenerateRequest, JudgeError, ScoreRequest};

/// What the rule asks the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// Label probabilities from the next token.
    Score,
    /// A short completion.
    Generate,
}

/// A judge rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JudgeRule {
    /// The rule's name, used in decisions.
    pub name: String,
    /// Bump when the template or labels change.
    pub version: String,
    /// Score labels or generate text.
    pub kind: RuleKind,
    /// The user message, with `{field}` placeholders filled from the record.
    pub template: String,
    /// Labels to score (score rules).
    #[serde(default)]
    pub labels: Vec<String>,
    /// The label whose probability rejects a record (score rules).
    #[serde(default)]
    pub reject_label: Option<String>,
    /// Reject when the probability of `reject_label` is at least this.
    #[serde(default = "half")]
    pub threshold: f64,
    /// Most tokens to generate (generate rules).
    #[serde(default = "sixty_four")]
    pub max_tokens: usize,
}

fn half() -> f64 {
    0.5
}

fn sixty_four() -> usize {
    64
}

/// The rules shipped with curate, by name.
const BUILTIN: &[(&str, &str)] = &[
    ("multi_part", include_str!("../rules/multi_part.toml")),
    ("general_text", include_str!("../rules/general_text.toml")),
    ("guessing", include_str!("../rules/guessing.toml")),
    ("inconsistent_reasoning", include_str!("../rules/inconsistent_reasoning.toml")),
    ("style_shift", include_str!("../rules/style_shift.toml")),
    ("domain_label", include_str!("../rules/domain_label.toml")),
    ("direct_answer", include_str!("../rules/direct_answer.toml")),
    ("answer_match", include_str!("../rules/answer_match.toml")),
    ("benchmark_reworded", include_str!("../rules/benchmark_reworded.toml")),
    ("educational_value", include_str!("../rules/educational_value.toml")),
    ("pretrain_domain", include_str!("../rules/pretrain_domain.toml")),
    ("task_type", include_str!("../rules/task_type.toml")),
    ("helpful_answer", include_str!("../rules/helpful_answer.toml")),
];

impl JudgeRule {
    /// Names of the rules shipped with curate.
    pub fn builtin_names() -> Vec<&'static str> {
        BUILTIN.iter().map(|(n, _)| *n).collect()
    }

    /// A shipped rule by name, or a rule file by path.
    pub fn load(name_or_path: &str) -> Result<Self, JudgeError> {
        let (text, shown) = match BUILTIN.iter().find(|(n, _)| *n == name_or_path) {
            Some((_, text)) => (text.to_string(), format!("builtin `{name_or_path}`")),
            None => {
                let text = std::fs::read_to_string(name_or_path).map_err(|e| JudgeError::Rule {
                    path: name_or_path.into(),
                    message: format!("{e} (shipped rules: {})", Self::builtin_names().join(", ")),
                })?;
                (text, name_or_path.to_string())
            }
        };
        let rule: Self = toml::from_str(&text)
            .map_err(|e| JudgeError::Rule { path: shown.clone(), message: e.to_string() })?;
        rule.validate().map_err(|message| JudgeError::Rule { path: shown, message })?;
        Ok(rule)
    }

    fn validate(&self) -> Result<(), String> {
        if self.kind == RuleKind::Score {
            if self.labels.len() < 2 {
                return Err("a score rule needs at least two `labels`".into());
            }
            if let Some(r) = &self.reject_label {
                if !self.labels.contains(r) {
                    return Err(format!("`reject_label` {r:?} is not one of the labels {:?}", self.labels));
                }
            }
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(format!("`threshold` must lie in [0, 1], got {}", self.threshold));
        }
        Ok(())
    }

    /// The template with `{field}` filled from `record` (strings as they are, other values as
    /// JSON). A placeholder naming a field the record lacks is an error.
    pub fn render(&self, record: &Value) -> Result<String, JudgeError> {
        let mut out = String::with_capacity(self.template.len() + 256);
        let mut rest = self.template.as_str();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(close)
                    if after[..close].chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.')
                        && close > 0 =>
                {
                    let field = &after[..close];
                    let value = field.split('.').try_fold(record, |v, k| v.get(k)).ok_or_else(|| {
                        JudgeError::Rule {
                            path: self.name.clone(),
                            message: format!(
                                "the template uses {{{field}}}, but the record has no field `{field}` \
                                 (its fields: {}); `curate judge` fills it from another field with \
                                 --field {field}=OTHER",
                                record.as_object().map_or(String::new(), |o| o
                                    .keys()
                                    .map(String::as_str)
                                    .collect::<Vec<_>>()
                                    .join(", "))
                            ),
                        }
                    })?;
                    match value {
                        Value::String(s) => out.push_str(s),
                        other => out.push_str(&other.to_string()),
                    }
                    rest = &after[close + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        Ok(out)
    }

    /// The score request for `record`.
    pub fn score_request(&self, record: &Value) -> Result<ScoreRequest, JudgeError> {
        Ok(ScoreRequest { prompt: self.render(record)?, labels: self.labels.clone() })
    }

    /// The generate request for `record` (greedy).
    pub fn generate_request(&self, record: &Value) -> Result<GenerateRequest, JudgeError> {
        Ok(GenerateRequest {
            prompt: self.render(record)?,
            max_tokens: self.max_tokens,
            stop: vec![],
            seed: None,
            // Judge questions are answered directly: a thinking model does not think first.
            think: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_load_and_render() {
        for name in JudgeRule::builtin_names() {
            let rule = JudgeRule::load(name).unwrap_or_else(|e| panic!("{e}"));
            // Query and response rules, and annotation rules that show a document as {text}.
            let record = serde_json::json!({
                "query": "What is 2+2?", "response": "4", "answer": "4", "reference": "4", "text": "What is 2+2?"
            });
            let prompt = rule.render(&record).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(prompt.contains("What is 2+2?"), "{name}: {prompt}");
        }
    }

    #[test]
    fn missing_fields_and_bad_rules_say_what_to_fix() {
        let rule = JudgeRule::load("multi_part").unwrap();
        let err = rule.render(&serde_json::json!({"text": "x"})).unwrap_err().to_string();
        assert!(err.contains("no field `query`"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.toml");
        std::fs::write(
            &path,
            "name = \"x\"\nversion = \"1\"\nkind = \"score\"\ntemplate = \"{q}\"\nlabels = [\"yes\"]\n",
        )
        .unwrap();
        let err = JudgeRule::load(path.to_str().unwrap()).unwrap_err().to_string();
        assert!(err.contains("at least two `labels`"), "{err}");
    }
}
