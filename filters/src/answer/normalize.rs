//! One canonical spelling per answer: LaTeX spacing and wrappers removed, `\dfrac` as `\frac`,
//! thousands separators, units, degree signs, `x =` prefixes and multiple-choice dressing gone.

use std::sync::LazyLock;

use regex::Regex;

static TEXT_WRAPPER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\\(?:text|textbf|textit|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\}")
        .expect("valid regex")
});
static THOUSANDS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$").expect("valid regex"));
static ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-zA-Z]\s*=\s*").expect("valid regex"));
/// "x \in (-4,13)", "\lambda \in (3,4]": membership written before an interval or set.
static MEMBERSHIP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?\w+\}?)?\s*\\in\s*").expect("valid regex"));
static CHOICE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:option|choice)?\s*\(?([A-Ea-e])\)?(?:[.:)]|\s|$)").expect("valid regex")
});
/// A trailing `\text{...}` of words after something else: units to drop.
static UNIT_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(\S)\s*\\(?:text|mbox|mathrm)\s*\{[\s~]*[a-zA-Z][a-zA-Z ]*\}?\s*\.?$").expect("valid regex")
});

/// A number (or a LaTeX number-like expression) followed by words: units to drop.
static UNITS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(-?[\d.,/]+(?:\\frac\{\d+\}\{\d+\})?|\\frac\{[^{}]+\}\{[^{}]+\})\s*(?:[a-zA-Z]+\.?\s*)+(?:\^?\{?[23]\}?)?$")
        .expect("valid regex")
});

/// The canonical spelling of an answer, for comparing answers as text.
pub fn normalize(answer: &str) -> String {
    let mut s = answer.trim().to_string();
    if let Some(inner) = crate::answer::boxed(&s).last() {
        s = inner.to_string();
    }
    for (from, to) in [
        ("\\left", ""),
        ("\\right", ""),
        ("\\displaystyle", ""),
        ("\\!", ""),
        ("\\,", ""),
        ("\\;", ""),
        ("\\:", ""),
        ("\\ ", ""),
        ("~", ""),
        ("\\dfrac", "\\frac"),
        ("\\tfrac", "\\frac"),
        ("^\\circ", ""),
        ("^{\\circ}", ""),
        ("°", ""),
        ("\\%", "%"),
        ("\\$", ""),
        ("$", ""),
        ("\\{", "{"),
        ("\\}", "}"),
    ] {
        s = s.replace(from, to);
    }
    // Units in words after the answer: "72\pi\sqrt{3}\text{ cubic centimeters}", "8\pi\text{~inches}".
    s = UNIT_TEXT.replace(&s, "$1").into_owned();
    while TEXT_WRAPPER.is_match(&s) {
        s = TEXT_WRAPPER.replace_all(&s, "$1").into_owned();
    }
    let s = s.trim().trim_end_matches('.').trim();
    // Before the choice letters: "a \in (-7, -2)" is an interval, not choice (A).
    let s = MEMBERSHIP.replace(s, "");
    let s = s.as_ref();
    if let Some(c) = CHOICE.captures(s) {
        // "(B)", "B.", "B) 12": the letter, when the answer is a choice.
        if s.len() <= 3 || s.starts_with('(') || s.contains(')') {
            return c[1].to_uppercase();
        }
    }
    let s = ASSIGNMENT.replace(s, "");
    let s = match UNITS.captures(&s) {
        Some(c) => c[1].to_string(),
        None => s.into_owned(),
    };
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let s = if THOUSANDS.is_match(&s) { s.replace(',', "") } else { s };
    s.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_in_text_after_an_answer_are_dropped() {
        assert_eq!(normalize("72\\pi\\sqrt{3}\\text{ cubic centimeters}"), normalize("72\\pi\\sqrt{3}"));
        assert_eq!(normalize("8\\pi\\text{~inches}"), normalize("8\\pi"));
        assert_eq!(normalize("\\text{VW}"), "vw");
        assert_eq!(normalize("x \\in [-3,-2] \\cup [0,1]"), normalize("[-3,-2]\\cup[0,1]"));
        assert_eq!(normalize("\\lambda \\in (3,4]"), "(3,4]");
        assert_eq!(normalize("a \\in (-7, -2)"), "(-7,-2)");
    }

    #[test]
    fn spellings_of_one_answer_normalize_alike() {
        for (raw, want) in [
            ("$18", "18"),
            ("1,000,000", "1000000"),
            (r"\dfrac{1}{2}", r"\frac{1}{2}"),
            (r"\left( 1, 2 \right)", "(1,2)"),
            (r"90^\circ", "90"),
            (r"x = 5", "5"),
            (r"12 \text{ cm}^2", "12"),
            ("15 dollars", "15"),
            (r"\text{(B)}", "B"),
            ("(c) 42", "C"),
            ("B", "B"),
            (r"\text{Monday}", "monday"),
            ("50\\%", "50%"),
            ("3.5.", "3.5"),
        ] {
            assert_eq!(normalize(raw), want, "{raw}");
        }
    }
}
