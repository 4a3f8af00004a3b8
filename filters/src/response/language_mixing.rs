//! Language mixing in a response: prose sentences in a language other than the query's, found
//! with lingua sentence by sentence, after code, math and quoted material are set aside (they
//! are not prose in any language); and letters of a script other than the query's.

use std::sync::LazyLock;

use lingua::Language;
use regex::Regex;

use crate::language_id::{groups, LinguaDetector};
use unicode_segmentation::UnicodeSegmentation;

/// Code blocks, inline code, display and inline math, quotations, quoted lines.
static NOT_PROSE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?s)```.*?```|`[^`\n]*`|\[asy\].*?\[/asy\]",
        r"|\$\$.*?\$\$|\\\[.*?\\\]|\\\(.*?\\\)|\$[^$\n]*\$",
        r#"|"[^"\n]*"|“[^”\n]*”|«[^»\n]*»|„[^“\n]*“|「[^」\n]*」"#,
        r"|(?m:^\s*>.*$)",
        r"|<think>|</think>",
    ))
    .expect("valid regex")
});

/// Three words in a row: prose, not math, even between dollar signs (an unpaired `$` in
/// "costs $4. Then we add ... is $5" would otherwise hide the sentences between them).
static WORDS_IN_A_ROW: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\p{L}{2,}\s+\p{L}{2,}\s+\p{L}{2,}").expect("valid regex"));

/// Names: three or more capitalized words in a row or in a list ("Paco Cardenal Amelia",
/// "Bagnolo, Vignola, Rontagnano"). Names are not language: a list of Italian villages in a
/// Dutch sentence reads as Italian. (Two are left: "the Kerrisdale Keynotes" is English.)
static NAME_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\p{Lu}[\p{L}'’]*(?:[ ,.\-]+\p{Lu}[\p{L}'’]*){2,}").expect("valid regex"));

/// The response's prose: what is left once code, math and quotations are blanked out.
pub fn prose(text: &str) -> String {
    let text = text.replace("\\$", " ");
    NOT_PROSE
        .replace_all(&text, |c: &regex::Captures| {
            let m = &c[0];
            let inline_math = m.starts_with('$') && !m.starts_with("$$");
            if inline_math && WORDS_IN_A_ROW.is_match(m) {
                m.replace('$', " ")
            } else {
                " ".to_string()
            }
        })
        .into_owned()
}

/// What a response's prose is written in, measured against the query's language.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixing {
    /// Letters in sentences confidently detected as another language, over all letters in
    /// sentences long enough to judge.
    pub foreign_fraction: f64,
    /// The first such sentence, to show in the reason.
    pub example: Option<String>,
}

/// Letters of `s`.
fn letters(s: &str) -> usize {
    s.chars().filter(|c| c.is_alphabetic()).count()
}

/// Measures sentences of `response` with at least `min_letters` letters, names set aside:
/// those whose most likely language other than `expected` has `min_confidence` over all
/// languages, or (with 50 letters or more; English, the usual intruder, with `min_letters`)
/// holds `min_confidence` of the evidence shared between the two and 0.5 over all (relative
/// evidence: over 75 languages a clear English sentence in a German answer often gets under
/// 0.9, while against German alone it gets nearly all). Near twins of `expected` (Danish and
/// Bokmål, Czech and Slovak, Spanish and Portuguese) need 0.97 of the relative evidence;
/// members of `expected`'s language group (Croatian, Bosnian, Serbian; ...) are `expected`.
pub fn measure(
    detector: &LinguaDetector,
    expected: Language,
    response: &str,
    min_letters: usize,
    min_confidence: f64,
) -> Mixing {
    let prose = prose(response);
    let mut total = 0;
    let mut foreign = 0;
    let mut example = None;
    for sentence in prose.split_sentence_bounds() {
        let words = NAME_RUN.replace_all(sentence, " ");
        let n = letters(&words);
        if n < min_letters {
            continue;
        }
        total += n;
        let values = detector.confidence_values(&words);
        // Members of the answer's language group (Croatian, Bosnian, Serbian; Bokmål, Nynorsk;
        // Malay, Indonesian) are its language here: a Serbian sentence in Latin letters in a
        // Croatian answer is no mixing (one in Cyrillic is, by script).
        let own_language = |l: Language| l == expected || one_language(expected, l);
        let own: f64 = values.iter().filter(|(l, _)| own_language(*l)).map(|(_, c)| c).sum();
        let Some(&(language, other)) = values.iter().find(|(l, _)| !own_language(*l)) else { continue };
        // A near twin of the answer's language needs near-certainty: sentences of one are often
        // read as the other ("Kven som er dei heldige vinnarane" is Nynorsk in Bokmål text).
        let needed = if near_twins(expected, language) { NEAR_TWIN_CONFIDENCE } else { min_confidence };
        // And the other language must be the likeliest of all by a fair margin: on a short
        // sentence of math prose ("Distribute the factor of and simplify to obtain") the
        // evidence is spread thin, and a thin lead is noise. English, the intruder of most
        // answers, is trusted on shorter sentences.
        let min_letters_relative =
            if language == Language::English { min_letters } else { RELATIVE_MIN_LETTERS };
        let relative =
            n >= min_letters_relative && other >= MIN_OTHER_CONFIDENCE && other / (own + other) >= needed;
        let absolute = other >= min_confidence && !near_twins(expected, language);
        if relative || absolute {
            foreign += n;
            example.get_or_insert_with(|| sentence.trim().to_string());
        }
    }
    let foreign_fraction = if total == 0 { 0.0 } else { foreign as f64 / total as f64 };
    Mixing { foreign_fraction, example }
}

/// Confidence (over all languages) the other language needs at least.
const MIN_OTHER_CONFIDENCE: f64 = 0.5;

/// Letters a sentence needs for relative evidence; shorter ones need `min_confidence` over all
/// languages ("By the Binomial Theorem, this term is", its math set aside, is too thin).
const RELATIVE_MIN_LETTERS: usize = 50;

/// Evidence a near twin of the expected language needs to count as another language. On
/// lingua's sentences of 50 letters or more, 0.97 takes 73-90% of a twin's sentences for the
/// twin and up to 0.8% of the language's own (Czech read as Slovak); 0.999 took 30-50%.
const NEAR_TWIN_CONFIDENCE: f64 = 0.97;

/// Whether `a` and `b` are one language for mixing: members of one group of language ID
/// ([`crate::language_id::groups`]).
fn one_language(a: Language, b: Language) -> bool {
    let group = |l: Language| groups::group_of(&l.iso_code_639_1().to_string());
    group(a).is_some() && group(a) == group(b)
}

/// Whether `a` and `b` are close enough that lingua often takes a sentence of one for the
/// other: Scandinavian, Croatian-Slovene, Czech-Slovak, Ibero-Romance.
fn near_twins(a: Language, b: Language) -> bool {
    use Language::*;
    const GROUPS: [&[Language]; 4] = [
        &[Danish, Bokmal, Nynorsk, Swedish],
        &[Croatian, Bosnian, Serbian, Slovene],
        &[Czech, Slovak],
        &[Spanish, Portuguese, Catalan],
    ];
    GROUPS.iter().any(|g| g.contains(&a) && g.contains(&b))
}

/// The writing system of a letter, coarsely: enough to tell Latin prose from Greek, Cyrillic,
/// CJK, Arabic and the like.
fn script(c: char) -> Option<&'static str> {
    if !c.is_alphabetic() {
        return None;
    }
    Some(match c as u32 {
        0x0000..=0x024F | 0x1E00..=0x1EFF => "Latin",
        0x0370..=0x03FF | 0x1F00..=0x1FFF => "Greek",
        0x0400..=0x052F => "Cyrillic",
        0x0590..=0x05FF => "Hebrew",
        0x0600..=0x06FF | 0x0750..=0x077F => "Arabic",
        0x0900..=0x097F => "Devanagari",
        0x0E00..=0x0E7F => "Thai",
        0x3040..=0x30FF => "Kana",
        0x1100..=0x11FF | 0xAC00..=0xD7AF => "Hangul",
        0x4E00..=0x9FFF | 0x3400..=0x4DBF => "Han",
        _ => "Other",
    })
}

/// The scripts of the letters of `prose`, each letter once, except a lone Greek letter (a
/// word of one letter: "the angle θ", "π"), which is math, not Greek prose.
fn letter_scripts(prose: &str) -> impl Iterator<Item = &'static str> + '_ {
    prose.split(|c: char| !c.is_alphabetic()).flat_map(|word| {
        let lone_greek = word.chars().count() == 1 && word.chars().next().and_then(script) == Some("Greek");
        word.chars().filter_map(script).filter(move |_| !lone_greek)
    })
}

/// Letters of the prose of `response` outside the scripts of `query`'s prose, over all its
/// letters. Japanese mixes Han and Kana, Korean may use Han: scripts the query uses are allowed.
pub fn foreign_script_fraction(query: &str, response: &str) -> f64 {
    let allowed: std::collections::HashSet<&str> = letter_scripts(&prose(query)).collect();
    let prose = prose(response);
    let (mut total, mut foreign) = (0usize, 0usize);
    for s in letter_scripts(&prose) {
        total += 1;
        if !allowed.is_empty() && !allowed.contains(s) {
            foreign += 1;
        }
    }
    if total == 0 {
        0.0
    } else {
        foreign as f64 / total as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_math_and_quotes_are_not_prose() {
        let p = prose(
            "Use `len(x)` and $\\frac{a}{b}$ then ```\nprint('hola amigos')\n``` as \"il dit bonjour\" says.",
        );
        assert!(
            !p.contains("len") && !p.contains("frac") && !p.contains("hola") && !p.contains("bonjour"),
            "{p}"
        );
        assert!(p.contains("Use") && p.contains("says"));
        // An unpaired dollar does not hide the prose after it.
        let p = prose("Seats: $4! Dann addieren wir die Zahlen. So, there are $4 \\cdot 24$ ways.");
        assert!(p.contains("Dann addieren wir"), "{p}");
    }

    #[test]
    fn names_and_one_language_groups_are_not_mixing() {
        let detector = LinguaDetector::all();
        let m = |expected, text: &str| measure(&detector, expected, text, 30, 0.9).foreign_fraction;
        // A list of Italian villages in a Dutch sentence is Dutch.
        let dutch = "De volgende frazioni maken deel uit van de gemeente: Bagnolo, Vignola, Rontagnano, \
                     Strigara, Montegelli, Ponte Uso, Ponte Rosso, Montetiffi, Bivio Montegelli.";
        assert_eq!(m(Language::Dutch, dutch), 0.0);
        // Bosnian in a Croatian answer is one language; English is not.
        let bosnian = "Predsjedavajući Predsjedništva Bosne i Hercegovine sastao se danas sa \
                       ambasadorima zemalja članica Vijeća za provedbu mira.";
        assert_eq!(m(Language::Croatian, bosnian), 0.0);
        let english = "Is this really what I wanted out of life?";
        assert!(m(Language::Croatian, &format!("{bosnian} {english}")) > 0.0);
        // Ukrainian with `і` but no `ї є ґ`, which lingua alone calls Kazakh at confidence 1.0
        // (a Ukrainian exam question): Ukrainian, not mixed.
        let ukrainian = "Позначте речення, що містить застаріле слово для цієї відповіді. Справжні ім’я та \
                         прізвище Марка Вовчка були іншими, ніж ми думали.";
        assert_eq!(m(Language::Ukrainian, ukrainian), 0.0);
    }

    #[test]
    fn scripts_outside_the_query_count() {
        let q = "How many apples are left?";
        assert_eq!(foreign_script_fraction(q, "There are 5 apples left, since α = 2 and π is about 3."), 0.0);
        // Greek prose is Greek, not Latin.
        assert!(foreign_script_fraction(q, "There are 5 apples left. Απομένουν πέντε μήλα.") > 0.3);
        assert!(foreign_script_fraction(q, "There are 5 apples left. Осталось пять яблок.") > 0.3);
        // Math in another script is not prose.
        assert_eq!(foreign_script_fraction(q, "So $x = 5$ apples: ```пример```"), 0.0);
    }
}
