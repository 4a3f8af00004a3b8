//! Final answers stated in prose, without a marker: the concluding sentence ("Therefore, there
//! are 239 such strings of length 6.", "So the probability is $\frac{10}{11}$.", "Also ist die
//! Antwort 12."), or a last equation ("She makes 9 * 2 = $18 every day."); and any stated span
//! reduced to the answer itself ("900, as there are 900 values of n" is 900).

use std::sync::LazyLock;

use regex::Regex;

/// Words that open a conclusion, in the languages the stages handle.
static CONCLUSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^(?:\W*)(?:(?:therefore|thus|so|hence|consequently|in conclusion|in total|altogether|in all|",
        r"overall|finally|this means|that means|which means|the result is|we get|we have|we find|",
        r"also|somit|daher|folglich|insgesamt|damit|donc|ainsi|par conséquent|au total|",
        r"por lo tanto|por tanto|así que|entonces|en total|quindi|pertanto|dunque|in totale|",
        r"portanto|logo|então|поэтому|следовательно|итак|значит)(?:\b|[,:\s])",
        r"|所以|因此|故|综上|よって|したがって)"
    ))
    .expect("valid regex")
});

/// The verb that joins the subject of a concluding sentence to its answer.
static VERB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?:,\s*or(?:\s+about|\s+approximately)?\b|^\s*or\s+(?:about|approximately)\b|",
        r"\b(?:rounds? to|simplifies to|reduces to|evaluates to|(?:written|expressed)(?: in [\w ]+?)? as|is|are|was|were|equals|equal(?: to)?|will be|would be|becomes|comes to|gives|",
        r"makes|made|has|have|had|needs|need|costs|cost|pays|paid|earns|earned|spends|spent|gets|got|",
        r"takes|took|totals?|remains?|left with|means|implies|yields|obtain|leaves|results in|be|",
        r"so|thus|hence|giving(?: us)?|yielding|making(?: for)?|leads? to|solves? to|get|adds? up to|sums? to|",
        r"which we find(?: that)?|(?:we|I) (?:find|see)(?: that)?|from which|showing that|shows? that|meaning(?: that)?|leaving|",
        r"leading to|comes? out to|produces?|produced|being|",
        r"ist|sind|beträgt|ergibt|est|sont|vaut|es|",
        r"è|sono|é|são|равно|равен|равна|составляет)\b|=|是|为|等于|は)"
    ))
    .expect("valid regex")
});

/// Calculator annotations of GSM8K-style solutions: `<<9*2=18>>`.
static CALCULATOR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<<[^<>]*>>").expect("valid regex"));

/// A number at the start of a span: sign, currency, thousands separators, decimals, a fraction
/// with a slash, a percent sign.
static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^[-+−]?\s*[$€£¥]?\s*(?:\d{1,3}(?:,\d{3})+|\d{1,3}(?: \d{3})+\b|\d+)(?:\.\d+)?(?:\s*/\s*\d+)?\s*%?",
    )
    .expect("valid regex")
});

/// A number anywhere, for the last one of a sentence.
static LAST_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?|-?\d+(?:\.\d+)?").expect("valid regex"));

/// Filler between the verb and the answer.
static FILLER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)^(?:\s|:|,)*(?:(?:then|therefore|exactly|approximately|about|around|only|just|now|",
        r"a total of|in total|total of|equal to|the answer|die antwort|la réponse|la respuesta|la risposta|",
        r"a resposta|of|simply|also|still|probably|likely|perhaps|maybe|ungefähr|genau|",
        r"environ|exactement|aproximadamente|exactamente|circa|esattamente)\b(?:\s|:|,)*)*"
    ))
    .expect("valid regex")
});

/// How a sentence says no, and yes.
const NO: &[&str] = &["no", "not possible", "impossible", "nein", "non", "нет", "否"];
const YES: &[&str] = &["yes", "possible", "ja", "oui", "sí", "si", "да", "是"];

/// Whether `lower` starts with one of `words` as a whole word.
fn starts_with_word(lower: &str, words: &[&str]) -> bool {
    words
        .iter()
        .any(|w| lower.starts_with(w) && lower[w.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric()))
}

/// Three words in a row: prose, so a `$` before them is a currency sign, not math.
static WORDS_IN_A_ROW: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\p{L}{2,}\s+\p{L}{2,}\s+\p{L}{2,}").expect("valid regex"));

/// A line break inside `$...$` is currency across lines ("$5 on Monday\n... $6"), unless
/// what it holds is LaTeX ("$45\div\n8=5.625,$": math wrapped with its sentence).
fn broken_prose(inner: &str) -> bool {
    inner.contains('\n') && !COMMAND.is_match(inner)
}

/// A stretch of a sentence: prose, or math between delimiters (the inside kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part<'a> {
    Prose(&'a str),
    Math(&'a str),
}

/// The math delimiters, opening and closing: display environments, then `$$`, `\[`, `\(`, `$`.
const DELIMITERS: [(&str, &str); 14] = [
    ("\\begin{align*}", "\\end{align*}"),
    ("\\begin{align}", "\\end{align}"),
    ("\\begin{aligned}", "\\end{aligned}"),
    ("\\begin{eqnarray*}", "\\end{eqnarray*}"),
    ("\\begin{eqnarray}", "\\end{eqnarray}"),
    ("\\begin{equation*}", "\\end{equation*}"),
    ("\\begin{equation}", "\\end{equation}"),
    ("\\begin{gather*}", "\\end{gather*}"),
    ("\\begin{gather}", "\\end{gather}"),
    ("\\begin{multline*}", "\\end{multline*}"),
    ("$$", "$$"),
    ("\\[", "\\]"),
    ("\\(", "\\)"),
    ("$", "$"),
];

/// Where `close` first occurs in `text`, an escaped dollar (`\$`) not closing `$` math.
fn find_close(text: &str, close: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find(close).map(|i| from + i) {
        if !(close.starts_with('$') && text[..i].ends_with('\\')) {
            return Some(i);
        }
        from = i + close.len();
    }
    None
}

/// Splits `text` into prose and math. A `$` whose "math" holds prose (or that is never closed)
/// is a currency sign.
fn parts(text: &str) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    let mut prose_start = 0;
    let mut at = 0;
    while at < text.len() {
        let rest = &text[at..];
        // An escaped dollar ("\$15") is a currency sign.
        if rest.starts_with("\\$") {
            at += 2;
            continue;
        }
        let opened = DELIMITERS.iter().find(|(open, _)| rest.starts_with(open));
        if let Some((open, close)) = opened {
            let inner_start = at + open.len();
            if let Some(len) = find_close(&text[inner_start..], close) {
                let inner = &text[inner_start..inner_start + len];
                // "$400 + $60 = $460": amounts, not math (math hugs its delimiters).
                let after = &text[inner_start + len + close.len()..];
                let amounts = inner.starts_with(|c: char| c.is_ascii_digit())
                    && (inner.ends_with(char::is_whitespace)
                        || after.starts_with(|c: char| c.is_ascii_digit()));
                let currency =
                    *open == "$" && (amounts || WORDS_IN_A_ROW.is_match(inner) || broken_prose(inner));
                if !currency {
                    if prose_start < at {
                        out.push(Part::Prose(&text[prose_start..at]));
                    }
                    out.push(Part::Math(inner));
                    at = inner_start + len + close.len();
                    prose_start = at;
                    continue;
                }
            }
        }
        at += rest.chars().next().map_or(1, char::len_utf8);
    }
    if prose_start < text.len() {
        out.push(Part::Prose(&text[prose_start..]));
    }
    out
}

/// The sentences of `text`, in order: ended by `.`, `!`, `?`, `。` outside math (not a
/// decimal point) or by a line break.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, out: &mut Vec<String>| {
        let s = current.trim();
        if !s.is_empty() {
            out.push(s.to_string());
        }
        current.clear();
    };
    for part in parts(text) {
        match part {
            Part::Math(inner) => {
                // "$CN,$ or $4.$": a comma closing the math belongs to the sentence.
                let comma = inner.trim_end().ends_with(',') && !inner.contains('\n');
                current.push_str("\\(");
                current.push_str(if comma { inner.trim_end().trim_end_matches(',') } else { inner });
                current.push_str("\\)");
                if comma {
                    current.push(',');
                }
                // Display math that ends with a period ends its sentence ("\[x=-3.\]").
                if inner.trim_end().ends_with('.') {
                    flush(&mut current, &mut out);
                }
            }
            Part::Prose(prose) => {
                let chars: Vec<char> = prose.chars().collect();
                for (i, &c) in chars.iter().enumerate() {
                    current.push(c);
                    let next = chars.get(i + 1).copied();
                    let decimal = c == '.'
                        && i > 0
                        && chars[i - 1].is_ascii_digit()
                        && next.is_some_and(|n| n.is_ascii_digit());
                    // "... collinear.)  Thus, ...": a parenthesis closed after a full stop, or
                    // one that closes a remark the sentence opened with ("(Double the
                    // horses, half the time)  Therefore, ...").
                    let closes = c == ')'
                        && (i > 0 && matches!(chars[i - 1], '.' | '!' | '?')
                            || current.trim_start().starts_with('(')
                                && current.matches('(').count() == current.matches(')').count());
                    let ends = (matches!(c, '.' | '!' | '?') && !decimal || closes)
                        && next.is_none_or(char::is_whitespace)
                        || matches!(c, '。' | '！' | '？')
                        || c == '\n';
                    if ends {
                        flush(&mut current, &mut out);
                    }
                }
            }
        }
    }
    flush(&mut current, &mut out);
    out
}

