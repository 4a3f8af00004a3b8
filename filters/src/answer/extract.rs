//! Where a response states its final answer: after a `</think>` block, the last `\boxed{}`,
//! GSM8K's `#### n`, "the answer is …" (in the stages' languages), or else the concluding
//! sentence in prose ([`super::prose`]); a stated span is reduced to the answer itself.

use std::sync::LazyLock;

use regex::Regex;

/// How a final answer was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// The last `\boxed{…}` (or `\fbox{…}`).
    Boxed,
    /// GSM8K's `#### answer` line.
    Hashes,
    /// A sentence such as "the final answer is 42" or "Answer: 42".
    Statement,
    /// A concluding sentence in prose: "Therefore, there are 239 such strings."
    Prose,
}

/// A final answer and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The answer as written (still LaTeX, units and all; see [`crate::answer::normalize`]).
    pub text: String,
    /// Where it came from.
    pub found: Found,
}

static ANSWER_IS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?:(?:final answer|the answer|answer|antwort|réponse|respuesta|risposta|resposta|ответ)",
        r"\s*(?:is|ist|lautet|est|es|è|é|:|=)|答案\s*(?:是|为|：|:)|答えは)\s*:?\s*"
    ))
    .expect("valid regex")
});
/// What makes an "answer is" no statement: a hypothesis ("we might be tempted to say the answer
/// is $18$. However, ...") before it in its sentence, or a verdict ("our answer is correct")
/// after it.
static HYPOTHESIS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:tempted to|might (?:think|say|guess|expect)|one might|naive(?:ly)?|wrongly|mistakenly)\b",
    )
    .expect("valid regex")
});
static VERDICT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:indeed\s+|also\s+)?(?:correct|right|wrong|incorrect|reasonable|valid)\b")
        .expect("valid regex")
});
static HASHES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*####\s*(.+?)\s*$").expect("valid regex"));

/// Splits a response into its reasoning (the `<think>` block, if any) and the rest.
pub fn split_thinking(response: &str) -> (Option<&str>, &str) {
    match response.rfind("</think>") {
        Some(end) => {
            let start = response[..end].find("<think>").map_or(0, |s| s + "<think>".len());
            (Some(&response[start..end]), &response[end + "</think>".len()..])
        }
        None => (None, response),
    }
}

/// The contents of every `\boxed{…}` and `\fbox{…}` in `text`, in order, braces balanced.
pub fn boxed(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut offset = 0;
    while let Some(at) = ["\\boxed", "\\fbox"].iter().filter_map(|m| rest.find(m).map(|i| (i, m.len()))).min()
    {
        let (i, len) = at;
        let after = &text[offset + i + len..];
        let trimmed = after.trim_start();
        let skipped = after.len() - trimmed.len();
        if let Some(inner) = trimmed.strip_prefix('{') {
            let mut depth = 1;
            let mut end = None;
            for (j, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(j);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if let Some(end) = end {
                out.push(&inner[..end]);
            }
        } else if let Some(word) = trimmed.split_whitespace().next() {
            // `\boxed 5` (no braces).
            if skipped > 0 {
                out.push(word.trim_end_matches(['$', '.']));
            }
        }
        offset += i + len;
        rest = &text[offset..];
    }
    out
}

/// The end of an "answer is" statement: the sentence, not what follows it.
fn statement_end(text: &str) -> &str {
    let line = text.lines().next().unwrap_or("");
    // A period ends the sentence unless it is a decimal point.
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'.' && !(i + 1 < bytes.len() && bytes[i + 1].is_ascii_digit()) {
            return &line[..i];
        }
    }
    line
}

