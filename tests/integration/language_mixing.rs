//! Language mixing on real sentences nobody here wrote: answers of six sentences in one
//! language, some with one sentence of another language spliced in (English into many
//! languages, and close neighbours into each other), measured as the cold-start `responses`
//! step measures them. Two corpora: lingua's test sentences (which the rules were tuned on),
//! and school-exam questions from the OpenAI evals registry, held out.

use std::collections::HashMap;

use curate_filters::language_id::LinguaDetector;
use curate_filters::response::language_mixing::{foreign_script_fraction, measure};
use lingua::Language;

use crate::common::*;

/// Sentences of `language` from lingua's test set, long enough to judge (30 letters or more),
/// each ended by a period when it has no end mark (some lines are headlines).
fn sentences(language: Language) -> Vec<String> {
    let name = format!("{language:?}").to_lowercase();
    lines(&lingua_testdata(&name).join("sentences.txt"))
        .iter()
        .map(|s| ended(s))
        .filter(|s| long(s))
        .collect()
}

/// Sentences from an exam set's question stems (see `exam_questions`), long enough to judge,
/// each ended by a period when it has no end mark (a stem often ends with a colon or nothing).
fn exam_sentences(dataset: &str) -> Vec<String> {
    use unicode_segmentation::UnicodeSegmentation;
    exam_questions(dataset)
        .iter()
        .flat_map(|q| q.split_sentence_bounds().map(|s| ended(s.trim())).collect::<Vec<_>>())
        .filter(|s| long(s))
        .filter(|s| dataset != "polish-exams-qa" || !s.contains(MANGLED))
        .collect()
}

/// Letters of the Polish exam set's mangled PDF extraction (ł as á, ś as Ğ, ż as Ī, ę as Ċ,
/// ń as Ĕ, ć as ü): those questions are no Polish text any more, and are left out.
const MANGLED: [char; 6] = ['á', 'Ğ', 'Ī', 'Ċ', 'Ĕ', 'ü'];

/// Whether `s` has the 30 letters the step needs to judge a sentence.
fn long(s: &str) -> bool {
    s.chars().filter(|c| c.is_alphabetic()).count() >= 30
}

/// `s`, ended by a period when it has no end mark.
fn ended(s: &str) -> String {
    let s = s.trim_end().trim_end_matches([':', ',', ';']);
    if s.ends_with(['.', '!', '?', '"', '»', '“', '”']) {
        s.to_string()
    } else {
        format!("{s}.")
    }
}

/// Whether the responses step would call `answer` mixed with its default options, as the
/// answer to a query in `language` (`query`, for the script rule): its example sentence, or
/// the answer when over 2% of its letters are of another script.
fn mixed(detector: &LinguaDetector, language: Language, query: &str, answer: &str) -> Option<String> {
    let m = measure(detector, language, answer, 30, 0.9);
    if m.foreign_fraction > 0.0 {
        Some(m.example.unwrap_or_default())
    } else {
        (foreign_script_fraction(query, answer) > 0.02).then(|| answer.to_string())
    }
}

/// Answers per pair, and clean answers per language.
const ANSWERS: usize = 20;

/// The mixing rules on `text` (sentences per language): for each pair `(x, y)`, answers of
/// five sentences of `x` with the `k`-th sentence of `y` spliced in (`k` = answer × `stride`);
/// and for each host language, clean answers of six sentences from `clean_from` on.
struct Score {
    recall: f64,
    precision: f64,
    f1: f64,
    false_rate: f64,
    report: String,
}

fn score(
    text: &HashMap<Language, Vec<String>>,
    pairs: &[(Language, Language)],
    stride: usize,
    clean_from: usize,
) -> Score {
    let detector = LinguaDetector::all();
    let (mut caught_all, mut spliced_all, mut false_flags, mut clean_all) = (0, 0, 0, 0);
    let (mut report, mut clean_report) = (Vec::new(), Vec::new());
    let mut hosts: Vec<Language> = Vec::new();
    for (x, y) in pairs {
        let (host, guest) = (&text[x], &text[y]);
        let query = host.last().unwrap();
        let caught = (0..ANSWERS)
            .filter(|&a| {
                let mut answer: Vec<&str> = host[a * 5..a * 5 + 5].iter().map(String::as_str).collect();
                answer.insert(a % 6, &guest[a * stride]);
                mixed(&detector, *x, query, &answer.join(" ")).is_some()
            })
            .count();
        caught_all += caught;
        spliced_all += ANSWERS;
        report.push(format!("{y:?} into {x:?} {caught}/{ANSWERS}"));
        if !hosts.contains(x) {
            hosts.push(*x);
        }
    }
    for x in &hosts {
        let host = &text[x];
        let flagged: Vec<String> = (0..ANSWERS)
            .filter_map(|a| {
                let answer = host[clean_from + a * 6..clean_from + a * 6 + 6].join(" ");
                mixed(&detector, *x, host.last().unwrap(), &answer)
            })
            .collect();
        false_flags += flagged.len();
        clean_all += ANSWERS;
        if !flagged.is_empty() {
            clean_report.push(format!("{x:?} {}: {:?}", flagged.len(), flagged));
        }
    }
    let recall = caught_all as f64 / spliced_all as f64;
    let precision = caught_all as f64 / (caught_all + false_flags).max(1) as f64;
    let false_rate = false_flags as f64 / clean_all as f64;
    let report = format!(
        "recall {recall:.3}, precision {precision:.3}, F1 {:.3}; clean answers flagged {false_flags}/{clean_all} \
         ({:.2}%)\n  {}\n  clean answers flagged: {}",
        2.0 * precision * recall / (precision + recall),
        100.0 * false_rate,
        report.join(", "),
        clean_report.join("; ")
    );
    Score { recall, precision, f1: 2.0 * precision * recall / (precision + recall), false_rate, report }
}

