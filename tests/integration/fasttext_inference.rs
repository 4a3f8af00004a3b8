//! curate's Rust fastText inference (`curate_filters::fasttext_inference`) against fastText
//! itself: its C++ (the `fasttext` crate, in this process) and its Python binding
//! (fasttext-wheel 0.9.2, `scripts/fasttext-predict.py`), label for label and to 1e-5 in
//! probability, on lid.176 (quantized, pruned, hierarchical softmax) over every sentence, single
//! word and word pair of lingua's test data in 75 languages plus long real documents, and on
//! models trained here in the other forms the inference reads (dense softmax with word n-grams,
//! quantized and pruned with quantized norms, one-vs-all).

use std::collections::HashMap;
use std::path::Path;

use curate_filters::fasttext_inference::{FastTextModel, Workspace};
use lingua::Language;

use crate::common::*;

/// Largest difference in probability allowed.
const TOLERANCE: f32 = 1e-5;

/// A line as the language ID step gives it: newlines and NULs as spaces, ended by a newline.
fn line(text: &str) -> String {
    let mut l: String = text.chars().map(|c| if c == '\n' || c == '\0' { ' ' } else { c }).collect();
    l.push('\n');
    l
}

/// Lines in 75 languages (lingua's sentences, single words and word pairs), long real documents,
/// and lines that exercise the tokenizer's corners.
fn test_lines() -> Vec<String> {
    let mut out = Vec::new();
    for language in Language::all() {
        let dir = lingua_testdata(&format!("{language:?}").to_lowercase());
        for file in ["sentences.txt", "single-words.txt", "word-pairs.txt"] {
            out.extend(lines(&dir.join(file)).iter().map(|s| line(s)));
        }
    }
    for dataset in ["sotu", "moby-dick", "spam-assassin"] {
        out.extend(stdlib_texts(dataset, 60).iter().map(|s| line(s)));
    }
    for corner in [
        "",
        "   ",
        "word",
        "__label__en is not a word here",
        "the end </s> is read as the end of the line",
        "tabs\tand\rcarriage\u{b}returns\u{c}and form feeds",
        "non-breaking\u{a0}spaces\u{2003}are\u{3000}inside words",
        "emoji 🙂🙂 and e\u{301}",
        "ΑΒΓ Ελληνικά και English mixed",
    ] {
        out.push(line(corner));
    }
    // A line with no newline at all (no end-of-sentence token).
    out.push("no newline at the end".into());
    out
}

/// Predictions as (label, probability), best first.
type Ranked = Vec<(String, f32)>;

fn rust(model: &Path, lines: &[String], k: usize) -> Vec<Option<Ranked>> {
    let m = FastTextModel::load(model).unwrap();
    let mut work = Workspace::default();
    lines
        .iter()
        .map(|l| {
            m.predict(l.as_bytes(), k, &mut work)
                .map(|p| p.into_iter().map(|(i, prob)| (m.labels()[i].clone(), prob)).collect())
        })
        .collect()
}

fn cpp(model: &Path, lines: &[String], k: usize) -> Vec<Ranked> {
    let mut m = fasttext::FastText::new();
    m.load_model(model.to_str().unwrap()).unwrap();
    lines
        .iter()
        .map(|l| {
            m.predict(l, k as i32, 0.0).unwrap_or_default().into_iter().map(|p| (p.label, p.prob)).collect()
        })
        .collect()
}

fn python(model: &Path, lines: &[String], k: usize) -> Vec<Ranked> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("lines.jsonl");
    let output = dir.path().join("predictions.jsonl");
    let body: String = lines.iter().map(|l| serde_json::to_string(l).unwrap() + "\n").collect();
    std::fs::write(&input, body).unwrap();
    let status = std::process::Command::new(hf_python())
        .arg(repo_path("scripts/fasttext-predict.py"))
        .args([model.to_str().unwrap(), input.to_str().unwrap(), &k.to_string(), output.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(
        status.success(),
        "fasttext-predict.py failed (scripts/install-test-python.sh installs fasttext)"
    );
    json_lines(&output)
        .into_iter()
        .map(|v| {
            v.as_array()
                .unwrap()
                .iter()
                .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_f64().unwrap() as f32))
                .collect()
        })
        .collect()
}

