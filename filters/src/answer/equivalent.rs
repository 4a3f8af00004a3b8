//! Whether two answers are the same answer: as numbers (within a relative tolerance, with
//! percentages read either way), as multiple-choice letters, element by element for tuples,
//! intervals and sets, else as normalized text.

use super::expression::value;
use super::normalize::normalize;

/// An answer read for comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// A number or a simple expression's value; `percent` when written with `%`.
    Number {
        /// The value (a percentage's value is already divided by 100).
        value: f64,
        /// Written as a percentage.
        percent: bool,
    },
    /// A multiple-choice letter.
    Choice(char),
    /// Several answers: a tuple or interval (`ordered`, with its brackets) or a set / a list of
    /// solutions (unordered).
    Many {
        /// Whether order matters.
        ordered: bool,
        /// The opening and closing brackets of an ordered one (`(]` for a half-open interval).
        brackets: (char, char),
        /// The elements.
        items: Vec<Answer>,
    },
    /// Anything else, as normalized text.
    Text(String),
}

/// Splits at commas outside brackets.
fn top_level_items(s: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&s[start..]);
    items
}

impl Answer {
    /// Reads an answer as written (LaTeX and all).
    pub fn parse(raw: &str) -> Self {
        Self::read(&normalize(raw))
    }

    fn read(s: &str) -> Self {
        if s.len() == 1 && s.chars().all(|c| c.is_ascii_uppercase()) {
            return Answer::Choice(s.chars().next().expect("one char"));
        }
        let (open, close) = (s.chars().next().unwrap_or(' '), s.chars().last().unwrap_or(' '));
        if s.len() >= 2 && "([{".contains(open) && ")]}".contains(close) {
            let inner = &s[1..s.len() - 1];
            let items = top_level_items(inner);
            if items.len() > 1 {
                let items = items.into_iter().map(Self::read).collect();
                return if open == '{' {
                    Answer::Many { ordered: false, brackets: ('{', '}'), items }
                } else {
                    Answer::Many { ordered: true, brackets: (open, close), items }
                };
            }
        }
        let items = top_level_items(s);
        if items.len() > 1 {
            return Answer::Many {
                ordered: false,
                brackets: ('{', '}'),
                items: items.into_iter().map(Self::read).collect(),
            };
        }
        if let Some(v) = value(s) {
            return Answer::Number { value: v, percent: s.ends_with('%') };
        }
        Answer::Text(s.to_string())
    }

    /// Whether `self` and `other` are the same answer.
    pub fn matches(&self, other: &Answer) -> bool {
        match (self, other) {
            (Answer::Number { value: a, percent: pa }, Answer::Number { value: b, percent: pb }) => {
                let close = |x: f64, y: f64| (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0);
                // "50%" and "50" and "0.5" all answer "what percent…?".
                close(*a, *b) || (*pa != *pb && (close(a * 100.0, *b) || close(*a, b * 100.0)))
            }
            (Answer::Choice(a), Answer::Choice(b)) => a == b,
            (
                Answer::Many { ordered: oa, brackets: ba, items: ia },
                Answer::Many { ordered: ob, brackets: bb, items: ib },
            ) => {
                if ia.len() != ib.len() {
                    return false;
                }
                if *oa && *ob {
                    ba == bb && ia.iter().zip(ib).all(|(x, y)| x.matches(y))
                } else {
                    let mut used = vec![false; ib.len()];
                    ia.iter().all(|x| {
                        let hit = ib.iter().enumerate().find(|(j, y)| !used[*j] && x.matches(y));
                        hit.map(|(j, _)| used[j] = true).is_some()
                    })
                }
            }
            (Answer::Text(a), Answer::Text(b)) => a == b,
            _ => false,
        }
    }
}

/// Whether the answer `a` (a response's), as written, is the answer `b` (the reference).
///
/// A relation that `a` states ("a + b = 6", "4x - 5y = -50") answers a value by its right-hand
/// side (by its left-hand side too when the right one is 0: "x^2 - 5x + 6 = 0" for the
/// polynomial); two relations match side by side. A value never answers a relation asked for:
/// "-50" is not the line "4x - 5y = -50".
pub fn equivalent(a: &str, b: &str) -> bool {
    if Answer::parse(a).matches(&Answer::parse(b)) {
        return true;
    }
    let (a, b) = (normalize(a), normalize(b));
    match (relation(&a), relation(&b)) {
        (Some((left, right)), None) => equivalent(right, &b) || (is_zero(right) && equivalent(left, &b)),
        (Some((la, ra)), Some((lb, rb))) => {
            (equivalent(la, lb) && equivalent(ra, rb)) || (equivalent(la, rb) && equivalent(ra, lb))
        }
        _ => false,
    }
}

