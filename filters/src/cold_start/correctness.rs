//! Whether a response is right: its final answer against the reference answer (math, STEM),
//! or its code against the tests, run in the sandbox (code). Shared by `responses` (cold start)
//! and `pass_rate` (reasoning RL), so both stages verify answers the same way.

use serde_json::{Map, Value};

use std::sync::LazyLock;

use regex::Regex;

use super::record;
use crate::answer::{
    comparable, equivalent, normalize, split_thinking, stated_relations, stated_values, Extracted, Found,
};
use crate::response::sandbox::{code_of, Outcome, Sandbox};
use crate::{Check, FilterError};

/// A reference that assigns a value to a name ("x = 5", "k=15"): its value is the answer.
static ASSIGNMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*[a-zA-Z](?:_\{?\w+\}?)?\s*=[^=]*$").expect("valid regex"));

/// A query's verifier, read from its record: the reference answer, and the tests (test code,
/// or a list of assert lines joined into one program).
pub fn verifier(
    fields: &Map<String, Value>,
    reference_field: &str,
    tests_field: &str,
) -> (Option<String>, Option<String>) {
    let reference = record::text(fields, reference_field);
    let tests = match fields.get(tests_field) {
        Some(Value::Array(lines)) if !lines.is_empty() => Some(
            lines
                .iter()
                .map(|l| l.as_str().map_or_else(|| l.to_string(), String::from))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => record::text(fields, tests_field),
    };
    (reference, tests)
}

/// How many concluding sentences are searched for the reference when the answer read from
/// prose is not it. Measured on MATH's test solutions (`tests/integration/final_answers.rs`):
/// with 1, 1.1% of right solutions are called wrong and 2.9% of wrong answers are left to the
/// judge; with 2, 0.7% and 4.2%.
const STATED_SENTENCES: usize = 1;

/// Checks responses against a verifier.
pub struct Correctness {
    /// Where code responses run their tests.
    pub sandbox: Sandbox,
}

impl Correctness {
    /// Checks with tests run by `python`, each run limited to `timeout_seconds` and
    /// `memory_mib`; an error for the step `filter` when a limit is too small to run anything.
    pub fn new(
        filter: &str,
        python: &str,
        timeout_seconds: u64,
        memory_mib: u64,
    ) -> Result<Self, FilterError> {
        if timeout_seconds == 0 || memory_mib < 16 {
            return Err(FilterError::Invalid {
                filter: filter.into(),
                message: "test_timeout_seconds must be at least 1 and test_memory_mib at least 16".into(),
            });
        }
        let sandbox = Sandbox {
            python: python.into(),
            timeout: std::time::Duration::from_secs(timeout_seconds),
            memory_mib,
        };
        Ok(Self { sandbox })
    }

    /// The check of one response whose extracted final answer is `final_answer`: rule
    /// `final_answer` when there is a reference answer (or `answer_undecided` when the response
    /// states none the rules can find, one they cannot compare with the reference, such as
    /// text or an unevaluated expression, or one read from prose while its concluding sentences
    /// also state the reference: not called wrong, counted apart), else `tests_pass` when there
    /// are tests; `None` when the query has neither. A reference in prose ("900 (i.e., all
    /// values)") is also compared as the answer it states.
    pub fn check(
        &self,
        response: &str,
        final_answer: Option<&Extracted>,
        reference: Option<&str>,
        tests: Option<&str>,
    ) -> Option<Check> {
        if let Some(reference) = reference {
            return Some(match final_answer {
                None => Check::new(
                    "answer_undecided",
                    None,
                    Some(1.0),
                    false,
                    "answer_undecided: no final answer found to compare with the reference",
                ),
                Some(extracted) => {
                    let a = extracted.text.as_str();
                    // An equation asked for ("10x - 4y - 5z - 20 = 0") is not its right-hand side;
                    // "x = 5" (an assignment) is 5.
                    let equation = reference.contains('=') && !ASSIGNMENT.is_match(reference);
                    let reduced = crate::answer::reduce(reference).filter(|r| r != reference && !equation);
                    // An equation asked for ("the plane $5x - 7y + 11z + 4 = 0$"), read from prose
                    // as its right-hand side: the relation the conclusion states, whole.
                    // Compared as written, spaces aside: the rules evaluate no equations.
                    let equation_stated = || {
                        let squash = |s: &str| normalize(s).split_whitespace().collect::<String>();
                        extracted.found == Found::Prose
                            && equation
                            && stated_relations(split_thinking(response).1, STATED_SENTENCES)
                                .iter()
                                .any(|v| squash(v) == squash(reference))
                    };
                    let right = equivalent(a, reference)
                        || reduced.as_ref().is_some_and(|r| equivalent(a, r))
                        || equation_stated();
                    let comparable =
                        comparable(a, reference) || reduced.as_ref().is_some_and(|r| comparable(a, r));
                    if !right && !comparable {
                        // Text or expressions the rules cannot evaluate: not called wrong.
                        let reason = format!(
                            "answer_undecided: `{a}` and the reference `{reference}` cannot be compared by rules"
                        );
                        return Some(Check::new("answer_undecided", None, Some(1.0), false, reason));
                    }
                    // A conclusion in prose that states the reference next to what was read
                    // ("Thus, $48$ flocks are equivalent to $12$ flicks"): the rules cannot tell
                    // which value the response meant. Marked answers are taken at their word.
                    let also_stated = || {
                        stated_values(split_thinking(response).1, STATED_SENTENCES).iter().any(|v| {
                            equivalent(v, reference) || reduced.as_ref().is_some_and(|r| equivalent(v, r))
                        })
                    };
                    if !right && extracted.found == Found::Prose && also_stated() {
                        let reason = format!(
                            "answer_undecided: read `{a}` from the conclusion, which also states the reference `{reference}`"
                        );
                        return Some(Check::new("answer_undecided", None, Some(1.0), false, reason));
                    }
                    let reason = format!("final_answer: `{a}` is not the reference `{reference}`");
                    Check::new("final_answer", Some(f64::from(u8::from(right))), Some(1.0), right, reason)
                }
            });
        }
        let tests = tests?;
        let fail = |reason: String| Check::new("tests_pass", Some(0.0), Some(1.0), false, reason);
        Some(match self.sandbox.run(&code_of(response), tests) {
            Ok(Outcome::Passed) => Check::new("tests_pass", Some(1.0), Some(1.0), true, ""),
            Ok(Outcome::Failed(error)) => fail(format!("tests_pass: the tests fail: {error}")),
            Ok(Outcome::TimedOut) => {
                fail(format!("tests_pass: timed out after {} s", self.sandbox.timeout.as_secs()))
            }
            Err(e) => Check::new(
                "tests_pass",
                None,
                Some(1.0),
                false,
                format!("tests_pass: could not run the tests: {e}"),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::answer::final_answer;

    fn rule_of(response: &str, reference: &str) -> (String, bool) {
        let correctness = Correctness::new("t", "python3", 1, 64).unwrap();
        let check =
            correctness.check(response, final_answer(response).as_ref(), Some(reference), None).unwrap();
        (check.rule.to_string(), check.passed)
    }

    #[test]
    fn an_equation_asked_for_is_compared_whole() {
        let prose = "Then $10x - 4y - 5z = 20,$ so the equation of the plane is $10x - 4y - 5z - 20 = 0.$";
        assert_eq!(rule_of(prose, "10x - 4y - 5z - 20 = 0"), ("final_answer".into(), true));
        assert!(!rule_of(prose, "10x - 4y + 5z - 20 = 0").1);
        // A number asked for is not read from the relation; an assigned reference is its value.
        assert_eq!(rule_of("So $x + y = 10$.", "10"), ("final_answer".into(), true));
        assert_eq!(rule_of("Therefore the answer is $5$.", "k = 5"), ("final_answer".into(), true));
    }

    #[test]
    fn a_prose_conclusion_that_also_states_the_reference_is_undecided() {
        // From a MATH solution: the question asks for flocks, the sentence ends with flicks.
        let prose = "Multiplying gives $48$ flocks. Thus, $48$ flocks are equivalent to $12$ flicks.";
        assert_eq!(rule_of(prose, "48"), ("answer_undecided".into(), false));
        // Marked answers are taken at their word; a conclusion without the reference is wrong.
        assert_eq!(rule_of("So $48$ flocks make \\boxed{12} flicks.", "48"), ("final_answer".into(), false));
        assert_eq!(rule_of("Thus, there are $12$ flicks.", "48"), ("final_answer".into(), false));
        assert_eq!(rule_of("Thus, there are $48$ flocks.", "48"), ("final_answer".into(), true));
    }
}