#[test]
fn one_spliced_sentence_is_caught_and_clean_answers_are_not_flagged() {
    use Language::*;
    let pairs: Vec<(Language, Language)> = [
        German, Polish, Turkish, Vietnamese, Spanish, French, Italian, Portuguese, Dutch, Danish, Czech,
        Russian, Indonesian, Swedish, Finnish, Hungarian, Romanian,
    ]
    .into_iter()
    .map(|x| (x, English))
    .chain([
        (Spanish, Portuguese),
        (Portuguese, Spanish),
        (Danish, Bokmal),
        (Bokmal, Danish),
        (Czech, Slovak),
        (Slovak, Czech),
        // lingua's Serbian sentences are in Cyrillic: the script rule's case.
        (Croatian, Serbian),
    ])
    .collect();
    let mut text = HashMap::new();
    for (x, y) in &pairs {
        text.entry(*x).or_insert_with(|| sentences(*x));
        text.entry(*y).or_insert_with(|| sentences(*y));
    }
    let s = score(&text, &pairs, 1, 200);
    eprintln!("language mixing, lingua's sentences: {}", s.report);
    // Measured 2026-12-02: recall 0.829, precision 0.995, F1 0.905, 2 of 400 clean answers
    // flagged (0.5%: HTTP headers in a Portuguese web line, a Czech sentence read as Slovak).
    // Before: with the twins at 0.999, English needing 50 letters, names read as language:
    // recall 0.706, F1 0.822, 1.5% (and with one confidence over 75 languages: recall 0.476,
    // F1 0.630, 4.5%). Near twins stay the weak part (Danish/Bokmål 25-40%, Spanish/Portuguese
    // 60%, Czech/Slovak 60-70%): lingua reads a share of each as the other with confidence.
    assert!(s.f1 >= 0.89, "F1 {}", s.f1);
    assert!(s.false_rate <= 0.005, "clean answers flagged {}", s.false_rate);
    assert!(s.recall >= 0.8 && s.precision >= 0.98, "recall {} precision {}", s.recall, s.precision);
}

#[test]
fn one_language_of_a_group_is_no_mixing() {
    use Language::*;
    // Bosnian (in Latin letters) in a Croatian answer, Malay in an Indonesian one, Nynorsk in a
    // Bokmål one: one language as language ID groups them (`sh`, `ms`, `no`), not mixing.
    let pairs = [(Croatian, Bosnian), (Indonesian, Malay), (Bokmal, Nynorsk)];
    let mut text = HashMap::new();
    for (x, y) in pairs {
        text.insert(x, sentences(x));
        text.insert(
            y,
            sentences(y).into_iter().filter(|s| !s.contains(|c: char| ('А'..='я').contains(&c))).collect(),
        );
    }
    let s = score(&text, &pairs, 1, 200);
    eprintln!("one language: {}", s.report);
    assert!(s.recall <= 0.05, "{}", s.report);
}

#[test]
fn held_out_exam_text_one_spliced_sentence_is_caught() {
    use Language::*;
    // Held out from the rules' design: school-exam questions (the OpenAI evals registry's EXAMS
    // sets) as the answers' language, English from LogiQA passages spliced in, and close
    // Romance neighbours into each other.
    let sets = [
        (German, "german-exams-qa"),
        (French, "french-exams-qa"),
        (Italian, "italian-exams-qa"),
        (Polish, "polish-exams-qa"),
        (Portuguese, "portuguese-exams-qa"),
        (Spanish, "spanish-exams-qa"),
        (Turkish, "turkish-exams-qa"),
        (Vietnamese, "vietnamese-exams-qa"),
        (Croatian, "croatian-exams-qa"),
        (English, "logiqa"),
    ];
    let text: HashMap<Language, Vec<String>> = sets.iter().map(|(l, d)| (*l, exam_sentences(d))).collect();
    let pairs: Vec<(Language, Language)> = sets
        .iter()
        .filter(|(l, _)| *l != English)
        .map(|(l, _)| (*l, English))
        .chain([
            (Spanish, Portuguese),
            (Portuguese, Spanish),
            (Spanish, Italian),
            (Italian, Spanish),
            (Italian, French),
            (French, Italian),
        ])
        .collect();
    let s = score(&text, &pairs, 3, 150);
    eprintln!("language mixing, held out: {}", s.report);
    // Measured 2026-12-02: recall 0.853, precision 1.0, F1 0.921; 0 of 180 clean answers
    // flagged (with 30 answers per pair: F1 0.918, and one flag, rightly: the French set holds
    // a Hungarian sentence). English into each language 19 of 20 (the same English
    // sentence missed in each); Portuguese and Spanish into each other about 60%, French and
    // Italian 60-75%.
    assert!(s.f1 >= 0.9, "F1 {}", s.f1);
    assert!(s.false_rate <= 0.01, "clean answers flagged {}", s.false_rate);
}
