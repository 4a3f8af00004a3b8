//! Benchmark contamination: an n-gram index of evaluation items, and the filter that rejects
//! documents sharing n-grams with them.
//!
//! The index maps the hash of every n-gram (default 13 tokens of normalized text; characters
//! for unspaced scripts such as Chinese, see [`crate::words`]) to the items containing it. It is
//! stored as a folder: `index.json` (parameters and items) and `ngrams.parquet` (hash, item).
//!
//! Beside the n-grams of the text as written, it holds those of the text with its numbers and
//! names masked ([`mask`]): a benchmark item whose names and numbers were changed (a common way
//! around decontamination) keeps its masked n-grams, and is caught as a paraphrase when the
//! document holds most of them. And for items also reworded, the similarity of a whole text to
//! each item ([`similarity`]: Jaccard of masked word bigrams, stored as `similar.parquet`).

pub mod similarity;

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use polars::prelude::*;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::cold_start::judged::JudgeStep;
use crate::dedup::normalize::Normalization;
use crate::dedup::shingles::{shingle_hashes, ShingleUnit};
use crate::{BuildContext, Check, Document, Filter, FilterConfig, FilterError};
use serde_json::{Map, Value};
use similarity::{masked_bigrams, SimilarityIndex};

/// One benchmark item in the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BenchmarkItem {
    /// The benchmark's name, e.g. `gsm8k`.
    pub benchmark: String,
    /// The item's id inside its benchmark.
    pub item_id: String,
    /// Distinct n-grams of the item.
    pub ngrams: u32,
    /// Distinct n-grams of the item with numbers and names masked (0 in indexes made before
    /// masking).
    #[serde(default)]
    pub masked_ngrams: u32,
    /// The item's text (its first 4,000 characters), shown to the judge next to a text whose
    /// similarity is borderline; empty in indexes made before.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
}

/// Set in the hashes of masked n-grams, so they never meet the n-grams of text as written.
const MASKED: u64 = 0x9e37_79b9_7f4a_7c15;

/// Numbers, and capitalized words (names, mostly; a sentence's first word too, which is often a
/// name in word problems: "Natalia sold clips ...").
static NUMBER: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d+(?:[.,]\d+)*").expect("valid regex"));
static NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b\p{Lu}\p{Ll}+\b").expect("valid regex"));

/// `text` with every number written as `0` and every capitalized word as `Name`: what stays of
/// a benchmark item when its names and numbers are changed.
pub fn mask(text: &str) -> String {
    let numbers = NUMBER.replace_all(text, "0");
    NAME.replace_all(&numbers, "Name").into_owned()
}

/// How n-grams are made; stored with the index so queries make them the same way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NgramParams {
    /// Tokens per n-gram.
    pub n: usize,
    /// Normalization applied before tokenizing.
    pub normalization: Normalization,
}

impl Default for NgramParams {
    fn default() -> Self {
        Self { n: 13, normalization: Normalization::default() }
    }
}

impl NgramParams {
    /// Distinct n-gram hashes of `text`.
    pub fn ngrams(&self, text: &str) -> Vec<u64> {
        let mut v = shingle_hashes(&self.normalization.apply(text), ShingleUnit::Words, self.n);
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Distinct n-gram hashes of `text` with its numbers and names masked.
    pub fn masked_ngrams(&self, text: &str) -> Vec<u64> {
        self.ngrams(&mask(text)).into_iter().map(|h| h ^ MASKED).collect()
    }
}

#[derive(Serialize, Deserialize)]
struct IndexHeader {
    params: NgramParams,
    items: Vec<BenchmarkItem>,
}

/// An n-gram index of benchmark items.
#[derive(Debug, Default)]
pub struct NgramIndex {
    /// How n-grams are made.
    pub params: NgramParams,
    /// The items, by position.
    pub items: Vec<BenchmarkItem>,
    postings: HashMap<u64, Vec<u32>>,
    similarity: SimilarityIndex,
}

/// What a document shares with the index.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlap {
    /// The item with the largest share of its n-grams in the document.
    pub item: BenchmarkItem,
    /// N-grams of that item found in the document.
    pub shared: u32,
    /// `shared` over the item's n-grams.
    pub fraction: f64,
    /// The item's position in the index.
    pub position: u32,
}

