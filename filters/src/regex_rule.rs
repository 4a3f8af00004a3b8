//! `regex`: a user's rule as data: a regular expression (the `regex` crate's syntax) on a field;
//! records that match are dropped (`action = "drop"`) or, with `action = "keep"`, only records
//! that match are kept. The rule's name and version go into the decisions.

use regex::RegexBuilder;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Check, Document, Filter, FilterConfig, FilterError};

/// What a match means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Drop records that match.
    #[default]
    Drop,
    /// Keep only records that match.
    Keep,
}

/// Options of `regex`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegexRuleConfig {
    /// The rule's version, written into decisions; bump it when the pattern's meaning changes.
    pub version: String,
    /// `text` (the record's text) or a field of the record (dotted path into objects).
    pub field: String,
    /// The pattern.
    pub pattern: String,
    /// `drop` records that match, or `keep` only those.
    pub action: Action,
    /// Match letters of either case.
    pub case_insensitive: bool,
    /// Unicode-aware classes (`\w`, `\d`, `\b`); off for ASCII-only, faster matching.
    pub unicode: bool,
}

impl Default for RegexRuleConfig {
    fn default() -> Self {
        Self {
            version: "1".into(),
            field: "text".into(),
            pattern: String::new(),
            action: Action::Drop,
            case_insensitive: false,
            unicode: true,
        }
    }
}

impl FilterConfig for RegexRuleConfig {
    const NAME: &'static str = "regex";
    const DESCRIPTION: &'static str =
        "A rule as data: a regular expression on a field; matches are dropped or kept";

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        if self.pattern.is_empty() {
            return Err(FilterError::Invalid {
                filter: Self::NAME.into(),
                message: "`pattern` is missing".into(),
            });
        }
        let regex = RegexBuilder::new(&self.pattern)
            .case_insensitive(self.case_insensitive)
            .unicode(self.unicode)
            .build()
            .map_err(|e| FilterError::Invalid {
                filter: Self::NAME.into(),
                message: format!("`pattern`: {e}"),
            })?;
        Ok(Box::new(RegexRule { config: self.clone(), regex }))
    }
}

/// The `regex` filter.
pub struct RegexRule {
    config: RegexRuleConfig,
    regex: regex::Regex,
}

/// The text of `field` in `doc`: its text, or a field of its other fields (strings as they are,
/// other values as JSON); `None` when absent.
pub fn field_text(doc: &Document, field: &str) -> Option<String> {
    if field == "text" {
        return Some(doc.text.clone());
    }
    let meta: Value = serde_json::from_str(doc.meta.as_deref()?).ok()?;
    let value = field.split('.').try_fold(&meta, |v, k| v.get(k))?;
    Some(match value {
        Value::String(s) => s.clone(),
        Value::Null => return None,
        other => other.to_string(),
    })
}

impl Filter for RegexRule {
    fn version(&self) -> &str {
        &self.config.version
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        let text = field_text(doc, &self.config.field).unwrap_or_default();
        let found = self.regex.find(&text);
        let (passed, reason) = match (self.config.action, found) {
            (Action::Drop, Some(m)) => (
                false,
                format!(
                    "`{}` matches {:?}",
                    self.config.field,
                    m.as_str().chars().take(60).collect::<String>()
                ),
            ),
            (Action::Keep, None) => (false, format!("`{}` does not match the pattern", self.config.field)),
            _ => (true, String::new()),
        };
        vec![Check::new("match", Some(f64::from(u8::from(found.is_some()))), None, passed, reason)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn drops_or_keeps_matches_and_refuses_bad_patterns() {
        let config = RegexRuleConfig { pattern: r"(?i)we use cookies".into(), ..Default::default() };
        let f = config.build().unwrap();
        let mut doc = Document::new("1", "We use cookies to improve your experience.", Arc::from("t"), 1);
        assert!(!f.check(&mut doc)[0].passed);
        let mut doc = Document::new("2", "A plain paragraph.", Arc::from("t"), 1);
        assert!(f.check(&mut doc)[0].passed);
        let keep = RegexRuleConfig {
            pattern: "^#".into(),
            field: "kind".into(),
            action: Action::Keep,
            ..Default::default()
        };
        let mut doc = Document::new("3", "x", Arc::from("t"), 1);
        doc.meta = Some(r##"{"kind": "# heading"}"##.into());
        assert!(keep.build().unwrap().check(&mut doc)[0].passed);
        let bad = RegexRuleConfig { pattern: "(unclosed".into(), ..Default::default() };
        assert!(bad.build().err().unwrap().to_string().contains("`pattern`"));
    }
}