/// After a number: more of a list (", 5"), of an expression (" - 5i", " \\cdot 2") or of the
/// number itself (LaTeX's thousands separator: "5,\\!040").
static CONTINUES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:[,;]\s*[-+]?\d|,\\!\d|[-+*/×·]\s*[\w\\(]|\\)").expect("valid regex")
});

/// What joins results in a chain: commas, "and", "so".
static CHAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:\s|,|;|\band\b|\bor\b|\bso\b|\bthus\b|\bhence\b|\btherefore\b|\bthen\b|\bwe (?:compute|get|find|obtain|have)\b)*$",
    )
    .expect("valid regex")
});

/// Words that end an answer and start its justification.
static JUSTIFICATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\s*[,;]\s*\p{L}{2,}|\s+(?:since|because|as|which|so|for|when|where|if)\b)")
        .expect("valid regex")
});

/// The answer at the start of `s`: up to a justification (", as ...", " since ...") outside
/// braces and brackets, or the end; trailing period dropped.
fn answer_clause(s: &str) -> &str {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            _ => {}
        }
        if depth <= 0 && JUSTIFICATION.is_match(&s[i..]) {
            return s[..i].trim().trim_end_matches('.');
        }
    }
    s.trim().trim_end_matches('.')
}

/// `s` up to its first `,` or `;` outside braces and brackets ("\left( 3, \frac{\pi}{2}
/// \right), so ..." keeps the pair), trimmed.
fn top_level_clause(s: &str) -> &str {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            ',' | ';' if depth <= 0 => return s[..i].trim(),
            _ => {}
        }
    }
    s.trim()
}

/// `s` after its last `=` that is not inside braces or brackets.
fn after_last_equals(s: &str) -> &str {
    let mut depth = 0i32;
    let mut last = None;
    for (i, c) in s.char_indices() {
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            '=' if depth <= 0 => last = Some(i),
            _ => {}
        }
    }
    match last {
        Some(i) => &s[i + 1..],
        None => s,
    }
}

/// The modulus at the end of a congruence: `\pmod{101}`, `\pmod 6`, `(\bmod 7)`.
static PMOD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\s*(?:\\pmod\s*(?:\{[^{}]*\}|\w+)|\(\s*\\(?:bmod|mod)\s*[^()]*\)|\\(?:bmod|mod)\s*(?:\{[^{}]*\}|\w+))\s*[.,]?\s*$")
        .expect("valid regex")
});

/// A closing `\end{...}` at the end of an expression.
static END_ENVIRONMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[.,]?\s*\\end\{\w+\*?\}$").expect("valid regex"));

/// Line breaks (`\\`) and the bounds of the environments whose line breaks separate the rows of
/// one value (a matrix, cases), not lines of work.
static BREAK_OR_MATRIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\\(begin|end)\{(?:[pbBvV]?matrix|smallmatrix|cases)\}|\\\\").expect("valid regex")
});

/// The start of a matrix (or cases): its `&` and `\\` belong to the value.
static MATRIX_BEGIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\\begin\{(?:[pbBvV]?matrix|smallmatrix|cases)\}").expect("valid regex"));

/// A comment in the last column of an align row: `&\text{added 1}`, `&&(\text{by } 2)`.
static ALIGN_COMMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"&+\s*\(?\s*\\text\{[^{}]*\}[^&]*$").expect("valid regex"));

/// Closing punctuation, spacing commands and a lone backslash at the end of an expression.
static TRAILING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:\s|[.,]|\\(?:q?quad|[,;:! ])|\\$)+$").expect("valid regex"));

/// The last non-empty line of `inner`, split at the `\\` that are not inside a matrix.
fn last_line(inner: &str) -> &str {
    let mut depth = 0usize;
    let mut starts = vec![0];
    let mut ends = Vec::new();
    for found in BREAK_OR_MATRIX.captures_iter(inner) {
        let whole = found.get(0).expect("group 0");
        match found.get(1).map(|g| g.as_str()) {
            Some("begin") => depth += 1,
            Some(_) => depth = depth.saturating_sub(1),
            None if depth == 0 => {
                ends.push(whole.start());
                starts.push(whole.end());
            }
            None => {}
        }
    }
    ends.push(inner.len());
    starts.iter().zip(&ends).rev().map(|(&s, &e)| inner[s..e].trim()).find(|l| !l.is_empty()).unwrap_or("")
}

/// The result of a math expression: the right-hand side of its last line's last `=` (lines of
/// an `align` split at `\\`, alignment marks dropped; a matrix kept whole), without a closing
/// period or comma.
fn math_result(inner: &str) -> Option<String> {
    let last_line = last_line(inner);
    // A comment in an align's last column ("&=6 &\text{added 1}") is no part of the value.
    let last_line = ALIGN_COMMENT.replace(last_line, "");
    // A congruence's result is what follows its last `\equiv`, its modulus dropped.
    let last_line = PMOD.replace(&last_line, "").replace("\\equiv", "=");
    // "10x=360^\circ\implies x=36": what the last implication arrow leads to.
    let last_line = after_last_arrow(&last_line);
    let matrix = MATRIX_BEGIN.is_match(last_line);
    let mut answer = after_last_equals(last_line);
    // What is left of the last `=` (the whole line when there is none).
    let prefix = &last_line[..last_line.len().saturating_sub(answer.len() + 1)];
    let left = after_last_equals(prefix);
    // "18 &= x" (an align row), "$36 - 7 - 2 - 10 = 17 = x$", "$P = 150 = R$": the name solved
    // for is on the right, its value on the left.
    let name = answer.replace('&', "");
    let name = name.trim().trim_end_matches(['.', ',']).trim();
    let named = is_bare_name(name) || (name.len() == 1 && name.chars().all(|c| c.is_ascii_uppercase()));
    // "i + -i + i = i" simplifies to the name's own symbol: the value is on the right.
    let value_left = !matrix
        && !mentions(left, name)
        && answer.len() < last_line.len()
        && named
        && (prefix.ends_with('&') || left.len() < prefix.len())
        && !left.replace('&', "").trim().is_empty()
        && !is_bare_name(&left.replace('&', ""));
    if value_left {
        answer = left;
    }
    let mut answer = if matrix { answer.to_string() } else { answer.replace('&', "") };
    // "the circle $x^2 + y^2 = 13$", "the plane $20x + 23y + 26z - 69 = 0$": an equation in
    // the coordinates is the answer whole (its right-hand side still answers a value asked
    // for: see `equivalent`).
    if !matrix && !value_left && answer.len() < last_line.len() {
        let left = left.replace('&', "");
        if is_coordinate_equation(&left, &answer) {
            answer = format!("{} = {}", left.trim(), answer.trim());
        }
    }
    // "\frac{3}{7} \approx 0.43": the rounded value, which a question asks for when it says so.
    let answer = answer.rsplit("\\approx").next().unwrap_or("").to_string();
    // The end of an array or aligned block the expression sits in (not a matrix's own end).
    let answer = if matrix { answer.trim().into() } else { END_ENVIRONMENT.replace(answer.trim(), "") };
    // Closing punctuation and spacing ("29 \quad", "35 \, .", a `\,` cut at its comma).
    let answer = TRAILING.replace(answer.trim(), "");
    (!answer.is_empty()).then(|| answer.to_string())
}

/// An implication arrow between steps of work.
static ARROW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\\(?:Rightarrow|Longrightarrow|implies|rightarrow)\b").expect("valid regex")
});

/// `line` after its last implication arrow outside braces (`x \geq 5 \Rightarrow x = 5`,
/// `(-2,3) \rightarrow (-1,3) \rightarrow (-3/2,6)`), or all of it; not when nothing follows.
fn after_last_arrow(line: &str) -> &str {
    let top_level = |at: usize| {
        let before = &line[..at];
        before.matches('{').count() == before.matches('}').count()
    };
    match ARROW.find_iter(line).filter(|m| top_level(m.start())).last() {
        Some(m) if !line[m.end()..].trim().is_empty() => &line[m.end()..],
        _ => line,
    }
}

