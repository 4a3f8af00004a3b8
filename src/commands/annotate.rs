//! `curate annotate`: a judge labels a sample of documents along named dimensions (judge rules
//! of kind `score`: educational value 0–5, a domain taxonomy, ...), the first tier of
//! annotation at scale; `curate train-classifier` distils the labels into a classifier that a
//! stage's `classifier` step applies to every document.
//!
//! The sample is the `--sample` documents whose ids hash lowest under `--seed`: the same set
//! whatever the input order or sharding, read in one streaming pass (memory holds the sample,
//! not the corpus). Answers go through the verdict cache, so a rerun asks nothing again.
//! Writes `OUT/labels.parquet` (one row per document: its text, then per dimension the label,
//! its probability, the expected value for numeric labels and every label's probability) and
//! `OUT/annotate.json` (judge, dimensions, sample, cache use).

use std::collections::{BTreeMap, BinaryHeap};
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use curate_judges::{JudgeRule, RuleKind, SharedJudge, VerdictCache};
use curate_sources::writer::ParquetShard;
use polars::prelude::{Column, DataFrame};
use serde::Serialize;
use serde_json::json;

use crate::cli::AnnotateArgs;
use crate::documents::{for_each, Unreadable};

/// A sampled document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Sampled {
    /// Its id's hash under the seed: the sample keeps the lowest.
    key: u64,
    id: String,
    text: String,
    source_file: String,
    source_line: u64,
}

/// One dimension's answers, in sample order.
struct Labels {
    rule: JudgeRule,
    probabilities: Vec<Vec<f64>>,
}

/// What `annotate.json` records.
#[derive(Debug, Serialize)]
struct Report<'a> {
    judge: String,
    dimensions: Vec<Dimension<'a>>,
    seed: u64,
    sample: usize,
    documents_read: u64,
    unreadable: u64,
    max_chars: usize,
    cache_hits: u64,
    cache_misses: u64,
    seconds: f64,
}

/// A dimension in the report: the rule, and how many documents got each label.
#[derive(Debug, Serialize)]
struct Dimension<'a> {
    name: &'a str,
    version: &'a str,
    labels: &'a [String],
    counts: BTreeMap<&'a str, usize>,
}

/// Runs `curate annotate`.
pub fn run(args: &AnnotateArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let rules: Vec<JudgeRule> = args
        .dimensions
        .iter()
        .map(|d| JudgeRule::load(d).map_err(anyhow::Error::from))
        .collect::<Result<_>>()?;
    for rule in &rules {
        if rule.kind != RuleKind::Score {
            bail!("dimension `{}`: an annotation rule scores labels (kind = \"score\")", rule.name);
        }
        if !rule.template.contains("{text}") {
            bail!("dimension `{}`: its template must show the document as {{text}}", rule.name);
        }
    }
    if args.sample == 0 {
        bail!("--sample must be at least 1");
    }
    let (sample, read, unreadable) = sample_documents(args)?;
    if sample.is_empty() {
        bail!("no documents read from {:?}", args.input);
    }
    eprintln!("annotate: {} of {read} documents sampled (seed {})", sample.len(), args.seed);
    if let Some(first) = &unreadable.first {
        eprintln!("annotate: {} unreadable records skipped; the first: {first}", unreadable.count);
    }

    let (backend, in_process) = crate::judge_backend::open(&args.model.spec(false))?;
    let cache_path = args.cache.clone().unwrap_or_else(crate::judge_backend::default_cache);
    let cache = Arc::new(VerdictCache::open(&cache_path)?);
    let judge = SharedJudge::new(backend, Some(cache), in_process);

    let mut answers = Vec::new();
    for rule in rules {
        let key = format!("{}@{}", rule.name, rule.version);
        let mut probabilities = Vec::with_capacity(sample.len());
        for chunk in sample.chunks(CHUNK) {
            let requests = chunk
                .iter()
                .map(|d| rule.score_request(&json!({ "id": d.id, "text": head(&d.text, args.max_chars) })))
                .collect::<Result<Vec<_>, _>>()?;
            probabilities
                .extend(judge.score(&key, &requests).with_context(|| format!("asking the judge ({key})"))?);
            eprintln!("annotate: {key}: {} of {}", probabilities.len(), sample.len());
        }
        answers.push(Labels { rule, probabilities });
    }

    std::fs::create_dir_all(&args.output).with_context(|| format!("creating {}", args.output.display()))?;
    write_labels(&args.output.join("labels.parquet"), &sample, &answers)?;
    let usage = judge.usage();
    let report = Report {
        judge: usage.identity.clone(),
        dimensions: answers
            .iter()
            .map(|a| {
                let mut counts = BTreeMap::new();
                for p in &a.probabilities {
                    *counts.entry(a.rule.labels[best(p)].as_str()).or_default() += 1;
                }
                Dimension { name: &a.rule.name, version: &a.rule.version, labels: &a.rule.labels, counts }
            })
            .collect(),
        seed: args.seed,
        sample: sample.len(),
        documents_read: read,
        unreadable: unreadable.count,
        max_chars: args.max_chars,
        cache_hits: usage.cache_hits,
        cache_misses: usage.cache_misses,
        seconds: started.elapsed().as_secs_f64(),
    };
    let path = args.output.join("annotate.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    for d in &report.dimensions {
        let counts: Vec<String> = d.counts.iter().map(|(l, n)| format!("{l} {n}")).collect();
        outln!("{}@{}: {}", d.name, d.version, counts.join(", "));
    }
    outln!(
        "{} documents labelled by {} ({} answers from the verdict cache, {} asked) -> {}",
        sample.len(),
        report.judge,
        report.cache_hits,
        report.cache_misses,
        args.output.join("labels.parquet").display()
    );
    Ok(())
}

