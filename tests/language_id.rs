//! Language ID accuracy on lingua's own test sentences: 75 languages, real sentences that no one
//! here wrote (the `testdata/sentences.txt` of each `lingua-*-language-model` crate).

mod common;

use std::sync::Arc;

use curate_filters::language_id::LanguageIdConfig;
use curate_filters::{Document, FilterConfig};
use lingua::Language;

/// Sentences per language checked (of the 1,000 each crate ships).
const PER_LANGUAGE: usize = 100;

fn accuracy(config: LanguageIdConfig) -> (f64, Vec<(String, f64)>) {
    let filter = config.build().unwrap();
    let mut languages: Vec<Language> = Language::all().into_iter().collect();
    languages.sort();
    let mut per_language = Vec::new();
    let (mut right, mut total) = (0usize, 0usize);
    for language in languages {
        let name = format!("{language:?}").to_lowercase();
        let expected = language.iso_code_639_1().to_string();
        let sentences = common::lines(&common::lingua_testdata(&name).join("sentences.txt"));
        let mut ok = 0;
        for s in sentences.iter().take(PER_LANGUAGE) {
            let mut doc = Document::new("x", s.as_str(), Arc::from("lingua"), 1);
            filter.check(&mut doc);
            ok += usize::from(doc.language.as_deref() == Some(expected.as_str()));
        }
        right += ok;
        total += PER_LANGUAGE;
        per_language.push((name, ok as f64 / PER_LANGUAGE as f64));
    }
    (right as f64 / total as f64, per_language)
}

#[test]
fn sentences_in_75_languages_are_identified() {
    let (overall, mut per_language) = accuracy(LanguageIdConfig::default());
    per_language.sort_by(|a, b| a.1.total_cmp(&b.1));
    eprintln!("high accuracy mode: {:.2}% overall; worst: {:?}", overall * 100.0, &per_language[..5]);
    assert_eq!(per_language.len(), 75);
    assert!(overall >= 0.95, "overall accuracy {overall:.3}");
    // Near twins are lingua's hard cases on single sentences (measured: Malay 29%, mostly taken
    // for Indonesian; Bosnian 42%, for Croatian and Serbian; Urdu 61%). Every other language
    // is recognized.
    for (language, acc) in &per_language {
        if ["malay", "bosnian", "urdu"].contains(&language.as_str()) {
            assert!(*acc >= 0.25, "{language}: {acc}");
        } else {
            assert!(*acc >= 0.75, "{language}: {acc}");
        }
    }
}

#[test]
fn low_accuracy_mode_is_still_useful_on_sentences() {
    let (overall, per_language) = accuracy(LanguageIdConfig { low_accuracy: true, ..Default::default() });
    let worst = per_language.iter().min_by(|a, b| a.1.total_cmp(&b.1)).unwrap();
    eprintln!(
        "low accuracy mode: {:.2}% overall, worst {} {:.0}%",
        overall * 100.0,
        worst.0,
        worst.1 * 100.0
    );
    assert!(overall >= 0.85, "overall accuracy {overall:.3}");
}
