//! What happened to the records of a task or a run: counts that add up.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Counts of one step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StepCounts {
    /// The step's name.
    pub step: String,
    /// Records that reached the step.
    pub seen: u64,
    /// Records it rejected.
    pub rejected: u64,
    /// Rejections by the first rule that failed.
    pub rules: BTreeMap<String, u64>,
    /// CPU seconds the workers' threads spent in the step, summed over workers (a dedup step:
    /// computing signatures; the global clustering is timed apart). Work a step hands to other
    /// threads or processes (the embedded judge's threads, a command rule's program, a server)
    /// is not in it: see `wall_seconds`.
    #[serde(default)]
    pub seconds: f64,
    /// Wall seconds the workers spent in the step, summed over workers (more than `seconds`
    /// when workers waited: for a core, a judge, a program).
    #[serde(default)]
    pub wall_seconds: f64,
}

/// Counts of a task, or of a whole run once merged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskCounts {
    /// Records read plus unreadable inputs: what must equal kept + rejected + quarantined.
    pub input: u64,
    /// Records kept.
    pub kept: u64,
    /// Records rejected, each with a reason.
    pub rejected: u64,
    /// Unreadable inputs (lines, rows, row groups or whole files).
    pub quarantined: u64,
    /// Lines holding only whitespace: not records.
    pub blank_lines: u64,
    /// Bytes read from the input (compressed size for compressed files).
    pub bytes_read: u64,
    /// Per step, in stage order.
    pub steps: Vec<StepCounts>,
    /// Kept records by detected language.
    pub languages: BTreeMap<String, u64>,
    /// Bytes of text whose tokens were counted (a run with a tokenizer).
    #[serde(default)]
    pub tokens_bytes: u64,
    /// CPU seconds counting tokens took, summed over workers.
    #[serde(default)]
    pub tokens_seconds: f64,
    /// The identity of the tokenizer that counted them (`gguf:<file>:<hash>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenizer: Option<String>,
}

impl TaskCounts {
    /// Empty counts for the given steps.
    pub fn for_steps<'a>(steps: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            steps: steps
                .into_iter()
                .map(|s| StepCounts { step: s.to_string(), ..Default::default() })
                .collect(),
            ..Default::default()
        }
    }

    /// Adds `other` (with the same steps) to these counts.
    pub fn merge(&mut self, other: &TaskCounts) {
        if self.steps.is_empty() {
            // An empty total takes the steps of the first counts merged into it.
            self.steps = other
                .steps
                .iter()
                .map(|s| StepCounts { step: s.step.clone(), ..Default::default() })
                .collect();
        }
        self.input += other.input;
        self.kept += other.kept;
        self.rejected += other.rejected;
        self.quarantined += other.quarantined;
        self.blank_lines += other.blank_lines;
        self.bytes_read += other.bytes_read;
        self.tokens_bytes += other.tokens_bytes;
        self.tokens_seconds += other.tokens_seconds;
        if self.tokenizer.is_none() {
            self.tokenizer.clone_from(&other.tokenizer);
        }
        for (mine, theirs) in self.steps.iter_mut().zip(&other.steps) {
            mine.seen += theirs.seen;
            mine.rejected += theirs.rejected;
            mine.seconds += theirs.seconds;
            mine.wall_seconds += theirs.wall_seconds;
            for (rule, n) in &theirs.rules {
                *mine.rules.entry(rule.clone()).or_default() += n;
            }
        }
        for (lang, n) in &other.languages {
            *self.languages.entry(lang.clone()).or_default() += n;
        }
    }

    /// Whether every input is accounted for.
    pub fn balanced(&self) -> bool {
        self.input == self.kept + self.rejected + self.quarantined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_up() {
        let mut a = TaskCounts::for_steps(["s"]);
        let mut b = TaskCounts::for_steps(["s"]);
        b.input = 3;
        b.kept = 1;
        b.rejected = 1;
        b.quarantined = 1;
        b.steps[0].rules.insert("r".into(), 1);
        a.merge(&b);
        a.merge(&b);
        assert_eq!((a.input, a.steps[0].rules["r"]), (6, 2));
        assert!(a.balanced());
    }
}
