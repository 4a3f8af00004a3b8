//! `curate train-classifier`: the second tier of annotation at scale. A fastText classifier
//! (the kind DCLM filters with) learns one dimension of `curate annotate`'s labels; held-out
//! documents measure how well it agrees with the judge (accuracy, macro F1, and for numeric
//! labels the Spearman correlation of its expected value with the judge's), next to the
//! majority-label baseline. Writes the model, which a stage's `classifier` step applies to
//! every document, and `<model>.json`, the report.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use curate_filters::classifier::{prepare, ClassifierConfig, LABEL_PREFIX};
use fasttext::{Args, FastText, LossName, ModelName};
use polars::prelude::{Column, ParquetReader, SerReader};
use serde::Serialize;

use crate::cli::TrainArgs;

/// A labelled document.
struct Example {
    text: String,
    label: String,
    /// The judge's expected value (numeric labels).
    expected: Option<f64>,
}

/// Agreement of the classifier with the judge on held-out documents.
#[derive(Debug, Serialize)]
pub struct Agreement {
    /// Documents held out.
    pub documents: usize,
    /// Share whose most probable label is the judge's.
    pub accuracy: f64,
    /// Accuracy of always answering the judge's most frequent training label.
    pub majority_baseline: f64,
    /// F1 averaged over the labels the judge gave (macro).
    pub macro_f1: f64,
    /// Spearman's rank correlation between the classifier's expected value and the judge's
    /// (numeric labels).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spearman: Option<f64>,
}

/// The report written next to the model.
#[derive(Debug, Serialize)]
struct Report {
    dimension: String,
    labels: Vec<String>,
    judge: Option<serde_json::Value>,
    train_documents: usize,
    label_counts: BTreeMap<String, usize>,
    held_out: Agreement,
    fasttext: BTreeMap<&'static str, serde_json::Value>,
    max_chars: usize,
    seconds: f64,
}

/// Runs `curate train-classifier`.
pub fn run(args: &TrainArgs) -> Result<()> {
    let started = std::time::Instant::now();
    if !(0.0..1.0).contains(&args.holdout) {
        bail!("--holdout must lie in [0, 1), got {}", args.holdout);
    }
    let labels_file =
        if args.labels.is_dir() { args.labels.join("labels.parquet") } else { args.labels.clone() };
    let examples = read_examples(&labels_file, &args.dimension, args.seed)?;
    // The split by the id's hash under the seed: the same documents are held out whatever
    // the file's order.
    let (mut train, mut held) = (Vec::new(), Vec::new());
    for (key, example) in examples {
        if (key % 10_000) as f64 >= args.holdout * 10_000.0 {
            train.push(example);
        } else {
            held.push(example);
        }
    }
    if train.is_empty() {
        bail!("{}: no documents left to train on", labels_file.display());
    }
    let mut label_counts: BTreeMap<String, usize> = BTreeMap::new();
    for e in &train {
        *label_counts.entry(e.label.clone()).or_default() += 1;
    }
    if label_counts.len() < 2 {
        bail!(
            "{}: the judge gave every training document the label `{}`: nothing to learn",
            labels_file.display(),
            train[0].label
        );
    }

    let model = fit(&train, args)?;
    let out = args.output.to_str().with_context(|| format!("{}: not a UTF-8 path", args.output.display()))?;
    let mut model = model;
    model.save_model(out).map_err(|e| anyhow::anyhow!("writing {out}: {e}"))?;
    // Measured through the `classifier` step itself, as a stage will apply the model.
    let step = curate_filters::classifier::Classifier::new(&ClassifierConfig {
        model: args.output.clone(),
        dimension: args.dimension.clone(),
        max_chars: args.max_chars,
        ..Default::default()
    })?;
    let majority = label_counts.iter().max_by_key(|(_, n)| **n).map(|(l, _)| l.clone()).unwrap_or_default();
    let held_out = agreement(&step, &held, &majority);
    let report = Report {
        dimension: args.dimension.clone(),
        labels: label_counts.keys().cloned().collect(),
        judge: judge_of(&labels_file),
        train_documents: train.len(),
        label_counts,
        held_out,
        fasttext: BTreeMap::from([
            ("epoch", args.epoch.into()),
            ("lr", args.lr.into()),
            ("word_ngrams", args.word_ngrams.into()),
            ("dim", args.dim.into()),
            ("bucket", BUCKETS.into()),
            ("loss", "softmax".into()),
            ("threads", args.threads.into()),
        ]),
        max_chars: args.max_chars,
        seconds: started.elapsed().as_secs_f64(),
    };
    let report_path = report_path(&args.output);
    std::fs::write(&report_path, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("writing {}", report_path.display()))?;
    let h = &report.held_out;
    outln!(
        "{}: trained on {} documents; on {} held out: accuracy {:.3} (majority label {:.3}), macro F1 {:.3}{}",
        args.dimension,
        report.train_documents,
        h.documents,
        h.accuracy,
        h.majority_baseline,
        h.macro_f1,
        h.spearman.map(|s| format!(", Spearman {s:.3}")).unwrap_or_default()
    );
    outln!("model {} (report {})", args.output.display(), report_path.display());
    Ok(())
}