/// Which n-grams an overlap counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// The text as written.
    Written,
    /// Numbers and names masked.
    Masked,
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> String {
    format!("{}: {e}", path.display())
}

impl NgramIndex {
    /// An empty index with `params`.
    pub fn new(params: NgramParams) -> Self {
        Self { params, ..Default::default() }
    }

    /// Adds one item; items without any n-gram (empty text) are skipped and return `false`.
    pub fn add(&mut self, benchmark: &str, item_id: &str, text: &str) -> bool {
        let grams = self.params.ngrams(text);
        if grams.is_empty() {
            return false;
        }
        let masked = self.params.masked_ngrams(text);
        let ordinal = self.items.len() as u32;
        self.items.push(BenchmarkItem {
            benchmark: benchmark.to_string(),
            item_id: item_id.to_string(),
            ngrams: grams.len() as u32,
            masked_ngrams: masked.len() as u32,
            text: text.chars().take(4000).collect(),
        });
        for g in grams.into_iter().chain(masked) {
            self.postings.entry(g).or_default().push(ordinal);
        }
        self.similarity.push(masked_bigrams(&self.params.normalization, text));
        true
    }

    /// Whether the index holds the items' bigrams for [`NgramIndex::most_similar`] (indexes
    /// made before do not).
    pub fn has_similarity(&self) -> bool {
        !self.similarity.is_empty()
    }

    /// The item most similar to the whole of `text` (masked word bigrams, Jaccard), when one
    /// may reach `at_least`; with its similarity.
    pub fn most_similar(&self, text: &str, at_least: f64) -> Option<(BenchmarkItem, f64)> {
        // A text of many times more words than the largest item has cannot be similar enough
        // (unless it repeats itself throughout): not masked and hashed, so long documents cost
        // nothing here.
        let words = text.split_whitespace().count();
        if words as f64 * at_least > 4.0 * self.similarity.largest() as f64 {
            return None;
        }
        let found =
            self.similarity.most_similar(&masked_bigrams(&self.params.normalization, text), at_least)?;
        Some((self.items[found.item as usize].clone(), found.similarity))
    }

    /// Distinct n-grams in the index.
    pub fn len(&self) -> usize {
        self.postings.len()
    }

    /// Whether the index holds nothing.
    pub fn is_empty(&self) -> bool {
        self.postings.is_empty()
    }

    /// The item sharing the largest fraction of its n-grams with `text`, if any is shared.
    pub fn overlap(&self, text: &str) -> Option<Overlap> {
        self.overlap_in(text, Form::Written)
    }

    /// Whether the index holds masked n-grams (indexes made before masking do not).
    pub fn has_masked(&self) -> bool {
        self.items.iter().any(|i| i.masked_ngrams > 0)
    }

    /// [`NgramIndex::overlap`] over the n-grams of `form`.
    pub fn overlap_in(&self, text: &str, form: Form) -> Option<Overlap> {
        let grams = match form {
            Form::Written => self.params.ngrams(text),
            Form::Masked => self.params.masked_ngrams(text),
        };
        let mut shared: HashMap<u32, u32> = HashMap::new();
        for g in grams {
            if let Some(items) = self.postings.get(&g) {
                for &i in items {
                    *shared.entry(i).or_default() += 1;
                }
            }
        }
        shared
            .into_iter()
            .map(|(i, n)| {
                let item = &self.items[i as usize];
                let of = match form {
                    Form::Written => item.ngrams,
                    Form::Masked => item.masked_ngrams,
                };
                (i, n, n as f64 / of.max(1) as f64)
            })
            .max_by(|a, b| a.2.total_cmp(&b.2).then(b.0.cmp(&a.0)))
            .map(|(i, n, fraction)| Overlap {
                item: self.items[i as usize].clone(),
                shared: n,
                fraction,
                position: i,
            })
    }