/// Whether `expression` uses the variable `name` (a letter, or a command such as `\theta`).
fn mentions(expression: &str, name: &str) -> bool {
    let name = name.trim();
    if name.is_empty() {
        return false;
    }
    if name.starts_with('\\') {
        return expression.contains(name);
    }
    let letters = COMMAND.replace_all(expression, " ");
    letters.split(|c: char| !c.is_alphanumeric()).any(|word| {
        word == name
            || (name.chars().count() == 1 && word.trim_start_matches(|c: char| c.is_ascii_digit()) == name)
    })
}

/// LaTeX commands (`\\frac`, `\\sqrt`), dropped to see an expression's variables.
static COMMAND: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\\[a-zA-Z]+").expect("valid regex"));

/// Whether `left = right` is an equation of a curve, surface or polynomial in `x`, `y`, `z`
/// (`4x - 5y = -50`, `\frac{x^2}{16} - \frac{y^2}{9} = 1`, `x^4 - 4x^3 + 2x - 1 = 0`): in those
/// variables only, with a coefficient or power, two of them or a right-hand side of 0.
fn is_coordinate_equation(left: &str, right: &str) -> bool {
    let left = COMMAND.replace_all(left, "");
    let letters: std::collections::BTreeSet<char> = left.chars().filter(char::is_ascii_alphabetic).collect();
    let right = END_ENVIRONMENT.replace(right.trim(), "");
    let right = TRAILING.replace(right.trim(), "");
    !letters.is_empty()
        && letters.iter().all(|c| matches!(c, 'x' | 'y' | 'z'))
        && left.chars().any(|c| c.is_ascii_digit() || c == '^')
        && (letters.len() >= 2 || right == "0")
        && !right.chars().any(|c| c.is_ascii_alphabetic())
}

/// The result of the display math that `text` opens with (`\\begin{align*}...`, `\\[...\\]`,
/// `$$...$$`), as in "our answer is \\begin{align*} 8-4 \\div 2 - 1 &= 5. \\end{align*}"; `None`
/// when it opens otherwise.
pub fn opening_display_result(text: &str) -> Option<String> {
    let text = text.trim_start();
    if !(text.starts_with("\\begin{") || text.starts_with("\\[") || text.starts_with("$$")) {
        return None;
    }
    match parts(text).first() {
        Some(Part::Math(inner)) => math_result(inner),
        _ => None,
    }
}

/// Every relation the last `n` concluding sentences state whole (each math expression's last
/// line, as [`stated_values`] picks the sentences): where the answer asked for is an equation
/// ("the equation of the plane is $5x - 7y + 11z + 4 = 0.$"), its right-hand side alone is not.
pub fn stated_relations(text: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for sentence in &concluding_sentences(text, n) {
        for part in parts(sentence) {
            if let Part::Math(inner) = part {
                let line = ALIGN_COMMENT.replace(last_line(inner), "").replace('&', "");
                let line = TRAILING.replace(END_ENVIRONMENT.replace(line.trim(), "").trim(), "").to_string();
                if line.contains('=') {
                    out.push(line);
                }
            }
        }
    }
    out
}

/// The last math of the chain that `parts` opens with (math first): "$m=3$ and $n=2$ and
/// $m-n=1$", "$a=10$, $b=7$, and $a+b=17$" end with the result asked for.
fn chain_end<'a>(parts: &[Part<'a>]) -> &'a str {
    let Some(Part::Math(first)) = parts.first() else { return "" };
    let mut last = *first;
    let mut i = 1;
    while i < parts.len() {
        match (&parts[i], parts.get(i + 1)) {
            // Display math right after display math ("$$...$$$$\Rightarrow x = 5$$") goes on.
            (Part::Math(next), _) => {
                last = next;
                i += 1;
            }
            // "$6<y<7$, which is written in interval notation as $(6,7)$": restated.
            (Part::Prose(glue), Some(Part::Math(next)))
                if CHAIN.is_match(glue) || RESTATED.is_match(glue) =>
            {
                last = next;
                i += 2;
            }
            _ => break,
        }
    }
    last
}

/// What denies the math before it.
static DENIED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\s*(?:does not|doesn't|is not|isn't|fails|cannot|can't|do not|don't)\b")
        .expect("valid regex")
});

/// Words between a result and the same result in another form.
static RESTATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*,?\s*(?:which\s+)?(?:is\s+)?(?:rounds?\s+to|simplifies\s+to|reduces\s+to|(?:written|expressed)(?:\s+in\s+[\w ]+?)?\s+as|or\s+(?:about|approximately))\s*$",
    )
    .expect("valid regex")
});

/// The answer in a stated span: the first math expression (its right-hand side), number,
/// yes/no, or a short phrase; `None` when the span holds none of these.
pub fn reduce(span: &str) -> Option<String> {
    reduce_span(span).map(|(answer, _)| answer)
}

/// [`reduce`], and whether the answer is math, a number or yes/no (not just a short phrase).
fn reduce_span(span: &str) -> Option<(String, bool)> {
    let span = CALCULATOR.replace_all(span, "");
    let span = span.trim();
    // Prose and math (`sentences` marks math as `\(...\)`, one of the delimiters `parts` knows).
    let marked: Vec<Part> =
        parts(span).into_iter().filter(|p| !matches!(p, Part::Prose(t) if t.trim().is_empty())).collect();
    let math = |inner: &str| math_result(inner).map(|answer| (answer, true));
    let first = marked.first().copied()?;
    match first {
        // "we find that $n = 18$ does not satisfy the inequality": denied, not stated.
        Part::Math(_) if matches!(marked.get(1), Some(Part::Prose(next)) if DENIED.is_match(next)) => None,
        Part::Math(_) => math(chain_end(&marked)),
        Part::Prose(text) => {
            let text = FILLER.replace(text, "");
            let text = text.trim_start();
            if text.is_empty() {
                return match marked.get(1) {
                    Some(Part::Math(_)) => math(chain_end(&marked[1..])),
                    _ => None,
                };
            }
            // A relation in the prose: what follows its last `=` is the result.
            let rhs = after_last_equals(text);
            if rhs.len() < text.len() {
                return reduce_span(rhs);
            }
            if let Some(m) = NUMBER.find(text) {
                // "90^\circ", "3\sqrt{13}", "6 - 5i", "3, 5, 7": an expression or a list that
                // starts with a number, not the number alone.
                let rest = &text[m.start() + m.as_str().trim_end().len()..];
                let glued =
                    rest.starts_with(|c: char| matches!(c, '^' | '\\' | '_' | '{') || c.is_alphanumeric());
                if glued || CONTINUES.is_match(rest) {
                    return Some((answer_clause(text).to_string(), true));
                }
                let number = m.as_str().trim().trim_end_matches([',', '.']);
                if number.chars().any(|c| c.is_ascii_digit()) {
                    return Some((number.replace('−', "-").replace(' ', ""), true));
                }
            }
            let lower = text.to_lowercase();
            for (words, answer) in [(NO, "no"), (YES, "yes")] {
                if starts_with_word(&lower, words) {
                    return Some((answer.to_string(), true));
                }
            }
            // Display math cut before its end ("the answer is \[2^2 + 2^4 = 20" when the marker's
            // span stops at the period): math all the same.
            if let Some(inner) = ["\\[", "\\(", "$$"].iter().find_map(|open| text.strip_prefix(open)) {
                return math(inner);
            }
            if text.starts_with('\\') {
                return Some((top_level_clause(text).trim_end_matches('.').to_string(), true));
            }
            // Prose with no answer of its own before math ("it follows that $a = -0.25$", "the
            // inverse of $h$ as \[h^{-1}(x)=\frac{x+2}{7}\]"): the last math states it.
            // A bare variable ("our minimum value of $k$") names the answer, not states it.
            if let Some(Part::Math(inner)) = marked.iter().skip(1).rev().find(|p| matches!(p, Part::Math(_)))
            {
                if let Some(answer) =
                    math(inner).filter(|(a, _)| a.contains(|c: char| c.is_ascii_digit() || c == '\\'))
                {
                    return Some(answer);
                }
            }
            // A short phrase ("Tuesday", "(B)"), up to a comma, a parenthesis or the end.
            let phrase = top_level_clause(text);
            let phrase = phrase.split(" (").next().unwrap_or("").trim().trim_end_matches('.');
            let words = phrase.split_whitespace().count();
            (words > 0 && words <= 3).then(|| (phrase.to_string(), false))
        }
    }
}