/// Hash buckets of the word n-grams (fastText's default is 2,000,000; 100,000 keeps a model of
/// 64-dimensional vectors near 26 MB).
const BUCKETS: i32 = 100_000;

/// `model.bin` → `model.json`.
fn report_path(model: &Path) -> PathBuf {
    model.with_extension("json")
}

/// The judge that gave the labels, from `annotate.json` next to them.
fn judge_of(labels_file: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(labels_file.with_file_name("annotate.json")).ok()?;
    let report: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(serde_json::json!({ "judge": report["judge"], "dimensions": report["dimensions"] }))
}

/// The labelled documents of `dimension`, each with its id's hash under `seed` (which decides
/// the split).
fn read_examples(path: &Path, dimension: &str, seed: u64) -> Result<Vec<(u64, Example)>> {
    let file = std::fs::File::open(path)
        .with_context(|| format!("{}: run `curate annotate` first", path.display()))?;
    let df = ParquetReader::new(file).finish().with_context(|| format!("reading {}", path.display()))?;
    let column = |name: &str| -> Result<&Column> {
        df.column(name).map_err(|_| {
            let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
            anyhow::anyhow!("{}: no column `{name}` (columns: {})", path.display(), names.join(", "))
        })
    };
    let ids = column("id")?.str()?.clone();
    let texts = column("text")?.str()?.clone();
    let labels = column(dimension)?.str().with_context(|| format!("column `{dimension}`"))?.clone();
    let expected = df.column(&format!("{dimension}_expected")).ok().and_then(|c| c.f64().ok().cloned());
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let (Some(id), Some(text), Some(label)) = (ids.get(i), texts.get(i), labels.get(i)) else { continue };
        let key = xxhash_rust::xxh3::xxh3_64_with_seed(id.as_bytes(), seed);
        out.push((
            key,
            Example {
                text: text.to_string(),
                label: label.split_whitespace().collect::<Vec<_>>().join("_"),
                expected: expected.as_ref().and_then(|e| e.get(i)),
            },
        ));
    }
    Ok(out)
}

/// Trains fastText (supervised, softmax) on `train`.
fn fit(train: &[Example], args: &TrainArgs) -> Result<FastText> {
    let dir = tempfile::tempdir().context("creating a temp folder")?;
    let input = dir.path().join("train.txt");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&input)?);
    for e in train {
        writeln!(file, "{LABEL_PREFIX}{} {}", e.label, prepare(&e.text, args.max_chars))?;
    }
    file.flush()?;
    drop(file);
    let mut fa = Args::new();
    fa.set_input(input.to_str().context("temp path not UTF-8")?).map_err(|e| anyhow::anyhow!(e))?;
    fa.set_output(dir.path().join("model").to_str().context("temp path not UTF-8")?)
        .map_err(|e| anyhow::anyhow!(e))?;
    fa.set_model(ModelName::SUP);
    fa.set_loss(LossName::SOFTMAX);
    fa.set_epoch(args.epoch);
    fa.set_lr(args.lr);
    fa.set_word_ngrams(args.word_ngrams);
    fa.set_dim(args.dim);
    fa.set_bucket(BUCKETS);
    fa.set_min_count(1);
    fa.set_minn(0);
    fa.set_maxn(0);
    fa.set_thread(args.threads.max(1));
    fa.set_verbose(0);
    let mut model = FastText::new();
    model.train(&fa).map_err(|e| anyhow::anyhow!("training fastText: {e}"))?;
    Ok(model)
}