    /// The first n-gram of `text` (of `form`) that the item at `position` also has, as words:
    /// the evidence a decision shows.
    pub fn shared_example(&self, text: &str, form: Form, position: u32) -> Option<String> {
        let (source, flip) = match form {
            Form::Written => (self.params.normalization.apply(text), 0),
            Form::Masked => (self.params.normalization.apply(&mask(text)), MASKED),
        };
        let words = crate::words::Words::of(&source);
        let hashes: Vec<u64> =
            words.tokens.iter().map(|w| xxhash_rust::xxh3::xxh3_64(w.as_bytes())).collect();
        if hashes.is_empty() {
            return None;
        }
        let size = self.params.n.max(1).min(hashes.len());
        hashes.windows(size).enumerate().find_map(|(start, window)| {
            let items = self.postings.get(&(crate::dedup::shingles::combine(window) ^ flip))?;
            items.contains(&position).then(|| words.tokens[start..start + size].join(" "))
        })
    }

    /// Writes the index to the folder `dir`.
    pub fn save(&self, dir: &Path) -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| io_err(dir, e))?;
        let header = IndexHeader { params: self.params.clone(), items: self.items.clone() };
        let json = serde_json::to_vec(&header).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("index.json"), json).map_err(|e| io_err(dir, e))?;
        let mut keys: Vec<u64> = self.postings.keys().copied().collect();
        keys.sort_unstable();
        let (mut hashes, mut items) = (Vec::new(), Vec::new());
        for k in keys {
            for &i in &self.postings[&k] {
                hashes.push(k);
                items.push(i);
            }
        }
        let mut df = DataFrame::new(
            hashes.len(),
            vec![Column::new("hash".into(), hashes), Column::new("item".into(), items)],
        )
        .map_err(|e| e.to_string())?;
        let path = dir.join("ngrams.parquet");
        let file = File::create(&path).map_err(|e| io_err(&path, e))?;
        ParquetWriter::new(file).finish(&mut df).map_err(|e| io_err(&path, e))?;
        let (mut items, mut hashes) = (Vec::new(), Vec::new());
        for i in 0..self.similarity.len() {
            for &h in self.similarity.set(i) {
                items.push(i as u32);
                hashes.push(h);
            }
        }
        let mut df = DataFrame::new(
            hashes.len(),
            vec![Column::new("item".into(), items), Column::new("hash".into(), hashes)],
        )
        .map_err(|e| e.to_string())?;
        let path = dir.join(SIMILAR_FILE);
        let file = File::create(&path).map_err(|e| io_err(&path, e))?;
        ParquetWriter::new(file).finish(&mut df).map_err(|e| io_err(&path, e))?;
        Ok(())
    }

    /// Reads an index written by [`NgramIndex::save`].
    pub fn load(dir: &Path) -> Result<Self, String> {
        let header_path = dir.join("index.json");
        let bytes = std::fs::read(&header_path).map_err(|e| {
            format!("{}: {e} (build one with `curate index-benchmarks`)", header_path.display())
        })?;
        let header: IndexHeader = serde_json::from_slice(&bytes).map_err(|e| io_err(&header_path, e))?;
        let path = dir.join("ngrams.parquet");
        let file = File::open(&path).map_err(|e| io_err(&path, e))?;
        let df = ParquetReader::new(file).finish().map_err(|e| io_err(&path, e))?;
        let hashes = df.column("hash").and_then(|c| c.u64().cloned()).map_err(|e| io_err(&path, e))?;
        let items = df.column("item").and_then(|c| c.u32().cloned()).map_err(|e| io_err(&path, e))?;
        let mut postings: HashMap<u64, Vec<u32>> = HashMap::with_capacity(hashes.len());
        for (h, i) in hashes.into_no_null_iter().zip(items.into_no_null_iter()) {
            if i as usize >= header.items.len() {
                return Err(io_err(&path, format!("item {i} out of range")));
            }
            postings.entry(h).or_default().push(i);
        }
        let similarity = load_similarity(dir, header.items.len())?;
        Ok(Self { params: header.params, items: header.items, postings, similarity })
    }
}

/// The file of the items' masked bigrams.
const SIMILAR_FILE: &str = "similar.parquet";