/// Documents asked about at once (progress is printed after each).
const CHUNK: usize = 64;

/// The `--sample` documents of the inputs whose ids hash lowest under the seed, in hash order;
/// how many documents were read, and what could not be read.
fn sample_documents(args: &AnnotateArgs) -> Result<(Vec<Sampled>, u64, Unreadable)> {
    let inputs = curate_sources::input::expand(&args.input)?;
    let fields = curate_sources::FieldNames { text: args.text_field.clone(), id: args.id_field.clone() };
    let tmp = crate::records::tempfile_dir()?;
    let mut heap: BinaryHeap<Sampled> = BinaryHeap::with_capacity(args.sample + 1);
    let (mut read, mut unreadable) = (0u64, Unreadable::default());
    for input in &inputs {
        for_each(input, &fields, &tmp, &mut unreadable, |doc| {
            read += 1;
            let key = xxhash_rust::xxh3::xxh3_64_with_seed(doc.id.as_bytes(), args.seed);
            if heap.len() < args.sample || heap.peek().is_some_and(|top| key < top.key) {
                heap.push(Sampled {
                    key,
                    id: doc.id,
                    text: doc.text,
                    source_file: doc.source.to_string(),
                    source_line: doc.line,
                });
                if heap.len() > args.sample {
                    heap.pop();
                }
            }
        });
    }
    let _ = std::fs::remove_dir_all(&tmp);
    Ok((heap.into_sorted_vec(), read, unreadable))
}

/// The first `max_chars` characters of `text` (all of it for 0).
fn head(text: &str, max_chars: usize) -> &str {
    match max_chars {
        0 => text,
        n => text.char_indices().nth(n).map_or(text, |(i, _)| &text[..i]),
    }
}

/// The index of the most probable label (the first of equals).
fn best(probabilities: &[f64]) -> usize {
    let mut best = 0;
    for (i, p) in probabilities.iter().enumerate() {
        if *p > probabilities[best] {
            best = i;
        }
    }
    best
}

/// The expected value of numeric labels ("0" to "5"), or `None` when a label is not a number.
pub fn expected(labels: &[String], probabilities: &[f64]) -> Option<f64> {
    let values: Vec<f64> = labels.iter().map(|l| l.trim().parse::<f64>().ok()).collect::<Option<_>>()?;
    let total: f64 = probabilities.iter().sum();
    (total > 0.0).then(|| values.iter().zip(probabilities).map(|(v, p)| v * p).sum::<f64>() / total)
}

/// Writes `labels.parquet`: the documents, then per dimension `<name>` (the label),
/// `<name>_probability`, `<name>_expected` (numeric labels) and `<name>_probabilities` (JSON).
fn write_labels(path: &Path, sample: &[Sampled], answers: &[Labels]) -> Result<()> {
    let mut columns = vec![
        Column::new("id".into(), sample.iter().map(|d| d.id.as_str()).collect::<Vec<_>>()),
        Column::new("text".into(), sample.iter().map(|d| d.text.as_str()).collect::<Vec<_>>()),
        Column::new("source_file".into(), sample.iter().map(|d| d.source_file.as_str()).collect::<Vec<_>>()),
        Column::new("source_line".into(), sample.iter().map(|d| d.source_line).collect::<Vec<_>>()),
    ];
    for a in answers {
        let name = &a.rule.name;
        let labels = &a.rule.labels;
        columns.push(Column::new(
            name.as_str().into(),
            a.probabilities.iter().map(|p| labels[best(p)].as_str()).collect::<Vec<_>>(),
        ));
        columns.push(Column::new(
            format!("{name}_probability").into(),
            a.probabilities.iter().map(|p| p[best(p)]).collect::<Vec<_>>(),
        ));
        columns.push(Column::new(
            format!("{name}_expected").into(),
            a.probabilities.iter().map(|p| expected(labels, p)).collect::<Vec<_>>(),
        ));
        columns.push(Column::new(
            format!("{name}_probabilities").into(),
            a.probabilities
                .iter()
                .map(|p| {
                    let map: serde_json::Map<String, serde_json::Value> =
                        labels.iter().zip(p).map(|(l, v)| (l.clone(), json!(v))).collect();
                    serde_json::Value::Object(map).to_string()
                })
                .collect::<Vec<_>>(),
        ));
    }
    let df = DataFrame::new(sample.len(), columns)?;
    let mut shard = ParquetShard::create(path, df.schema())?;
    shard.write(&df)?;
    shard.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_values_of_numeric_labels() {
        let labels: Vec<String> = ["0", "1", "2"].iter().map(|s| s.to_string()).collect();
        assert_eq!(expected(&labels, &[0.0, 0.5, 0.5]), Some(1.5));
        // Probabilities of the labels alone need not add up to one.
        assert_eq!(expected(&labels, &[0.0, 0.25, 0.25]), Some(1.5));
        let words: Vec<String> = ["math", "code"].iter().map(|s| s.to_string()).collect();
        assert_eq!(expected(&words, &[0.5, 0.5]), None);
        assert_eq!(best(&[0.2, 0.5, 0.3]), 1);
        assert_eq!(head("héllo", 2), "hé");
    }
}