/// Asserts `ours` gives what `theirs` gives on every line: the same labels in the same order
/// (labels whose probabilities tie may swap) and probabilities within [`TOLERANCE`]. Lines where
/// ours gives nothing (no input row) must be lines where fastText's average is NaN: it gives
/// nothing either, or NaN. Returns the largest difference seen.
fn agree(name: &str, lines: &[String], ours: &[Option<Ranked>], theirs: &[Ranked]) -> f32 {
    assert_eq!(ours.len(), theirs.len());
    let mut worst = 0.0f32;
    for ((line, ours), theirs) in lines.iter().zip(ours).zip(theirs) {
        let Some(ours) = ours else {
            assert!(theirs.iter().all(|(_, p)| p.is_nan()), "{name}: {line:?}: none here, {theirs:?} there");
            continue;
        };
        assert_eq!(ours.len(), theirs.len(), "{name}: {line:?}: {ours:?} vs {theirs:?}");
        let by_label: HashMap<&str, f32> = theirs.iter().map(|(l, p)| (l.as_str(), *p)).collect();
        for (i, (label, p)) in ours.iter().enumerate() {
            let q = match by_label.get(label.as_str()) {
                Some(q) => *q,
                // At the cut-off, a label tied with the last one may be the other's pick.
                None if i == ours.len() - 1 => theirs[i].1,
                None => panic!("{name}: {line:?}: {label} missing: {ours:?} vs {theirs:?}"),
            };
            assert!((p - q).abs() <= TOLERANCE, "{name}: {line:?}: {label} {p} vs {q}");
            assert!((p - theirs[i].1).abs() <= TOLERANCE, "{name}: {line:?}: order {ours:?} vs {theirs:?}");
            worst = worst.max((p - q).abs());
        }
    }
    worst
}

#[test]
fn lid176_predictions_equal_fasttext_cpp_and_python() {
    let model = data_dir().join("models/lid.176.ftz");
    let lines = test_lines();
    assert!(lines.len() > 100_000, "{} lines", lines.len());
    let ours = rust(&model, &lines, 5);
    let worst_cpp = agree("C++", &lines, &ours, &cpp(&model, &lines, 5));
    let worst_python = agree("Python", &lines, &ours, &python(&model, &lines, 5));
    eprintln!(
        "lid.176: {} lines agree with fastText's C++ (largest difference {worst_cpp:e}) and Python binding ({worst_python:e})",
        lines.len()
    );
}

#[test]
fn trained_models_of_every_form_equal_fasttext() {
    // Three real sources as labels; the C++ trains, quantizes and saves.
    let dir = tempfile::tempdir().unwrap();
    let mut texts = Vec::new();
    for (label, dataset) in [("speech", "sotu"), ("novel", "moby-dick"), ("mail", "spam-assassin")] {
        for t in stdlib_texts(dataset, 120) {
            texts.push((label, t.replace(['\n', '\0'], " ")));
        }
    }
    let train = dir.path().join("train.txt");
    let body: String = texts.iter().map(|(l, t)| format!("__label__{l} {t}\n")).collect();
    std::fs::write(&train, body).unwrap();
    let lines: Vec<String> =
        texts.iter().map(|(_, t)| line(t)).chain(test_lines().into_iter().step_by(97)).collect();
    let fit = |loss: fasttext::LossName, name: &str| -> std::path::PathBuf {
        let mut args = fasttext::Args::new();
        args.set_input(train.to_str().unwrap()).unwrap();
        args.set_model(fasttext::ModelName::SUP);
        args.set_loss(loss);
        args.set_epoch(5);
        args.set_word_ngrams(2);
        args.set_minn(2);
        args.set_maxn(5);
        args.set_bucket(50_000);
        args.set_dim(20);
        args.set_thread(1);
        args.set_verbose(0);
        let mut m = fasttext::FastText::new();
        m.train(&args).unwrap();
        let path = dir.path().join(format!("{name}.bin"));
        m.save_model(path.to_str().unwrap()).unwrap();
        path
    };
    let softmax = fit(fasttext::LossName::SOFTMAX, "softmax");
    let ova = fit(fasttext::LossName::OVA, "ova");
    // Quantized with quantized norms, and pruned to the 2,000 most useful rows.
    let mut m = fasttext::FastText::new();
    m.load_model(softmax.to_str().unwrap()).unwrap();
    let mut q = fasttext::Args::new();
    q.set_input(train.to_str().unwrap()).unwrap();
    q.set_qnorm(true);
    q.set_qout(false); // an output of 3 rows is too small to quantize (256 at least)
    q.set_cutoff(2_000);
    q.set_retrain(false);
    q.set_dsub(2);
    q.set_verbose(0);
    m.quantize(&q).unwrap();
    let quantized = dir.path().join("softmax.ftz");
    m.save_model(quantized.to_str().unwrap()).unwrap();
    for (name, model) in
        [("softmax .bin", &softmax), ("one-vs-all .bin", &ova), ("quantized .ftz", &quantized)]
    {
        let ours = rust(model, &lines, 3);
        let worst_cpp = agree(name, &lines, &ours, &cpp(model, &lines, 3));
        let worst_python = agree(name, &lines, &ours, &python(model, &lines, 3));
        eprintln!("{name}: {} lines agree (C++ {worst_cpp:e}, Python {worst_python:e})", lines.len());
    }
}