/// The items' bigrams from `dir`, for `items` items; empty for an index made before them.
fn load_similarity(dir: &Path, items: usize) -> Result<SimilarityIndex, String> {
    let mut index = SimilarityIndex::default();
    let path = dir.join(SIMILAR_FILE);
    if !path.exists() {
        return Ok(index);
    }
    let file = File::open(&path).map_err(|e| io_err(&path, e))?;
    let df = ParquetReader::new(file).finish().map_err(|e| io_err(&path, e))?;
    let item = df.column("item").and_then(|c| c.u32().cloned()).map_err(|e| io_err(&path, e))?;
    let hash = df.column("hash").and_then(|c| c.u64().cloned()).map_err(|e| io_err(&path, e))?;
    let mut sets: Vec<Vec<u64>> = vec![Vec::new(); items];
    for (i, h) in item.into_no_null_iter().zip(hash.into_no_null_iter()) {
        sets.get_mut(i as usize).ok_or_else(|| io_err(&path, format!("item {i} out of range")))?.push(h);
    }
    for mut set in sets {
        set.sort_unstable();
        set.dedup();
        index.push(set);
    }
    Ok(index)
}

/// Options of `contamination`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContaminationConfig {
    /// The index folder made by `curate index-benchmarks` (or given with `--benchmarks`).
    pub index: String,
    /// Reject when an item shares more than this fraction of its n-grams with the document;
    /// 0 rejects on any shared n-gram.
    pub max_item_fraction: f64,
    /// Reject as a paraphrase when an item shares at least this fraction of its n-grams with
    /// the document once numbers and names are masked in both; 0 turns the check off.
    pub min_masked_fraction: f64,
    /// Reject as a reworded item when the whole text and an item have at least this Jaccard
    /// similarity of their word bigrams once numbers and names are masked; 0 turns it off.
    pub min_similarity: f64,
    /// With a judge (`--judge`): a text at least this similar to an item, but under
    /// `min_similarity`, is shown to the judge with the item (rule `judge_rule`); 0 never asks.
    pub judge_from: f64,
    /// The judge rule for borderline texts: a shipped rule's name or a TOML file.
    pub judge_rule: String,
}

impl Default for ContaminationConfig {
    fn default() -> Self {
        Self {
            index: String::new(),
            max_item_fraction: 0.0,
            min_masked_fraction: 0.5,
            min_similarity: 0.3,
            judge_from: 0.2,
            judge_rule: "benchmark_reworded".into(),
        }
    }
}

impl FilterConfig for ContaminationConfig {
    const NAME: &'static str = "contamination";
    const DESCRIPTION: &'static str =
        "Benchmark contamination: rejects documents sharing n-grams with indexed evaluation items";

    fn check(&self) -> Result<(), FilterError> {
        // The index may still come from --benchmarks, and is loaded when the run starts.
        if !(0.0..1.0).contains(&self.max_item_fraction) {
            return Err(FilterError::Invalid {
                filter: Self::NAME.into(),
                message: format!("`max_item_fraction` must lie in [0, 1), got {}", self.max_item_fraction),
            });
        }
        for (key, value) in [
            ("judge_from", self.judge_from),
            ("min_similarity", self.min_similarity),
            ("min_masked_fraction", self.min_masked_fraction),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(FilterError::Invalid {
                    filter: Self::NAME.into(),
                    message: format!("`{key}` must lie in [0, 1], got {value}"),
                });
            }
        }
        Ok(())
    }

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        self.build_in(&BuildContext::outside_run())
    }

    fn build_in(&self, ctx: &BuildContext) -> Result<Box<dyn Filter>, FilterError> {
        self.check()?;
        // The borderline judge is asked only when the run has one: contamination works without.
        let judge = match (&ctx.judge, self.judge_from > 0.0 && self.min_similarity > 0.0) {
            (Some(_), true) => Some(JudgeStep::new(Self::NAME, &self.judge_rule, "", ctx)?),
            _ => None,
        };
        let invalid = |message: String| FilterError::Invalid { filter: Self::NAME.into(), message };
        if self.index.is_empty() {
            return Err(invalid("`index` is empty: pass --benchmarks INDEX or set `index`".into()));
        }
        let index = NgramIndex::load(Path::new(&self.index)).map_err(invalid)?;
        Ok(Box::new(NgramContamination {
            index: Arc::new(index),
            max_fraction: self.max_item_fraction,
            min_masked: self.min_masked_fraction,
            min_similarity: self.min_similarity,
            judge_from: self.judge_from.min(self.min_similarity),
            judge,
        }))
    }
}