/// The answer a concluding sentence states: what follows its verb (or its last `=`), reduced;
/// the first verb followed by math, a number or yes/no wins over one followed by a phrase.
fn from_sentence(sentence: &str, concluding: bool) -> Option<String> {
    let sentence = CALCULATOR.replace_all(sentence, "");
    let sentence = without_condition(&sentence);
    // "Therefore, $333$ is the smallest 3-digit number ...": the subject is the result.
    // Unless the sentence goes on to conclude something else in math ("..., so $a = 10, b = 15$";
    // not "..., so it must be the closest to 67.4").
    if let Some(found) = SUPERLATIVE_SUBJECT.captures(&sentence) {
        let rest = &sentence[found.get(0).expect("group 0").end()..];
        let concludes_more = CONCLUDES.find(rest).is_some_and(|m| has_math(&rest[m.end()..]));
        match reduce(&found[1]) {
            Some(subject) if !concludes_more && !is_bare_name(&subject) => return Some(subject),
            _ => {}
        }
    }
    let sentence = without_justification(&sentence);
    let sentence = without_leading_reason(&sentence);
    // "this dilation takes $4 - 5i$ to $(-3)(4 - 5i) = -12 + 15i$": the image.
    if let Some(image) = MAPS_TO.find(sentence).and_then(|m| reduce(&sentence[m.end()..])) {
        return Some(image);
    }
    let base = sentence.as_ptr() as usize;
    let mut phrase = None;
    // The verbs in prose only (`=` inside math belongs to the expression), the last first: a
    // sentence ends with its result ("the difference is 4, so the 100th term is 402").
    let mut verbs = Vec::new();
    for part in parts(sentence) {
        let Part::Prose(text) = part else { continue };
        let start = text.as_ptr() as usize - base;
        // "less than or equal to 100" compares, it does not state; "needs this to equal 120"
        // is a purpose.
        let compares = |m: regex::Match| {
            let before = text[..m.start()].trim_end().to_lowercase();
            before.ends_with(" or")
                || before.ends_with(" than")
                || (m.as_str().to_lowercase().starts_with("equal") && before.ends_with(" to"))
                // "$49$ positive integers ... that are equal to 5 times an even integer": a
                // relative clause describes what was counted.
                || (RELATIVE.is_match(&before) && !NOT_RELATIVE.is_match(&before))
        };
        verbs.extend(VERB.find_iter(text).filter(|&m| !compares(m)).map(|m| start + m.end()));
    }
    for &at in verbs.iter().rev() {
        // "$10 - 3 - 3 = 4$ such salads are possible": "possible" says what was counted.
        let counted = || has_math(&sentence[..at]) || sentence[..at].chars().any(|c| c.is_ascii_digit());
        if POSSIBLE.is_match(&sentence[at..]) && counted() {
            continue;
        }
        match reduce_span(&sentence[at..]) {
            // "to find $x$": a name, not what was found.
            Some((answer, true)) if !is_bare_name(&answer) => return Some(answer),
            Some((answer, _)) => {
                phrase.get_or_insert(answer);
            }
            None => {}
        }
    }
    if !concluding {
        return phrase;
    }
    // No verb: the sentence's last math, what follows the lead word, or its last number
    // ("Jojo scored 54 points.").
    let results: Vec<String> = parts(sentence)
        .into_iter()
        .filter_map(|p| match p {
            Part::Math(inner) => math_result(inner),
            Part::Prose(_) => None,
        })
        .collect();
    // "the $11$ values of $x$ are distinct": the last math that is not a bare name.
    // "rotated $180^{\circ}$ about point $C$": a point or segment is named, not a result.
    let point = |a: &str| a.len() <= 2 && a.chars().all(|c| c.is_ascii_uppercase());
    match results.iter().rev().find(|a| !is_bare_name(a) && !point(a)).or(results.last()) {
        Some(answer) => Some(answer.clone()),
        None => phrase
            .or_else(|| reduce(&CONCLUSION.replace(sentence, "")))
            .or_else(|| LAST_NUMBER.find_iter(sentence).last().map(|m| m.as_str().replace(',', ""))),
    }
}

/// A transformation named with what it maps: "takes \\(z\\) to", "maps \\(A\\) onto".
static MAPS_TO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:takes|maps|sends|carries)\s+\\\(.*?\\\)\s+(?:to|onto)\s").expect("valid regex")
});

/// A sentence that opens with its reason ("Since the clock has $360^\circ$, the angle ...").
static LEADING_REASON: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\W*(?:since|because|as|given that)\b").expect("valid regex"));

/// `sentence` without a reason that opens it, up to its first comma in prose, when what
/// follows states something (math or a number): the reason's verbs ("has") state no result.
fn without_leading_reason(sentence: &str) -> &str {
    if !LEADING_REASON.is_match(sentence) {
        return sentence;
    }
    let base = sentence.as_ptr() as usize;
    for part in parts(sentence) {
        let Part::Prose(prose) = part else { continue };
        if let Some(i) = prose.find(',') {
            let rest = &sentence[prose.as_ptr() as usize - base + i + 1..];
            return if has_answer_material(rest) { rest } else { sentence };
        }
    }
    sentence
}

/// The end of the words before a verb of a relative clause ("... that are", "... that").
static RELATIVE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bthat(?:\s+(?:is|are|was|were))?$").expect("valid regex"));

/// "So, that leaves ...", "which means that is": "that" after a conjunction or a verb of
/// saying is no relative pronoun.
static NOT_RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[,;:]|\b(?:so|and|but|then|thus|hence|means|shows|find|see))\s*that(?:\s+(?:is|are|was|were))?$")
        .expect("valid regex")
});

/// A predicate of possibility, not a yes or no when a count comes before it.
static POSSIBLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*(?:not\s+)?(?:possible|impossible)\b").expect("valid regex"));

/// A closing clause that says where a result is reached ("..., and is achieved when $x=-1$",
/// "which occurs at $t = 2$"): the values in it are the condition, not the result.
static CONDITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i),?\s*(?:and\s+|which\s+)?(?:is\s+|are\s+|can\s+be\s+)?(?:achieved|attained|obtained|reached|occurs?)\s+(?:only\s+)?(?:when|at|for|if|by)\b",
    )
    .expect("valid regex")
});

/// `sentence` without a closing condition clause, when what comes before it states something
/// (math or a number): "The minimum is achieved when $x = 3$" keeps its clause, as `x` may be
/// what was asked.
fn without_condition(sentence: &str) -> std::borrow::Cow<'_, str> {
    let Some(m) = CONDITION.find_iter(sentence).find(|m| !inside_math(sentence, m.start())) else {
        return sentence.into();
    };
    let before = &sentence[..m.start()];
    // "... occurs at $x = -5/2$, in which case \[y = 81.\]": the result comes after.
    let after = &sentence[m.end()..];
    if CONCLUDES.is_match(after) || after.contains("in which case") {
        return sentence.into();
    }
    if has_math(before) || before.chars().any(|c| c.is_ascii_digit()) {
        format!("{}.", before.trim_end()).into()
    } else {
        sentence.into()
    }
}

/// A value that is the subject of a superlative: "Therefore, 19 is the smallest two-digit
/// prime that ...", "so $24$ is the smallest positive multiple of both $6$ and $8$", "We see
/// that $49$ is the first value with ...".
static SUPERLATIVE_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?i)(?:^\W*|[,;]\s*|\b(?:so|thus|hence|therefore|then|that)\s+)",
        r"(\$[^$]+\$|\\\([^()]*(?:\([^()]*\)[^()]*)*\\\)|-?\d[\d,.]*\d|\d)\s+(?:is|are|must be|would be)\s+(?:the|our)\s+",
        r"(?:smallest|largest|least|greatest|highest|lowest|biggest|first|last|only|minimum|maximum|desired)\b"
    ))
    .expect("valid regex")
});

/// A closing justification or circumstance ("..., then $x=4,$ since $10000$ ends in four
/// zeroes.", "..., when both are divided by $9$"): the values in it are not the result.
static JUSTIFYING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i),?\s+\(?(?:since|because)\s|,\s+(?:when|where)\s|\s+\(that is,").expect("valid regex")
});

/// `sentence` without a closing justification clause ([`JUSTIFYING`]) after math: one that runs
/// to the end of the sentence ("..., so since he needs this to equal 120, he must eat $6$"
/// goes on to the result).
fn without_justification(sentence: &str) -> std::borrow::Cow<'_, str> {
    let closing = JUSTIFYING.find_iter(sentence).filter(|m| {
        let prose_after =
            parts(&sentence[m.end()..]).into_iter().any(|p| matches!(p, Part::Prose(t) if t.contains(',')));
        m.start() > 0 && !inside_math(sentence, m.start()) && !prose_after && has_math(&sentence[..m.start()])
    });
    // The last such clause: "..., and since $4^{-3} = \frac{1}{64},$ we have $\frac{49}{64},$
    // since $b^0 = 1$" ends with a reason after the result.
    let closing = closing.last();
    match closing {
        Some(m) => format!("{}.", sentence[..m.start()].trim_end()).into(),
        None => sentence.into(),
    }
}