/// Every answer stated in `text`, with where it starts, in any of the three forms.
fn statements(text: &str) -> Vec<(usize, Extracted)> {
    let mut found: Vec<(usize, Extracted)> = boxed(text)
        .into_iter()
        .map(|b| {
            (
                b.as_ptr() as usize - text.as_ptr() as usize,
                Extracted { text: b.trim().to_string(), found: Found::Boxed },
            )
        })
        .collect();
    found.extend(HASHES.captures_iter(text).map(|c| {
        let m = c.get(1).expect("group 1");
        (m.start(), Extracted { text: m.as_str().trim().to_string(), found: Found::Hashes })
    }));
    for marker in ANSWER_IS.find_iter(text) {
        let after = &text[marker.end()..];
        let sentence_start = text[..marker.start()].rfind(['.', '\n']).map_or(0, |i| i + 1);
        if HYPOTHESIS.is_match(&text[sentence_start..marker.start()]) || VERDICT.is_match(after) {
            continue;
        }
        // "our answer is \begin{align*} ... &= 5. \end{align*}": the block's result (its first
        // line alone is no answer).
        if let Some(result) = super::prose::opening_display_result(after).filter(|r| !r.contains("\\boxed")) {
            found.push((marker.start(), Extracted { text: result, found: Found::Statement }));
            continue;
        }
        let answer = statement_end(after).trim().trim_matches(['*', ' ']).trim();
        // "$7$" is the math 7, read as math ("$x \\in (2,12)$" is the interval); "the product of
        // $120$ and $24$, which is $2880$" keeps its dollars.
        let math =
            answer.strip_prefix('$').and_then(|a| a.strip_suffix('$')).filter(|inner| !inner.contains('$'));
        // "the answer is $\boxed{7}$" is one statement, found as the box.
        if !answer.is_empty() && !answer.contains("\\boxed") && !answer.contains("\\fbox") {
            // "900, as there are 900 values of n" states 900.
            let text = match (super::prose::reduce(answer), math) {
                (Some(reduced), _) => reduced,
                (None, Some(inner)) => inner.trim().to_string(),
                // "This happens when the answer IS a multiple of 3 but is NOT a multiple of 4":
                // a clause about some answer, not one stated.
                (None, None) if answer.split_whitespace().count() > 3 => continue,
                (None, None) => answer.to_string(),
            };
            found.push((marker.start(), Extracted { text, found: Found::Statement }));
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found
}

/// The answer stated last in `text`, whatever its form.
fn stated(text: &str) -> Option<Extracted> {
    statements(text).pop().map(|(_, e)| e)
}

/// The response's final answer: stated after its `</think>` block when it has one (the answer
/// the reader sees), else anywhere in it; without a marker, its concluding sentence.
pub fn final_answer(response: &str) -> Option<Extracted> {
    let visible = split_thinking(response).1;
    stated(visible).or_else(|| {
        super::prose::concluding_answer(visible).map(|text| Extracted { text, found: Found::Prose })
    })
}

/// The answer the reasoning reached, to compare with the final one: the answer stated inside the
/// `<think>` block, or, without one, the answer stated before the final one.
pub fn reasoning_answer(response: &str) -> Option<Extracted> {
    match split_thinking(response) {
        (Some(thinking), _) => stated(thinking),
        (None, _) => {
            let mut all = statements(response);
            all.pop()?;
            all.pop().map(|(_, e)| e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxed_keeps_nested_braces_and_takes_the_last() {
        assert_eq!(boxed(r"so \boxed{\frac{1}{2}} or \boxed{3}"), vec![r"\frac{1}{2}", "3"]);
        assert_eq!(final_answer(r"$x = \boxed{\frac{\sqrt{3}}{2}}$").unwrap().text, r"\frac{\sqrt{3}}{2}");
    }

    #[test]
    fn each_way_of_stating_an_answer() {
        let gsm = "She makes 9 * 2 = $18.\n#### 18";
        assert_eq!(final_answer(gsm).unwrap(), Extracted { text: "18".into(), found: Found::Hashes });
        let said = "Adding them gives 3.5 hours. So the answer is 3.5. Hope this helps";
        assert_eq!(final_answer(said).unwrap().text, "3.5");
        assert_eq!(
            final_answer("Final Answer: The final answer is $7$. I hope it is correct.").unwrap().text,
            "7"
        );
        assert_eq!(final_answer("I think it is probably big"), None);
    }

    #[test]
    fn hypotheses_and_verdicts_are_no_statements() {
        // MATH test solutions: an answer one might be tempted to give, and a check.
        let tempted = "There are 6 vertices, so we might be tempted to say the answer is $6\\times 3 = 18$.  \
            However, this counts each diagonal twice.  Hence there are $\\frac{18}{2} = 9$ distinct diagonals.";
        assert_eq!(final_answer(tempted).unwrap(), Extracted { text: "9".into(), found: Found::Prose });
        let checked = "Expanding, we get $p(x) = x^3 - 5$. This matches the polynomial given in the problem, so our answer is correct.";
        assert_eq!(final_answer(checked).unwrap().text, "x^3 - 5");
    }

    #[test]
    fn thinking_is_separated_from_the_answer() {
        let r = "<think>2+2 is 4, so the answer is 4.</think>The answer is 5.";
        assert_eq!(final_answer(r).unwrap().text, "5");
        assert_eq!(reasoning_answer(r).unwrap().text, "4");
        let plain = "First we get the answer is 12. Checking again, the answer is 13.";
        let mixed = "9 * 2 = 18.\n#### 18\nWait, no. The answer is 25.";
        assert_eq!(final_answer(mixed).unwrap().text, "25");
        assert_eq!(reasoning_answer(mixed).unwrap().text, "18");
        assert_eq!(final_answer(plain).unwrap().text, "13");
        assert_eq!(reasoning_answer(plain).unwrap().text, "12");
        // An empty think block (no-thinking mode) has no reasoning answer.
        assert_eq!(reasoning_answer("<think>\n\n</think>\n\n\\boxed{3}"), None);
    }
}