/// The two sides of a normalized answer that is one equation (one `=` outside brackets, not
/// part of `<=`, `>=` or `!=`).
fn relation(s: &str) -> Option<(&str, &str)> {
    let mut depth = 0i32;
    let mut at = None;
    let bytes = s.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'{' | b'(' | b'[' => depth += 1,
            b'}' | b')' | b']' => depth -= 1,
            b'=' if depth == 0 => {
                let joined = |j: Option<&u8>| matches!(j, Some(b'<' | b'>' | b'!' | b'='));
                if at.is_some()
                    || joined(i.checked_sub(1).and_then(|j| bytes.get(j)))
                    || joined(bytes.get(i + 1))
                {
                    return None;
                }
                at = Some(i);
            }
            _ => {}
        }
    }
    let at = at?;
    let (left, right) = (s[..at].trim(), s[at + 1..].trim());
    (!left.is_empty() && !right.is_empty()).then_some((left, right))
}

fn is_zero(s: &str) -> bool {
    matches!(Answer::parse(s), Answer::Number { value, .. } if value == 0.0)
}

impl Answer {
    /// Whether the rules read this answer as a value: a number, a choice, or tuples and sets of
    /// those (not text, nor an expression they cannot evaluate).
    fn is_value(&self) -> bool {
        match self {
            Answer::Number { .. } | Answer::Choice(_) => true,
            Answer::Many { items, .. } => items.iter().all(Answer::is_value),
            Answer::Text(_) => false,
        }
    }
}

/// Whether the rules can tell if `a` and `b` differ: both are values ([`Answer`] numbers,
/// choices, tuples and sets of them). "30x^3-8x^2+20x" against "2x(15x^2-4x+10)", or
/// "on Tuesday" against "Tuesday", they cannot: a judge can.
pub fn comparable(a: &str, b: &str) -> bool {
    let value = |s: &str| {
        let normalized = normalize(s);
        match relation(&normalized) {
            // A relation stated is compared by its right-hand side.
            Some((_, right)) => Answer::parse(right).is_value(),
            None => Answer::parse(s).is_value(),
        }
    };
    value(a) && Answer::parse(b).is_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_comparable_and_text_is_not() {
        assert!(comparable("18", "$20.00") && comparable("(1, 2)", "(2, 1)") && comparable("B", "C"));
        assert!(!comparable("30x^3-8x^2+20x", "2x(15x^2-4x+10)"));
        assert!(!comparable("on Tuesday", "Tuesday"));
        assert!(!comparable("x", "5"));
    }

    #[test]
    fn relations_answer_values_and_relations() {
        assert!(equivalent("a + b + c = 6", "6"));
        assert!(equivalent("4x - 5y = -50", "4x-5y=-50"));
        assert!(equivalent("x^2 + y^2 = 13", "x^2+y^2=13.0"));
        assert!(equivalent("x^4 - 4x^3 + 5x^2 + 2x - 1 = 0", "x^4 - 4x^3 + 5x^2 + 2x - 1"));
        assert!(equivalent("-50 = 4x - 5y", "4x - 5y = -50"));
        // A value is not the equation asked for, nor another equation's side.
        assert!(!equivalent("-50", "4x-5y=-50"));
        assert!(!equivalent("0", "10x - 4y - 5z - 20 = 0"));
        assert!(!equivalent("4x - 5y = -49", "4x-5y=-50"));
        assert!(!equivalent("a + b = 7", "6"));
        assert!(!equivalent("x \\le 3", "3") && !equivalent("x <= 3", "3"));
        // Compared by its right-hand side, a relation can be called wrong, not only undecided.
        assert!(comparable("4x - 5y = -49", "-50") && !comparable("4x - 5y = z", "-50"));
    }

    #[test]
    fn same_answers_written_differently() {
        for (a, b) in [
            ("18", "$18.00"),
            ("1,000", "1000"),
            (r"\frac{1}{2}", "0.5"),
            (r"\dfrac{3}{4}", "3/4"),
            ("50%", "50"),
            ("25\\%", "0.25"),
            (r"\frac{\sqrt{3}}{2}", r"\frac{\sqrt3}{2}"),
            (r"2\sqrt{2}", r"\sqrt{8}"),
            (r"(1, 2)", r"\left(1,2\right)"),
            (r"\{3, 1\}", "1, 3"),
            ("(B)", r"\text{B}"),
            ("12 cm", "12"),
            (r"\text{Monday}", "monday"),
            (r"x = -3", "-3"),
            (r"[2, 5)", r"\left[2,5\right)"),
        ] {
            assert!(equivalent(a, b), "{a} should equal {b}");
        }
    }

    #[test]
    fn different_answers_differ() {
        for (a, b) in [
            ("18", "19"),
            ("0.5", "0.55"),
            ("(1, 2)", "(2, 1)"),
            ("[2, 5)", "(2, 5)"),
            ("A", "B"),
            ("1, 3", "1, 3, 5"),
            (r"\frac{1}{3}", "0.33"),
            ("monday", "tuesday"),
            ("12", "(B)"),
        ] {
            assert!(!equivalent(a, b), "{a} should differ from {b}");
        }
    }
}