/// The `contamination` filter.
pub struct NgramContamination {
    index: Arc<NgramIndex>,
    max_fraction: f64,
    min_masked: f64,
    min_similarity: f64,
    judge_from: f64,
    /// The judge for borderline similarities, when the run has one.
    judge: Option<JudgeStep>,
}

impl NgramContamination {
    /// `benchmark_similar`: the item most similar to the whole text, masked bigrams; and the
    /// item, when the similarity is borderline (for the judge).
    fn similar(&self, text: &str) -> (Check, Option<BenchmarkItem>) {
        let at_least = if self.judge.is_some() { self.judge_from } else { self.min_similarity };
        match self.index.most_similar(text, at_least) {
            None => (Check::new("benchmark_similar", Some(0.0), Some(self.min_similarity), true, ""), None),
            Some((item, similarity)) => {
                let reason = format!(
                    "word bigrams {:.0}% like {} item {} once numbers and names are masked (Jaccard)",
                    100.0 * similarity,
                    item.benchmark,
                    item.item_id
                );
                let passed = similarity < self.min_similarity;
                let borderline = passed && similarity >= self.judge_from && !item.text.is_empty();
                let check = Check::new(
                    "benchmark_similar",
                    Some(similarity),
                    Some(self.min_similarity),
                    passed,
                    reason,
                );
                (check, borderline.then_some(item))
            }
        }
    }

    /// The checks of one text, and the item to show the judge with it, if borderline.
    fn checks(&self, text: &str) -> (Vec<Check>, Option<BenchmarkItem>) {
        let mut checks = self.written(text);
        if self.min_masked > 0.0 && self.index.has_masked() {
            checks.push(self.paraphrase(text));
        }
        let mut borderline = None;
        if self.min_similarity > 0.0 && self.index.has_similarity() {
            let (check, item) = self.similar(text);
            checks.push(check);
            borderline = item;
        }
        (checks, borderline)
    }

    /// `benchmark_paraphrase`: the item sharing the largest fraction of its masked n-grams.
    fn paraphrase(&self, text: &str) -> Check {
        let n = self.index.params.n;
        match self.index.overlap_in(text, Form::Masked) {
            None => Check::new("benchmark_paraphrase", Some(0.0), Some(self.min_masked), true, ""),
            Some(o) => {
                let reason = format!(
                    "shares {} of {} {n}-grams ({:.0}%) with {} item {} once numbers and names are masked{}",
                    o.shared,
                    o.item.masked_ngrams,
                    100.0 * o.fraction,
                    o.item.benchmark,
                    o.item.item_id,
                    evidence(self.index.shared_example(text, Form::Masked, o.position))
                );
                let passed = o.fraction < self.min_masked;
                Check::new("benchmark_paraphrase", Some(o.fraction), Some(self.min_masked), passed, reason)
            }
        }
    }
}

impl Filter for NgramContamination {
    fn version(&self) -> &str {
        // 3: benchmark_similar. 4: reasons quote a shared n-gram.
        "4"
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        crate::check_alone(self, doc)
    }

    /// The rules for every document; then, with a judge, one question per borderline document
    /// (its text next to the item's), all in one batch: `judge_benchmark_reworded`.
    fn check_batch(&self, docs: &mut [Document]) -> Result<Vec<Vec<Check>>, FilterError> {
        let (mut out, borderline): (Vec<Vec<Check>>, Vec<Option<BenchmarkItem>>) =
            docs.iter().map(|d| self.checks(&d.text)).unzip();
        let Some(judge) = &self.judge else { return Ok(out) };
        let asked: Vec<(usize, Map<String, Value>)> = borderline
            .into_iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let item = item?;
                let mut record = Map::new();
                record.insert("query".into(), Value::String(docs[i].text.clone()));
                record.insert("reference".into(), Value::String(item.text));
                record.insert("benchmark".into(), Value::String(item.benchmark));
                record.insert("item_id".into(), Value::String(item.item_id));
                Some((i, record))
            })
            .collect();
        if asked.is_empty() {
            return Ok(out);
        }
        let records: Vec<Map<String, Value>> = asked.iter().map(|(_, r)| r.clone()).collect();
        let probabilities = judge.reject_probabilities(&records)?;
        for (k, (i, record)) in asked.iter().enumerate() {
            let mut check = judge.check(probabilities.as_ref().map(|p| p[k]));
            if !check.passed {
                check.reason = format!(
                    "{} (the judge calls it {} item {} reworded)",
                    check.reason, record["benchmark"], record["item_id"]
                );
            }
            out[*i].push(check);
        }
        Ok(out)
    }
}

