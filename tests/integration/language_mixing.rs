//! Language mixing on real sentences nobody here wrote (lingua's test sentences): answers of six
//! sentences in one language, some with one sentence of another language spliced in (English
//! into many languages, and close neighbours into each other), measured as the cold-start
//! `responses` step measures them.

use curate_filters::response::language_mixing::measure;
use lingua::{Language, LanguageDetectorBuilder};

use crate::common::*;

/// Sentences of `language` from lingua's test set, long enough to judge (30 letters or more),
/// each ended by a period when it has no end mark (some lines are headlines).
fn sentences(language: Language) -> Vec<String> {
    let name = format!("{language:?}").to_lowercase();
    lines(&lingua_testdata(&name).join("sentences.txt"))
        .into_iter()
        .filter(|s| s.chars().filter(|c| c.is_alphabetic()).count() >= 30)
        .map(|s| {
            if s.trim_end().ends_with(['.', '!', '?', '"', '»', '“', '”']) {
                s
            } else {
                format!("{}.", s.trim_end())
            }
        })
        .collect()
}

#[test]
fn one_spliced_sentence_is_caught_and_clean_answers_are_not_flagged() {
    use Language::*;
    let detector = LanguageDetectorBuilder::from_all_languages().build();
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
        (Croatian, Serbian),
        (Indonesian, Malay),
    ])
    .collect();
    const ANSWERS: usize = 20;
    let (mut caught_all, mut spliced_all, mut false_flags, mut clean_all) = (0, 0, 0, 0);
    let mut report = Vec::new();
    let mut clean_done = std::collections::HashSet::new();
    let mut clean_report = Vec::new();
    for (x, y) in &pairs {
        let host = sentences(*x);
        let guest = sentences(*y);
        let mut caught = 0;
        for a in 0..ANSWERS {
            let mut answer: Vec<&str> = host[a * 5..a * 5 + 5].iter().map(String::as_str).collect();
            answer.insert(a % 6, &guest[a]);
            let m = measure(&detector, *x, &answer.join(" "), 30, 0.9);
            caught += usize::from(m.foreign_fraction > 0.0);
        }
        caught_all += caught;
        spliced_all += ANSWERS;
        report.push(format!("{y:?} into {x:?} {caught}/{ANSWERS}"));
        if clean_done.insert(*x) {
            let mut flagged = Vec::new();
            for a in 0..ANSWERS {
                let answer = host[200 + a * 6..200 + a * 6 + 6].join(" ");
                let m = measure(&detector, *x, &answer, 30, 0.9);
                if m.foreign_fraction > 0.0 {
                    flagged.push(m.example.unwrap_or_default());
                }
                clean_all += 1;
            }
            false_flags += flagged.len();
            if !flagged.is_empty() {
                clean_report.push(format!("{x:?} {}: {:?}", flagged.len(), flagged.first()));
            }
        }
    }
    let recall = caught_all as f64 / spliced_all as f64;
    let precision = caught_all as f64 / (caught_all + false_flags).max(1) as f64;
    let f1 = 2.0 * precision * recall / (precision + recall);
    let false_rate = false_flags as f64 / clean_all as f64;
    eprintln!(
        "language mixing: recall {recall:.3}, precision {precision:.3}, F1 {f1:.3}; clean answers flagged \
         {false_flags}/{clean_all} ({:.2}%)\n  {}\n  clean answers flagged: {}",
        100.0 * false_rate,
        report.join(", "),
        clean_report.join("; ")
    );
    // Measured 2026-12-02: recall 0.706, precision 0.983, F1 0.822, 6 of 400 clean answers
    // flagged (1.5%); with one confidence over 75 languages (before): recall 0.476, F1 0.630,
    // 4.5%. Relative evidence needs 50 letters (a 41-letter line of a real MATH solution, its
    // math set aside, read as another language), and near twins need near-certainty (0.999),
    // so Portuguese into Spanish and Malay into Indonesian are mostly missed. The goal (F1 0.9
    // at 0.5% false flags) is not met: the false flags are web lines (name lists, HTTP headers)
    // and Czech read as Slovak.
    assert!(f1 >= 0.8, "F1 {f1}");
    assert!(false_rate <= 0.02, "clean answers flagged {false_rate}");
    assert!(recall >= 0.68, "recall {recall}");
}
