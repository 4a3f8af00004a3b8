use std::borrow::Cow;

/// The outcome of one rule of a filter on one document: what was measured, against what
/// threshold, and whether the document passed.
///
/// Filters measure and then build checks with [`Check::at_least`], [`Check::at_most`] or
/// [`Check::new`]; the dataflow keeps a document only when every check of every step passed.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The rule's name inside its filter, e.g. `word_count_min`.
    pub rule: Cow<'static, str>,
    /// What the rule measured.
    pub score: Option<f64>,
    /// The bound the score was compared with.
    pub threshold: Option<f64>,
    /// Whether the document passed this rule.
    pub passed: bool,
    /// Why the document failed, in words a user can act on; empty when it passed.
    pub reason: String,
    /// The part of the document judged (e.g. `response 2`), when not the whole document. Such
    /// checks are recorded but do not reject the document; the filter sums them up in a check
    /// of its own.
    pub item: Option<String>,
}

impl Check {
    /// A check with an explicit outcome, for rules that are not a plain comparison.
    pub fn new(
        rule: impl Into<Cow<'static, str>>,
        score: Option<f64>,
        threshold: Option<f64>,
        passed: bool,
        reason: impl Into<String>,
    ) -> Self {
        let reason = if passed { String::new() } else { reason.into() };
        Self { rule: rule.into(), score, threshold, passed, reason, item: None }
    }

    /// The same check, about one part of the document.
    pub fn on(mut self, item: impl Into<String>) -> Self {
        self.item = Some(item.into());
        self
    }

    /// Passes when `score >= min`.
    pub fn at_least(rule: impl Into<Cow<'static, str>>, score: f64, min: f64) -> Self {
        let rule = rule.into();
        let passed = score >= min;
        let reason = format!("{rule}: {} < min {}", fmt_num(score), fmt_num(min));
        Self::new(rule, Some(score), Some(min), passed, reason)
    }

    /// Passes when `score <= max`.
    pub fn at_most(rule: impl Into<Cow<'static, str>>, score: f64, max: f64) -> Self {
        let rule = rule.into();
        let passed = score <= max;
        let reason = format!("{rule}: {} > max {}", fmt_num(score), fmt_num(max));
        Self::new(rule, Some(score), Some(max), passed, reason)
    }
}

/// Formats a measurement for a reason: integers without decimals, fractions with four digits.
fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_decide_and_explain() {
        let c = Check::at_least("word_count_min", 12.0, 50.0);
        assert!(!c.passed);
        assert_eq!(c.reason, "word_count_min: 12 < min 50");
        let c = Check::at_most("symbol_ratio_max", 0.05, 0.1);
        assert!(c.passed);
        assert!(c.reason.is_empty());
        let c = Check::at_most("dup_line_frac", 0.3333333, 0.3);
        assert_eq!(c.reason, "dup_line_frac: 0.3333 > max 0.3000");
    }
}