/// Characters of a shared n-gram a reason quotes.
const EVIDENCE_CHARS: usize = 160;

/// ` (shared: "…")` for a reason, or nothing.
fn evidence(example: Option<String>) -> String {
    match example {
        Some(e) => {
            let cut: String = e.chars().take(EVIDENCE_CHARS).collect();
            let more = if cut.len() < e.len() { "…" } else { "" };
            format!(" (shared: \"{cut}{more}\")")
        }
        None => String::new(),
    }
}

impl NgramContamination {
    /// `benchmark_overlap`: the item sharing the largest fraction of its n-grams as written.
    fn written(&self, text: &str) -> Vec<Check> {
        let n = self.index.params.n;
        match self.index.overlap(text) {
            None => vec![Check::new("benchmark_overlap", Some(0.0), Some(self.max_fraction), true, "")],
            Some(o) => {
                let passed = self.max_fraction > 0.0 && o.fraction <= self.max_fraction;
                let reason = format!(
                    "shares {} of {} {n}-grams ({:.0}%) with {} item {}{}",
                    o.shared,
                    o.item.ngrams,
                    100.0 * o.fraction,
                    o.item.benchmark,
                    o.item.item_id,
                    evidence(self.index.shared_example(text, Form::Written, o.position))
                );
                vec![Check::new(
                    "benchmark_overlap",
                    Some(o.fraction),
                    Some(self.max_fraction),
                    passed,
                    reason,
                )]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_items_inside_documents_and_round_trips() {
        let mut index = NgramIndex::new(NgramParams { n: 5, ..Default::default() });
        assert!(index.add(
            "toy",
            "1",
            "Natalia sold clips to 48 of her friends in April, and then half as many in May."
        ));
        assert!(index.add("toy", "2", "What is the capital city of the small country of Andorra in Europe?"));
        assert!(!index.add("toy", "3", ""));
        let doc = "Here is a puzzle. natalia SOLD clips to 48 of her friends in April — and then half as many in May! Enjoy.";
        let o = index.overlap(doc).unwrap();
        assert_eq!((o.item.item_id.as_str(), o.fraction), ("1", 1.0));
        // The evidence: the first shared 5-gram, as the normalized words.
        let shared = index.shared_example(doc, Form::Written, o.position).unwrap();
        assert_eq!(shared, "natalia sold clips to 48");
        assert_eq!(index.shared_example(doc, Form::Written, 1), None);
        assert!(index.overlap("Nothing to see here at all, just some unrelated words.").is_none());

        let dir = tempfile::tempdir().unwrap();
        index.save(dir.path()).unwrap();
        let back = NgramIndex::load(dir.path()).unwrap();
        assert_eq!(back.items, index.items);
        assert_eq!(back.overlap(doc).unwrap().item.item_id, "1");

        // Names and numbers changed: few n-grams as written, every one masked.
        let changed =
            "Here is a puzzle. Olga sold clips to 52 of her friends in June, and then half as many in July!";
        assert!(back.overlap(changed).is_none_or(|o| o.fraction < 0.5));
        let o = back.overlap_in(changed, Form::Masked).unwrap();
        assert_eq!((o.item.item_id.as_str(), o.fraction), ("1", 1.0));
        // And the items' bigrams come back: a reworded item is found by similarity.
        assert!(back.has_similarity());
        let reworded = "Olga sold clips to 52 of her pals in June, and then half as many in July.";
        let (item, similarity) = back.most_similar(reworded, 0.3).unwrap();
        assert_eq!(item.item_id, "1");
        assert!(similarity >= 0.5, "{similarity}");
    }

    #[test]
    fn masking_keeps_the_shape_of_a_sentence() {
        assert_eq!(
            mask("Natalia sold 48 clips to Tom and Ann in April. Then she sold 2.5 more."),
            "Name sold 0 clips to Name and Name in Name. Name she sold 0 more."
        );
    }
}