/// Whether byte `at` of `text` lies inside math: `$...$` (an odd number of unescaped dollars
/// before it), or `\\(...\\)` and `\\[...\\]` opened and not closed before it.
fn inside_math(text: &str, at: usize) -> bool {
    let before = &text[..at];
    let dollars = before.matches('$').count() - before.matches("\\$").count();
    dollars % 2 == 1
        || before.matches("\\(").count() > before.matches("\\)").count()
        || before.matches("\\[").count() > before.matches("\\]").count()
}

/// Whether `text` holds math: `$`, `\\(` or `\\[` (`sentences` writes `$...$` as `\\(...\\)`).
fn has_math(text: &str) -> bool {
    text.contains('$') || text.contains("\\(") || text.contains("\\[")
}

/// A variable or function named, not a value: `x`, `t_1`, `f(x)`.
static BARE_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z](?:_\{?\w+\}?)?(?:\([a-z]\))?$").expect("valid regex"));

/// Whether `answer` only names a variable or function ("the values of $x$").
fn is_bare_name(answer: &str) -> bool {
    BARE_NAME.is_match(answer.trim())
}

/// Asymptote drawings (`[asy] ... [/asy]`): code, no conclusion.
static ASY: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?s)\[asy\].*?\[/asy\]").expect("valid regex"));

/// Sentences that are asides after a conclusion: in parentheses, or notes, checks, remarks
/// and alternatives.
static ASIDE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^\s*(?:\(|note\b|notice that this\b|remark\b|(?:{CHECK_OPENERS})\b|recall\b|alternatively\b|as an extra\b|by the way\b|notice that we could\b|of course, we could\b|in fact\b|for example\b|to be more precise\b|to see that\b|make sure\b|another (?:way|approach|method)\b|here (?:is|are)\b|this (?:can't|cannot|can not) be simplified\b|(?:this|these|it)\s+(?:\w+\s+){{0,2}}(?:achieved|attained|possible)\s+(?:when|by|if)\b)",
    ))
    .expect("valid regex")
});

/// How a check of the result opens: an aside, and the sentences after it are the check's.
const CHECK_OPENERS: &str = r"we can check|to check|check|we may (?:check|confirm)|you can check";

/// "Equality occurs when ...": where a bound is reached, said after the bound.
static EQUALITY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*equality (?:occurs|holds)\b").expect("valid regex"));

/// A conclusion inside a sentence ("Equality occurs when $x = 2$, so the minimum is $6$").
static CONCLUDES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:so|thus|therefore|hence|giving|gives)\b").expect("valid regex"));

/// Whether `s` is an aside after a conclusion ([`ASIDE`], or where equality occurs without
/// concluding anything).
fn is_aside(s: &str) -> bool {
    (ASIDE.is_match(s) && !concludes_after_remark(s))
        || UNNEEDED.is_match(s)
        || ((EQUALITY.is_match(s) || NOTICE.is_match(s)) && !CONCLUDES.is_match(s))
}

/// Remarks that may go on to conclude.
static SOFT_ASIDE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*(?:note that|we can check|in fact)\b").expect("valid regex"));

/// How a remark concludes ("a calculator gives the answer $33.98$" does not).
static REMARK_CONCLUDES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:so|thus|therefore|hence|giving us)\b").expect("valid regex"));

/// "Note that $f(2) = 17,$ so the minimum value of $f(x)$ is $17.$", "We can check that ... can
/// take on any value from 0 to 2039190, giving us $2039191$ possible values": a remark that
/// concludes in math is a conclusion.
fn concludes_after_remark(s: &str) -> bool {
    SOFT_ASIDE.is_match(s) && REMARK_CONCLUDES.find_iter(s).any(|m| has_math(&s[m.end()..]))
}

/// "The fact that $PB=4$ was not needed.", "The graph ... is shown below:", "... show that an
/// angle of $60^\circ$ is achievable.": a remark on the question, a drawing or an example.
static UNNEEDED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:\b(?:was|is|were|are)(?:n't|\s+not)\s+(?:needed|necessary)|\bshown below\s*:?|\b(?:is|are)\s+(?:achievable|attainable))\s*[.!]?\s*$",
    )
    .expect("valid regex")
});

/// A sentence that concludes after a check ("That means ...", "Therefore, ...").
static CHECK_ENDS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^\W*(?:therefore|thus|so|hence|that means|this means|consequently|finally)\b")
        .expect("valid regex")
});

/// A check of the result: the sentences after it in its paragraph are the check's.
static CHECKING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)^\s*(?:{CHECK_OPENERS})\b")).expect("valid regex"));

/// "Notice that $f(g(4)) = 4$ and $g(f(3)) = 3$.": a remark, when it concludes nothing.
static NOTICE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)^\s*notice\b").expect("valid regex"));

/// Whether `s` might state an answer: it has a digit, math, or says yes or no.
fn has_answer_material(s: &str) -> bool {
    let lower = s.trim_start_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    s.chars().any(|c| c.is_ascii_digit())
        || s.contains('\\')
        || starts_with_word(&lower, NO)
        || starts_with_word(&lower, YES)
        || lower.contains("not possible")
        || lower.contains("impossible")
}

/// The last `n` sentences of `text` that might conclude it, the last first: with answer material
/// and not an aside ("(Note that ...)", "To check, ..."), calculator annotations and drawings
/// left out.
fn concluding_sentences(text: &str, n: usize) -> Vec<String> {
    let text = CALCULATOR.replace_all(text, "");
    // A drawing ends the sentence before it ("... has this property: [asy] ... [/asy] Hence, ...").
    let text = ASY.replace_all(&text, "\n");
    let marked = marked_sentences(&text);
    let with_material: Vec<&(String, bool)> =
        marked.iter().rev().filter(|(s, _)| has_answer_material(s)).collect();
    let concluding: Vec<String> =
        with_material.iter().filter(|(_, aside)| !aside).take(n).map(|(s, _)| s.clone()).collect();
    // A solution that is all remarks ("Note that $91\times 91 = (90 + 1)^2 = 8281$."): its
    // last remark concludes it.
    if concluding.is_empty() {
        with_material.into_iter().take(n).map(|(s, _)| s.clone()).collect()
    } else {
        concluding
    }
}

/// A blank line: the end of a paragraph.
static BLANK_LINE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\n[ \t]*\n").expect("valid regex"));

/// The paragraphs of `text`, split at blank lines outside math.
fn paragraphs(text: &str) -> Vec<&str> {
    let base = text.as_ptr() as usize;
    let mut cuts = vec![0];
    for part in parts(text) {
        if let Part::Prose(prose) = part {
            let start = prose.as_ptr() as usize - base;
            cuts.extend(BLANK_LINE.find_iter(prose).map(|m| start + m.end()));
        }
    }
    cuts.push(text.len());
    cuts.windows(2).map(|w| &text[w[0]..w[1]]).filter(|p| !p.trim().is_empty()).collect()
}

/// How a paragraph of remarks opens: another solution, a note, a list shown. ("Note that ...",
/// "Notice that ..." and "Equality occurs ..." paragraphs often go on to conclude.)
static PARAGRAPH_REMARK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?:alternatively\b|note:|notice that we could\b|another (?:way|approach|method)\b|by the way\b|of course, we could\b|to see that\b|make sure\b|here (?:is|are)\b)",
    )
    .expect("valid regex")
});

/// The sentences of `text` in order, each with whether it is an aside: an aside sentence
/// ([`is_aside`]), the rest of a parenthesis an aside opened ("(Alternatively, we could notice
/// ... . Therefore ... .)"), a paragraph that opens with an aside ("Alternatively, since ...",
/// "Note: To derive ..."), and every paragraph after one that says only "OR" (another solution).
fn marked_sentences(text: &str) -> Vec<(String, bool)> {
    let mut marked = Vec::new();
    let mut alternative = false;
    for paragraph in paragraphs(text) {
        if paragraph.trim().eq_ignore_ascii_case("or") {
            alternative = true;
            continue;
        }
        let sentences = sentences(paragraph);
        let remark = alternative || sentences.first().is_some_and(|s| PARAGRAPH_REMARK.is_match(s));
        // Parentheses an aside opened and has not closed yet.
        let mut open = 0usize;
        let mut checking = false;
        for sentence in sentences {
            // "(... at $x = 7.$)  Hence, ...": the math's period ended the aside's sentence, and
            // its parenthesis closes at the start of the next.
            if open > 0 && sentence.trim_start().starts_with(')') {
                open -= 1;
            }
            // A check goes on until a sentence concludes.
            if CHECK_ENDS.is_match(&sentence) {
                checking = false;
            }
            let aside = remark || checking || open > 0 || is_aside(&sentence);
            checking |= aside && CHECKING.is_match(&sentence);
            if open > 0 || sentence.trim_start().starts_with('(') {
                let body = sentence.trim_start().trim_start_matches(')');
                open = (open + body.matches('(').count()).saturating_sub(body.matches(')').count());
            }
            marked.push((sentence, aside));
        }
    }
    marked
}

