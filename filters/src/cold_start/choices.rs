//! Answer choices of a multiple-choice question (`A. …` `B. …` `C. …`, inline `a) … b) … c) …`,
//! Cyrillic `А. … Б. … В. …`): they are often worded as questions, but they are not
//! sub-questions.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

/// A choice label after a line start or a space: `A.`, `b)`, `(C)`, `Г.`.
static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)(?:^|\s)(?:\(([A-Ea-eАБВГДабвгд])\)|([A-Ea-eАБВГДабвгд])[.)])\s").expect("valid regex")
});
/// A stem that announces several questions or parts rather than choices.
static ANNOUNCES_PARTS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:questions|parts|tasks)\b").expect("valid regex"));

/// Fewest labels in a row that make a list of choices.
const MIN_CHOICES: usize = 3;

/// A label's alphabet (Cyrillic or not) and case: the same for a whole list.
type Kind = (bool, bool);

/// A label's kind and its place in the alphabet.
fn rank(label: char) -> (Kind, usize) {
    let upper = label.to_uppercase().next().unwrap_or(label);
    let kind = |cyrillic| (cyrillic, label.is_uppercase());
    match "АБВГД".chars().position(|c| c == upper) {
        Some(i) => (kind(true), i),
        None => (kind(false), (upper as usize).saturating_sub('A' as usize)),
    }
}

/// Whether the text before a lowercase list asks what its items answer: it ends with "?", or
/// with ":" that does not announce several questions. An uppercase list is choices anyway.
fn stem_asks(stem: &str) -> bool {
    let stem = stem.trim_end();
    let tail = stem.char_indices().rev().nth(80).map_or(stem, |(i, _)| &stem[i..]);
    stem.ends_with(['?', '？']) || (stem.ends_with([':', '：']) && !ANNOUNCES_PARTS.is_match(tail))
}

/// Labels in alphabetical order, being read.
struct Run {
    kind: Kind,
    /// Where the first label starts.
    start: usize,
    /// Labels so far.
    labels: usize,
    /// Where the last label ends.
    last: usize,
}

impl Run {
    /// The run's span in `query` if it is a list of choices: from its first label to the end of
    /// its last label's line.
    fn span(&self, query: &str) -> Option<Range<usize>> {
        let (_, upper) = self.kind;
        let choices = self.labels >= MIN_CHOICES && (upper || stem_asks(&query[..self.start]));
        choices.then(|| self.start..query[self.last..].find('\n').map_or(query.len(), |i| self.last + i))
    }
}

/// The byte ranges of `query`'s lists of choices: three or more labels in alphabetical order
/// from `A`, each list from its first label to the end of its last label's line.
pub fn choice_spans(query: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    let mut run: Option<Run> = None;
    for c in LABEL.captures_iter(query) {
        let label = c.get(1).or(c.get(2)).expect("one label group matches");
        let (kind, place) = rank(label.as_str().chars().next().expect("a label is one letter"));
        match &mut run {
            Some(r) if r.kind == kind && place == r.labels => {
                r.labels += 1;
                r.last = label.end();
            }
            _ => {
                spans.extend(run.take().and_then(|r| r.span(query)));
                if place == 0 {
                    let whole = c.get(0).expect("whole match");
                    let start = whole.end() - whole.as_str().trim_start().len();
                    run = Some(Run { kind, start, labels: 1, last: label.end() });
                }
            }
        }
    }
    spans.extend(run.and_then(|r| r.span(query)));
    spans
}

/// `query` with its lists of choices blanked out.
pub fn without_choices(query: &str) -> String {
    let mut out = query.to_string();
    for span in choice_spans(query).into_iter().rev() {
        out.replace_range(span, " ");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_of_choices_are_found() {
        let mcq =
            "Which question is ontological?\nA. What exists?\nB. How to live?\nC. What can I know?\nAnswer:";
        assert_eq!(without_choices(mcq), "Which question is ontological?\n \nAnswer:");
        let inline = "Sensul expresiei este: a) De unde ai venit? b) Pe ce traseu? c) Care este motivul?";
        assert_eq!(without_choices(inline), "Sensul expresiei este:  ");
        assert_eq!(choice_spans("Кой въпрос?\nА. Какво?\nБ. Как?\nВ. Защо?").len(), 1);
        // Parts of a problem, not choices: the stem asks nothing, or announces questions.
        let parts = "A ball is thrown at 20 m/s.\n(a) Find its height.\n(b) How long?\n(c) Why?";
        assert!(choice_spans(parts).is_empty());
        assert!(choice_spans("Answer the questions: a) What is 2+2? b) Why? c) How?").is_empty());
        // Two labels are not a list; labels out of order are not either.
        assert!(choice_spans("Which? A. yes B. no").is_empty());
        assert!(choice_spans("Which? A. yes C. no B. maybe").is_empty());
    }
}