/// How `step` agrees with the judge on `held`.
fn agreement(step: &curate_filters::classifier::Classifier, held: &[Example], majority: &str) -> Agreement {
    let mut outcomes = Vec::with_capacity(held.len()); // (judge's label, classifier's)
    let mut pairs = Vec::new();
    for e in held {
        let ranked = step.predict(&e.text);
        outcomes.push((e.label.as_str(), ranked.first().map_or(String::new(), |(l, _)| l.clone())));
        let predicted = step.expected(&ranked);
        if let (Some(a), Some(b)) = (predicted, e.expected) {
            pairs.push((a, b));
        }
    }
    let n = held.len().max(1) as f64;
    let right = outcomes.iter().filter(|(t, p)| t == p).count();
    let truths: std::collections::BTreeSet<&str> = outcomes.iter().map(|(t, _)| *t).collect();
    let f1s: Vec<f64> = truths
        .iter()
        .map(|&label| {
            let tp = outcomes.iter().filter(|(t, p)| *t == label && p == label).count();
            let fp = outcomes.iter().filter(|(t, p)| *t != label && p == label).count();
            let fn_ = outcomes.iter().filter(|(t, p)| *t == label && p != label).count();
            if tp == 0 {
                0.0
            } else {
                2.0 * tp as f64 / (2 * tp + fp + fn_) as f64
            }
        })
        .collect();
    Agreement {
        documents: held.len(),
        accuracy: right as f64 / n,
        majority_baseline: held.iter().filter(|e| e.label == majority).count() as f64 / n,
        macro_f1: if f1s.is_empty() { 0.0 } else { f1s.iter().sum::<f64>() / f1s.len() as f64 },
        spearman: (pairs.len() >= 3 && pairs.len() == held.len()).then(|| spearman(&pairs)),
    }
}

/// Ranks of `values` (1-based; ties share their mean rank).
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            out[k] = rank;
        }
        i = j + 1;
    }
    out
}

/// Spearman's rank correlation of the pairs (Pearson's of their ranks); 0 when a side is
/// constant.
pub fn spearman(pairs: &[(f64, f64)]) -> f64 {
    let a = ranks(&pairs.iter().map(|p| p.0).collect::<Vec<_>>());
    let b = ranks(&pairs.iter().map(|p| p.1).collect::<Vec<_>>());
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(&b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let (va, vb): (f64, f64) =
        (a.iter().map(|x| (x - ma).powi(2)).sum(), b.iter().map(|y| (y - mb).powi(2)).sum());
    if va == 0.0 || vb == 0.0 {
        0.0
    } else {
        cov / (va * vb).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_of_ranks() {
        assert!((spearman(&[(1.0, 10.0), (2.0, 20.0), (3.0, 25.0)]) - 1.0).abs() < 1e-12);
        assert!((spearman(&[(1.0, 3.0), (2.0, 2.0), (3.0, 1.0)]) + 1.0).abs() < 1e-12);
        // Ties share their mean rank: (1, 2.5, 2.5, 4) against (1, 2, 3, 4).
        let r = spearman(&[(1.0, 1.0), (2.0, 2.0), (2.0, 3.0), (3.0, 4.0)]);
        assert!((r - 0.9486832980505138).abs() < 1e-9, "{r}");
        assert_eq!(spearman(&[(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)]), 0.0);
        assert_eq!(ranks(&[3.0, 1.0, 3.0]), vec![2.5, 1.0, 2.5]);
    }
}