/// The final answer a response states in prose: its last sentence with a number, math or a
/// yes/no, read as a conclusion; else a sentence before it that opens like one ("Therefore, ...").
pub fn concluding_answer(text: &str) -> Option<String> {
    let concluding = concluding_sentences(text, 3);
    let mut last = concluding.iter();
    let final_sentence = last.next()?;
    match from_sentence(final_sentence, true) {
        // "Checking, this value of $x$ works": a name, so the sentence before states the value.
        Some(answer) if is_bare_name(&answer) => {
            let before = last.next().and_then(|s| from_sentence(s, true));
            Some(before.filter(|b| !is_bare_name(b)).unwrap_or(answer))
        }
        Some(answer) => Some(answer),
        None => last.filter(|s| CONCLUSION.is_match(s)).find_map(|s| from_sentence(s, true)),
    }
}

/// Every value the last `n` concluding sentences state (as [`concluding_answer`] picks them:
/// answer material, no asides): the result of each math expression and each number in prose.
/// When the answer read from prose is not the reference but one of these is, the rules cannot
/// tell which the response meant ("Thus, $48$ flocks are equivalent to $12$ flicks").
pub fn stated_values(text: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for sentence in &concluding_sentences(text, n) {
        for part in parts(sentence) {
            match part {
                Part::Math(inner) => out.extend(math_result(inner)),
                Part::Prose(prose) => {
                    out.extend(LAST_NUMBER.find_iter(prose).map(|m| m.as_str().replace(',', "")))
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concluding_sentences_of_real_solutions() {
        for (text, answer) in [
            ("We count them all. Therefore, there are 239 such strings of length 6.", "239"),
            (
                "Therefore, the probability it doesn't rain is $1 - \\frac{1}{11} = \\frac{10}{11}$.",
                "\\frac{10}{11}",
            ),
            ("She makes 9 * 2 = $<<9*2=18>>18 every day at the farmer’s market.", "$18"),
            ("So he has 10 + 5 = 15 apples.", "15"),
            ("Thus the answer is 900, as there are 900 values of n in the range.", "900"),
            ("No, it is not possible to tile the board.", "no"),
            ("The total is 3.5 hours. I hope this helps!", "3.5"),
            ("Also ist die Antwort 12.", "12"),
            ("Donc, $x = 7$.", "7"),
            ("所以答案是 42。", "42"),
            ("Hence the pairs are $(2, 3)$ and more.", "(2, 3)"),
        ] {
            assert_eq!(concluding_answer(text).as_deref(), Some(answer), "{text}");
        }
        assert_eq!(concluding_answer("I am not sure how to solve this."), None);
    }

    #[test]
    fn failure_classes_of_real_math_solutions() {
        // Each from a MATH test solution the extraction once got wrong.
        for (text, answer) in [
            // The last line of an align block.
            ("Solving, \\begin{align*}\n5x &= 9 \\\\\nx &= \\frac{9}{5}.\n\\end{align*}", "\\frac{9}{5}"),
            // An escaped dollar is currency, not math.
            ("So, her investment is now worth $\\$10,\\!000 + \\$5,\\!000 = \\$15,\\!000$.", "\\$15,\\!000"),
            // A chain of results ends with the one asked for.
            ("Thus, $m=3$ and $n=2$ and $m-n=1$.", "1"),
            ("So, we get $a=10$, $b=7$, and $a+b=17$.", "17"),
            // A display equation ending with a period ends its sentence.
            ("That gives \\[y+2=7x\\]or \\[x=\\frac{y+2}{7}.\\]Writing this in terms of $x$ gives the inverse as \\[h^{-1}(x)=\\frac{x+2}{7}.\\]", "\\frac{x+2}{7}"),
            // An aside after the conclusion.
            ("So the mean is $\\frac{1}{2}(1+250) = 125.5$. (Note that the sum is $31375$.)", "125.5"),
            // A drawing after the conclusion.
            ("The answer is $4$.\n[asy]\ndraw((0,0)--(1,1));\nlabel(\"$B$\",(1,1));\n[/asy]", "4"),
            // "or about" restates the result.
            ("The fair price is $\\frac{805}{52}$, or about $15.48$.", "15.48"),
            // Restated as rounded, simplified, or in another notation: the restatement
            // (MATH test solutions).
            ("so the total area is $32\\pi-18\\pi+8\\pi-2\\pi=20\\pi$ sq cm, which rounds to $62.8$ sq cm.", "62.8"),
            ("Thus \\[ E = \\frac{1}{4}(7E_1) = {\\$\\frac{805}{52}}, \\]or about $\\$15.48$, which is the fair price to pay to play the game.", "\\$15.48"),
            ("Therefore, our final answer is $6<y<7$, which is written in interval notation as $(6,7)$.", "(6,7)"),
            ("Multiplying both sides by 3 yields $6+x+22 = 3x$, which simplifies to $28 = 2x$ or $x=14$.", "14"),
            ("This simplifies to $\\frac{6}{11}$, when both the numerator and the denominator are divided by $9$.", "\\frac{6}{11}"),
            // An equation in the coordinates is the answer whole.
            ("Simplifying this gives $5y-50=4x$, so in the form requested, $4x-5y=-50$.", "4x-5y = -50"),
            ("This simplifies to \\[9x^2 - 16y^2 = 144,\\]so \\[\\frac{x^2}{16} - \\frac{y^2}{9} = 1.\\]Thus, the curve is a hyperbola.", "\\frac{x^2}{16} - \\frac{y^2}{9} = 1"),
            ("This simplifies to $11x + 6y + 5z + 86 = 0.$", "11x + 6y + 5z + 86 = 0"),
            // A solution that is one remark.
            ("Note that $91\\times 91 = (90 + 1)^2 = 90^2 + 2\\cdot 90 + 1 = 8100 + 180 + 1 = 8281$.", "8281"),
            // The value a superlative's subject is.
            ("Therefore, 19 is the smallest two-digit prime that is not an emirp.", "19"),
            ("$24$ is evenly divisible by $8$ (as $3 \\cdot 8 = 24$), so $24$ is the smallest positive multiple of both $6$ and $8$.", "24"),
            ("We see that $49$ is the first value with remainder $4$ when divided by $5$.", "49"),
            ("Thus, $-6 \\cdot 5 = -30$ is the smallest multiple of $5$ that is greater than $-32$.", "-30"),
            // Verbs: "yielding", "leads to", "equal", "should get", "making for".
            ("Thus, the area of the quilt is $2 \\times 3 = 6$ times larger, making for an area of $12$ square feet.", "12"),
            ("Thus $a=2$ and $b=21$, yielding $a+b=23$.", "23"),
            ("Thus, $15 \\theta = 60^\\circ$ or $15 \\theta = 300^\\circ,$ which leads to the solutions $4^\\circ, 20^\\circ.$", "4^\\circ, 20^\\circ"),
            ("There are 7 days in one week, so 609 days equal $609/7=87$ weeks.", "87"),
            ("so the group should get $\\frac{145}{488}\\cdot360\\approx107$ degrees.", "107"),
            // The value before the name solved for.
            ("Then, we simply subtract the other three numbers from 36: $36 - 7 - 2 - 10 = 17 = x$.", "17"),
            ("Thus $P = 150 = R$, and we are done.", "150"),
            // A closing justification gives reasons.
            ("If $10^x = 10000,$ then $x=4,$ since $10000$ ends in four zeroes.", "4"),
            ("Therefore, $f(f(2)) = f(f^{-1}(2))$, which is $2$ (since $f(f^{-1}(x))=x$ by definition).", "2"),
            ("So, the answer evaluates to $\\frac{1}{2^5} = \\frac{1}{32}$.", "\\frac{1}{32}"),
            // ... but not a relation that states a value of something asked for.
            ("Adding them, $a + b + c = 6$.", "6"),
            ("So $x + y = 10$.", "10"),
            // The verb's object is a bare variable: an earlier verb states the value.
            ("The value at this point is $y = (30)(-5) = -150$, which is also our minimum value of $k$.", "-150"),
            // A congruence: the last residue, the modulus dropped.
            ("Then $n \\equiv 5 \\pmod{7}$, so $5n \\equiv 5 \\cdot 5 \\equiv 25 \\equiv 4 \\pmod{7}$.", "4"),
            // "must be", "solves to", "it follows that".
            ("It follows that the square of the radius is 25, so the radius must be $5$.", "5"),
            ("Because $3^{6k}=3^6$, we have $6k=6$, which, dividing by 6, solves to $k=1$.", "1"),
            // A matrix's rows are one value, not lines of work.
            (
                "Thus, $\\mathbf{M} = \\begin{pmatrix} 1 & 2 \\\\ -3 & -5 \\end{pmatrix}.$",
                "\\begin{pmatrix} 1 & 2 \\\\ -3 & -5 \\end{pmatrix}",
            ),
            // A closing spacing command is not part of the answer.
            ("Therefore, we have \\begin{align*}\na &= 29 \\quad\n\\end{align*}", "29"),
            // A bare variable names the answer: the number before it, or the sentence before.
            ("Because it is decreasing for $0\\le k \\le 10$, the $11$ values of $x$ are distinct.", "11"),
            (
                "Then \\begin{align*}\n3x &= 9 \\\\\nx &= 3.\n\\end{align*}Testing, we find that this value of $x$ does indeed satisfy the equation.",
                "3",
            ),
            // The value solved for on the left of an align row.
            ("Now: \\begin{align*}\n2x &= 4x - 36, \\\\\n36 &= 2x, \\\\\n18 &= x.\n\\end{align*}", "18"),
            // A comment in an align's last column.
            ("\\begin{align*}\n&=f(5)&\\text{half}\\\\\n&=6&\\text{added 1}.\n\\end{align*}", "6"),
            // "from which we find", "showing that", "meaning" state the result.
            ("Since there are 12 slices, we have $(5-n) + (8-n) + n = 12$, from which we find that $n=1$.", "1"),
            ("Then we get $2\\cdot4^x=32$, showing that $4^x=16$ and $x=2$.", "2"),
            ("Plugging that in, we have $a^2 = 18$, meaning $a = 3\\sqrt{2}$", "3\\sqrt{2}"),
            // "less than or equal to" compares; it does not state.
            ("Therefore, there are $100-20 = 80$ positive integers less than or equal to 100 that have a prime factor greater than 4.", "80"),
            // A note after the conclusion.
            // Where a result is reached is its condition, not the result.
            ("Since $(x+4)^2 =0$ when $x=-4$, this maximum of $28$ is achieved when $x= -4$.", "28"),
            ("The minimum value of the entire expression is $3$, and is achieved when $x=-1$ and $y=2$.", "3"),
            ("The value $y=4$ is obtained when $x=3$. (Note: this is completing the square.)", "4"),
            (
                "The smallest possible value is $\\frac{3}{2},$ which is achieved when $\\cot \\theta = \\frac{4}{3}.$",
                "\\frac{3}{2}",
            ),
            ("The minimum is achieved when $x = 3$.", "3"),
            ("The maximum of $y$ occurs at $x = -5/2$, in which case \\[y = 4 \\cdot 9 = 81.\\]", "81"),
            // A parenthesis closed after a full stop ends the aside's sentence.
            ("Then $z = \\frac{18}{5}.$  (Note that this is the collinear case.)  Thus, the maximum value we seek is $12.$", "12"),
            // "Equality occurs when ..." after the result is a remark.
            ("So the minimum value is $\\frac{25}{2}$.  Equality occurs when $a = b = \\frac{1}{2}.$", "\\frac{25}{2}"),
            ("Equality occurs when $x = 2$, so the minimum value is $6$.", "6"),
            ("Equality occurs when $a = b = c = 6,$ so the smallest possible surface area is $216.$", "216"),
            ("Equality occurs when $x = 1$ and $y = \\frac{1}{2},$ giving us a maximum value of $\\frac{1}{4}.$", "\\frac{1}{4}"),
            // The simplified form is the name's own symbol, not a name solved for.
            ("So, adding these three results gives $i^5 + i^{-25} + i^{45} = i+-i+i = i$.", "i"),
            // Display math right after display math; implication arrows lead to the result.
            (
                "By the Binomial theorem, this term is $$\\binom52 (10x^3)^2\\left(-\\frac{1}{2x^2}\\right)^3=10\\cdot100\\cdot-\\frac{1}{8}\\cdot x^6\\cdot\\frac{1}{x^6}$$$$\\Rightarrow \\frac{1000}{-8}=-125$$",
                "-125",
            ),
            ("Summing these measures and setting the result equal to $360$ degrees, we find $10x=360^\\circ\\implies x=36$ degrees.", "36"),
            ("We apply these to the point $(-2,3)$ to get $(-2,3)\\rightarrow (-1,3) \\rightarrow (-3/2,3) \\rightarrow (-3/2,6)$.", "(-3/2,6)"),
            // A relative clause describes what was counted; "possible" after a count is no yes.
            ("So there are a total of $49$ positive integers less than 500 that are equal to 5 times an even integer.", "49"),
            ("Thus, $10 - 3 - 3 = 4$ such salads are possible.", "4"),
            ("No, it is not possible.", "no"),
            // Remarks after the conclusion; a chain of results through "we compute".
            ("Therefore, $f(g(4)) -g(f(3)) = 4-3 = 1$.\n\n\nNotice that $f(g(4)) = 4$ and $g(f(3)) = 3$.  Is that a coincidence?", "1"),
            ("Solving for $x$ gives an answer of $10$ cups.\n\nBy the way, $\\frac{2}{3}$ cup of chips for a cookie? Wowzers.", "10"),
            ("Thus $y = 110$, and we compute $$x - y = 1001 - 110 = 891$$", "891"),
            // Whole paragraphs and parentheses of remarks after the conclusion.
            ("Thus, the store should charge $16$ dollars for the book.\n\nAlternatively, since the roots of $p(128-4p)$ are 0 and 32, symmetry tells us that the extreme value will be at $p=16$.  Since the coefficient on $p^2$ is negative, this is a maximum.", "16"),
            ("If $b=4$, then $4a=16(a-3)$, so $a=4$, which is a positive integer.\n\nOR\n\nWe try $a=4$ and get that $4\\cdot4=16$, which is a perfect square.", "4"),
            ("Thus, the area of $ABCD$ is $$15 -1-1-2-2=9.$$(Alternatively, we could notice that $ABCD$ is a parallelogram.  Therefore, if we draw the diagonal $AC$, the area is split into two equal pieces.  Dropping a perpendicular from $C$ produces a trapezoid from which two triangles are removed to find half of the area of $ABCD$.)", "9"),
            ("The area of a square whose diagonal measures 2 units is $2^2/2=2$ square units.\n\nNote: To derive the area formula $d^2/2$, divide the square into two triangles.  The side length of the square is $d/\\sqrt{2}$ and its area $(d/\\sqrt{2})^2=d^2/2$.", "2"),
            ("By the Pythagorean Theorem $PD = \\sqrt{3^2+5^2}=\\sqrt{34}$. The fact that $PB=4$ was not needed.", "\\sqrt{34}"),
            ("Combining our cases, the sum of the values of $x$ that satisfy the equation is $6$.\n\nNotice that we could have solved this equation even faster by noticing that $|3-x| = |x-3|$, so the equation simplifies to $|x-3| = 2$, so $x$ is 5 or 1.", "6"),
            // Verbs: "we find that", "we see that", "leaving"; a comma closing math before "or".
            ("Setting this equal to 248, we find that Lara read $P=\\frac{16}{31}\\cdot248=128$ pages.", "128"),
            ("Multiply both sides by $2(5+k)$ to get $10 - 2k = -5 -k$, and we see that $k = 15$.", "15"),
            ("There are 44 positive integers less than 2008 with an odd number of divisors, leaving $2007-44=1963$ positive integers with an even number of divisors.", "1963"),
            ("Therefore, $CP$ is $\\frac{2}{3}$ of $CN,$ or $4.$", "4"),
            // Math wrapped across lines is math; a reason that opens the sentence states nothing.
            ("So, $45\\div\n8=5.625,$ and $6$ sticks are needed.", "6"),
            ("Since the clock has $360^\\circ$, the angle decreases by $\\frac{360}{6}=60^\\circ$.", "60^\\circ"),
            // Where a value is reached by an example is its condition; a point is no result.
            ("We can see that a degree of $5$ can be achieved by taking $f(x) = x^2 + x$ and $g(x) = x^3$, for example.", "5"),
            ("Therefore, the image rotated $360^{\\circ}/2 = 180^{\\circ}$ about point $C$.", "180^{\\circ}"),
            // A remark that concludes in math; verbs "from which", "leading to", "comes out to",
            // "produce".
            ("Therefore, $f(x) \\ge 17.$\n\nNote that $f(2) = 17,$ so the minimum value of $f(x)$ is $17.$", "17"),
            ("We can check that $c_1 + 2c_2$ can take on any value from 0 to $2039190,$ giving us $2039191$ possible values of $S.$", "2039191"),
            ("We have $28=x^3-y^3=(x-y)((x-y)^2+3xy)=4\\cdot (16+3xy)$, from which $xy=-3$.", "-3"),
            ("Thus, we can take $n$ as any of the 12 divisors of 12, leading to $12$ pairs $(a,b).$", "12"),
            ("The given sum equals \\[\\text{sgn}(-10) + \\dots + \\text{sgn}(20),\\]which comes out to $10(-1) + 1(0) + 20(1) = 10.$", "10"),
            // Checks, examples, "in fact" and "of course" remarks; a closing "where" clause; a
            // restatement in parentheses; `\mod`.
            ("Therefore, $17^{-1}\\equiv 44\\pmod{83}$.\n\nWe may check our answer: $17\\cdot 44 = 748 \\equiv 1\\pmod{83}$, so our answer is correct.", "44"),
            ("Thus, the greatest number of factors is 6 factors. Of course, we could have solved this problem by finding the factors of each integer less than 20, but our approach is more efficient.", "6"),
            ("Therefore, the largest possible value is $102$. For example, this is possible when $n=34 \\Rightarrow m=867$.", "102"),
            ("So the maximum total number of spins is $4$. These would be achieved by spinning 20, 10, 2, 1.", "4"),
            ("The smallest desired positive integer is then $n = 41$.\n\nIn fact, for all integers $n$ from $1$ through $40$, $p(n)$ is a prime.", "41"),
            ("There are $5$ ordered pairs for which this is possible, where $A$ can range from $1$ to $5$ and $B$ is $6-A$.", "5"),
            ("Writing this in base $62$, we obtain $144$ (that is, $144_{62}$).", "144"),
            ("Finally, $ij=5\\cdot 5=25\\equiv 1\\mod 6.$", "1"),
            ("There are a total of 2 + 8 + 6 = 16 millimeters of glue sticks that are not used.", "16"),
            ("These include two more multiples of $25$ ($25$ and $75$; we don't count $50$ because we already counted it). So, that leaves $99-9-2=88$ integers whose greatest common divisor with $100$ has a single digit.", "88"),
            ("For example, the polynomial $p(x) = x^5 + 5$ has this property:\n[asy]\nlabel(\"$p$\",(2.55,1));\n[/asy] Hence, the least possible degree of $p$ is $5$.", "5"),
            ("Thus, this dilation takes $4 - 5i$ to $(-3)(4 - 5i) = -12 + 15i.$", "-12 + 15i"),
            // Remarks that conclude or do not; a paragraph that opens with "Note that" or
            // "Equality occurs" can conclude; a check ends where a conclusion starts.
            ("The approximate cost is $18+7+9=34$ dollars, which is answer choice $\\text{C}.$\n\nNote that a calculator gives the answer $33.98$ for the actual cost, which confirms that C is the closest.", "\\text{C}"),
            ("So $a^2 + 2b^2 + c^2 \\ge \\frac{2}{5}.$\n\nEquality occurs when $a + b + c = 1.$  We can solve to get $a = \\frac{2}{5},$ so the minimum value is $\\frac{2}{5}.$", "\\frac{2}{5}"),
            ("Note that $1\\cdot 2\\cdot 3\\cdot 4 = 24 \\equiv 1\\pmod{23}$. So, we have $7! \\equiv 3 \\pmod{23}$. The remainder is $3$.", "3"),
            ("We can check that 2008 is a multiple of 8. That means 2010 has a remainder of 2 when divided by 8. The letter in the $2010$th position will be the same as the letter in the second position, which is $A$.", "A"),
            ("We can check that this function works.  Therefore, $n = 1$ and $s = \\frac{3}{2},$ so $n \\times s = \\frac{3}{2}.$", "\\frac{3}{2}"),
            ("In fact, this equality does hold, so the smallest possible value of $t$ is confirmed to be $18$.", "18"),
            ("The graph has a hole at $x = 7$ as long as there is a factor of $x - 7$.  (If there were more than five, then there would be a vertical asymptote at $x = 7.$)  Hence, the possible values of $n$ are 1, 2, 3, 4, 5, for a total of $5$ possible values.", "5"),
            ("We find that $n = 18$ does not satisfy the inequality, but $n = 19$ does.", "19"),
            ("Then $8r = 12,$ and so $r = \\tfrac{3}{2}.$", "\\tfrac{3}{2}"),
            ("The larger number is $20$, which makes the smaller number -5. We can check that our answer is correct by plugging the values into the problem. We get $-5+20=15$ and $4(-5)=2(20)-60$, which result in $15=15$.", "20"),
            ("From the original rate, 12 horses will eat 12 bales of hay in 6 hours. (Double the number of horses, half the time)  Therefore, 12 horses will eat 36 bales of hay in $18\\text{ hours}$. (Triple the amount of hay, triple the time)", "18\\text{ hours}"),
            ("Therefore, the graph of $y = \\cos x + \\cos 2x$ repeats with period $2 \\pi.$\n\nThe graph of $y = \\cos x + \\cos 2x$ is shown below:", "2 \\pi"),
            ("So, there are $30$ numbers in the list.\n\nHere is a list of those palindromes: $$1221, 1551, 1881, 2112.$$", "30"),
            ("So, our two integers are 16 and 18, with the greater integer being $18$.", "18"),
            ("Since 15 miles per hour is 1/4 mile per minute, Javier travels $(5280)(1/4) = 1320$ feet in one minute.", "1320"),
            ("These produce $6$ different solutions $(x,y,z),$ via the substitution $x = a,$ $y = \\frac{1}{2} b.$", "6"),
            ("Hence, the degree of $p(x)$ is $0.$\n\nYou can check manually that\n\\[p(x) = \\frac{(x - b)(x - c)}{(a - b)(a - c)}\\]simplifies to 1.", "0"),
            ("Thus, $(2^9)^2 - 2 \\equiv 2 \\pmod{17}$.\n\nNotice that this problem implies that $\\left(a^{2^{-1}}\\right)^2 \\not\\equiv a \\pmod{p}$ in general.", "2"),
        ] {
            assert_eq!(concluding_answer(text).as_deref(), Some(answer), "{text}");
        }
    }

    #[test]
    fn what_follows_an_answer_marker() {
        for (text, answer) in [
            // LaTeX's thousands separator is part of the number.
            ("Hence there are $\\frac{18}{2} = 9$ distinct diagonals in a convex hexagon.", "9"),
            ("So the answer is $7\\cdot6\\cdot5\\cdot 4\\cdot 3\\cdot2\\cdot 1=5,\\!040$.", "5,\\!040"),
            ("Therefore, our answer is $9 \\cdot 8 \\cdot 7 \\cdots 1 = 9! = 362,\\!880.$", "362,\\!880"),
            // A display block after the marker: its result, not its first line.
            ("We find that our answer is \\begin{align*}\n8-4 \\div 2 - 1 &= 8-2-1 \\\\\n&= 5.\n\\end{align*}", "5"),
            ("We add them to get our answer: \\begin{align*}\n\\frac{22}{45} + \\frac{37}{99} &= \\frac{242}{495} + \\frac{185}{495} = \\frac{427}{495}.\n\\end{align*}", "\\frac{427}{495}"),
            ("The desired answer is \\[2^{10} - 56 = 968.\\]", "968"),
            // Prose, then math that states the result.
            ("Our final answer is the product of $120$ and $24$, which is $2880$.", "2880"),
            // "the answer is" takes its span up to the period, inside the display.
            ("For each $k$ there are $2^k$ values, so the answer is \\[2^2 + 2^4 + 2^6 + 2^8 = 340.\\]", "340"),
            // A clause about some answer states none: the conclusion does.
            (
                "Case 2. This happens when the answer IS a multiple of 3 but is NOT a multiple of 4.\n\nSo our final number of correct answers is $40 + 2 = 42$.",
                "42",
            ),
        ] {
            assert_eq!(crate::answer::final_answer(text).map(|a| a.text).as_deref(), Some(answer), "{text}");
        }
    }

    #[test]
    fn spans_reduce_to_their_answer() {
        assert_eq!(reduce("900 (i.e., all values)").as_deref(), Some("900"));
        assert_eq!(reduce("$1,000 per month").as_deref(), Some("$1,000"));
        assert_eq!(reduce("$400 000 - $282 000 = $118 000.").as_deref(), Some("$118000"));
        assert_eq!(concluding_answer("He scored 3 goals.\nJojo scored 54 points.").as_deref(), Some("54"));
        assert_eq!(reduce("\\(x = 4\\) since it is even").as_deref(), Some("4"));
        assert_eq!(reduce("Tuesday").as_deref(), Some("Tuesday"));
        for (span, answer) in [
            ("probably 90^\\circ.", "90^\\circ"),
            ("3\\sqrt{13}, since", "3\\sqrt{13}"),
            ("6 - 5i.", "6 - 5i"),
            ("3, 5, 7.", "3, 5, 7"),
            ("1,-2", "1,-2"),
            ("12 cm long", "12"),
        ] {
            assert_eq!(reduce(span).as_deref(), Some(answer), "{span}");
        }
        assert_eq!(
            reduce("probably \\left( 3, \\frac{\\pi}{2} \\right), I think").as_deref(),
            Some("\\left( 3, \\frac{\\pi}{2} \\right)")
        );
        assert_eq!(reduce("the number of distinct ways to arrange these books"), None);
    }
}
