//! Language ID speed and agreement: curate's Rust fastText inference against fastText's C++ (the
//! `fasttext` crate) on the same lines, one thread each, and what reading only the first N
//! characters of each document costs. Run by `bench/language-id.sh`, which builds the corpus and
//! fastText's Python predictions to compare with:
//!
//!   cargo bench --bench fasttext -- MODEL LINES_JSONL [PYTHON_PREDICTIONS_JSONL]
//!
//! LINES_JSONL: one JSON string per document (its whole text, newlines as spaces, ending in
//! "\n", as the language ID step gives it).

use std::collections::HashMap;
use std::io::BufRead;
use std::time::Instant;

use curate_filters::fasttext_inference::{FastTextModel, Workspace};

/// Labels compared per line.
const K: usize = 4;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let [model_path, lines_path, rest @ ..] = args.as_slice() else {
        eprintln!("usage: cargo bench --bench fasttext -- MODEL LINES_JSONL [PYTHON_PREDICTIONS_JSONL]");
        std::process::exit(2);
    };
    let lines: Vec<String> = std::io::BufReader::new(std::fs::File::open(lines_path).expect("lines"))
        .lines()
        .map(|l| serde_json::from_str(&l.expect("line")).expect("a JSON string"))
        .collect();
    let bytes: usize = lines.iter().map(String::len).sum();
    let mb = bytes as f64 / 1e6;
    println!("{} documents, {mb:.1} MB, one thread, k = {K}", lines.len());

    let ours = FastTextModel::load(std::path::Path::new(model_path)).expect("model");
    let mut work = Workspace::default();
    let mut theirs = fasttext::FastText::new();
    theirs.load_model(model_path).expect("model");

    // Best of three each, interleaved.
    let mut rust_best = f64::MAX;
    let mut cpp_best = f64::MAX;
    let mut rust_out = Vec::new();
    let mut cpp_out = Vec::new();
    for _ in 0..3 {
        // A fresh workspace each time: its cache of word sums starts cold, as on a new corpus.
        work = Workspace::default();
        let t = Instant::now();
        rust_out = lines
            .iter()
            .map(|l| {
                ours.predict(l.as_bytes(), K, &mut work)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(i, p)| (ours.labels()[i].clone(), p))
                    .collect::<Vec<_>>()
            })
            .collect();
        rust_best = rust_best.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        cpp_out = lines
            .iter()
            .map(|l| {
                theirs
                    .predict(l, K as i32, 0.0)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|p| (p.label, p.prob))
                    .collect()
            })
            .collect::<Vec<Vec<(String, f32)>>>();
        cpp_best = cpp_best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "fastText C++:       {cpp_best:.2} s, {:.1} MB/s\ncurate (Rust):      {rust_best:.2} s, {:.1} MB/s: {:.1}x faster",
        mb / cpp_best,
        mb / rust_best,
        cpp_best / rust_best
    );
    report("C++", &rust_out, &cpp_out);
    if let Some(python) = rest.first() {
        let py: Vec<Vec<(String, f32)>> =
            std::io::BufReader::new(std::fs::File::open(python).expect("python"))
                .lines()
                .map(|l| {
                    let v: Vec<(String, f64)> = serde_json::from_str(&l.expect("line")).expect("predictions");
                    v.into_iter().map(|(l, p)| (l, p as f32)).collect()
                })
                .collect();
        report("Python binding", &rust_out, &py);
    }

    // The first N characters instead of the whole document.
    println!("\nfirst N characters (Rust): top label as with the whole document, and speed");
    let whole: Vec<&str> = rust_out.iter().map(|r| r.first().map_or("", |(l, _)| l.as_str())).collect();
    for n in [2000usize, 1000, 500, 300, 200, 100] {
        let cut: Vec<String> = lines
            .iter()
            .map(|l| match l.char_indices().nth(n) {
                Some((at, _)) => format!("{}\n", &l[..at]),
                None => l.clone(),
            })
            .collect();
        let t = Instant::now();
        let same = cut
            .iter()
            .zip(&whole)
            .filter(|(l, w)| {
                let top = ours
                    .predict(l.as_bytes(), 1, &mut work)
                    .and_then(|p| p.first().map(|(i, _)| ours.labels()[*i].clone()));
                top.as_deref().unwrap_or("") == **w
            })
            .count();
        let secs = t.elapsed().as_secs_f64();
        println!(
            "  N = {n:>5}: {:.2}% same top label, {secs:.2} s ({:.1} MB of documents/s)",
            100.0 * same as f64 / lines.len() as f64,
            mb / secs
        );
    }
}

/// Prints how `ours` agrees with `theirs`: lines with the same labels, largest difference.
fn report(name: &str, ours: &[Vec<(String, f32)>], theirs: &[Vec<(String, f32)>]) {
    let mut same_top = 0;
    let mut within = 0;
    let mut worst = 0.0f32;
    for (a, b) in ours.iter().zip(theirs) {
        if a.first().map(|x| &x.0) == b.first().map(|x| &x.0) {
            same_top += 1;
        }
        let theirs: HashMap<&str, f32> = b.iter().map(|(l, p)| (l.as_str(), *p)).collect();
        let diff = a
            .iter()
            .map(|(l, p)| theirs.get(l.as_str()).map_or(f32::INFINITY, |q| (p - q).abs()))
            .fold(0.0f32, f32::max);
        if diff <= 1e-5 && a.len() == b.len() {
            within += 1;
        }
        worst = worst.max(diff);
    }
    println!(
        "vs {name}: same top label on {same_top} of {} lines; every label and probability within 1e-5 on {within}; largest difference {worst:e}",
        ours.len()
    );
}
