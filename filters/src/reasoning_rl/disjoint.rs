//! `disjoint`: drops candidates that appear in data already used, such as the queries a
//! cold-start run kept, so that RL trains on problems the policy has not been tuned on. A
//! candidate matches by id, by text equal after normalization, or as a near-duplicate
//! (MinHash-LSH, verified by estimated Jaccard similarity); the decision names the matching
//! record and where it is. The excluded records are read once, when the step is built.

use std::collections::HashMap;
use std::path::Path;

use curate_sources::records::records;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use xxhash_rust::xxh3::xxh3_64;

use crate::dedup::minhash::{estimated_jaccard, MinHashParams, MinHasher};
use crate::dedup::normalize::Normalization;
use crate::{Check, Document, Filter, FilterConfig, FilterError};

/// Options of `disjoint`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisjointConfig {
    /// What to stay clear of: run directories (the queries their `kept/` holds) or JSONL and
    /// Parquet files, globs and folders (`--exclude` adds to it).
    pub exclude: Vec<String>,
    /// In excluded files, the field holding the query.
    pub text_field: String,
    /// In excluded files, the field holding the id.
    pub id_field: String,
    /// A candidate with the id of an excluded record is the same problem.
    pub match_ids: bool,
    /// What is ignored when comparing texts.
    pub normalization: Normalization,
    /// Near-duplicate signatures (queries are short: 3-word shingles by default).
    pub minhash: MinHashParams,
    /// Estimated Jaccard similarity from which a candidate is a near-duplicate.
    pub threshold: f64,
}

impl Default for DisjointConfig {
    fn default() -> Self {
        Self {
            exclude: Vec::new(),
            text_field: "query".into(),
            id_field: "id".into(),
            match_ids: true,
            normalization: Normalization::default(),
            minhash: MinHashParams { shingle_size: 3, ..MinHashParams::default() },
            threshold: 0.7,
        }
    }
}

impl FilterConfig for DisjointConfig {
    const NAME: &'static str = "disjoint";
    const DESCRIPTION: &'static str =
        "Reasoning RL: drop candidates already used (cold-start runs or files; same id, same text, near-duplicate)";

    fn check(&self) -> Result<(), FilterError> {
        self.validate()
    }

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        self.validate()?;
        let mut index = ExcludeIndex {
            hasher: MinHasher::new(self.minhash.clone()),
            records: Vec::new(),
            ids: HashMap::new(),
            texts: HashMap::new(),
            bands: HashMap::new(),
            signatures: Vec::new(),
        };
        for spec in &self.exclude {
            index.add_spec(spec, self).map_err(|message| FilterError::Invalid {
                filter: Self::NAME.into(),
                message: format!("exclude `{spec}`: {message}"),
            })?;
        }
        Ok(Box::new(Disjoint { config: self.clone(), index }))
    }
}

impl DisjointConfig {
    /// Checks the options without reading the excluded records.
    fn validate(&self) -> Result<(), FilterError> {
        if !(0.0..=1.0).contains(&self.threshold) || self.minhash.bands == 0 || self.minhash.rows == 0 {
            return Err(FilterError::Invalid {
                filter: Self::NAME.into(),
                message: "threshold must lie in 0..=1, and minhash bands and rows must be positive".into(),
            });
        }
        Ok(())
    }
}

/// Where an excluded record came from.
#[derive(Debug, Clone)]
struct Excluded {
    id: String,
    place: String,
}

/// The excluded records: ids, hashes of normalized texts, MinHash signatures and LSH bands
/// (about half a kilobyte per record with the default 112 hash functions).
struct ExcludeIndex {
    hasher: MinHasher,
    records: Vec<Excluded>,
    ids: HashMap<String, u32>,
    texts: HashMap<u64, u32>,
    bands: HashMap<u64, Vec<u32>>,
    signatures: Vec<Vec<u32>>,
}

impl ExcludeIndex {
    /// Adds a run directory's kept queries, or the records of files.
    fn add_spec(&mut self, spec: &str, config: &DisjointConfig) -> Result<(), String> {
        let path = Path::new(spec);
        let run = path.join("manifest.json").is_file() && path.join("kept").is_dir();
        let (inputs, text_field, id_field) = if run {
            let kept = path.join("kept").join("*.parquet").to_string_lossy().into_owned();
            match curate_sources::input::expand(&[kept]) {
                Ok(inputs) => (inputs, "text", "id"),
                // A run that kept nothing excludes nothing.
                Err(curate_sources::SourceError::NoMatch(_)) => return Ok(()),
                Err(e) => return Err(e.to_string()),
            }
        } else {
            let inputs = curate_sources::input::expand(&[spec.to_string()]).map_err(|e| e.to_string())?;
            (inputs, config.text_field.as_str(), config.id_field.as_str())
        };
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        for input in &inputs {
            for (line, record) in
                records(input, text_field, id_field, tmp.path()).map_err(|e| e.to_string())?
            {
                let text = match record.get(text_field) {
                    Some(Value::String(s)) => s.clone(),
                    _ => return Err(format!("{}:{line}: no string field `{text_field}`", input.name)),
                };
                let id = match record.get(id_field) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => curate_sources::parse::derived_id(&input.name, line),
                };
                // A run's kept rows name the input line they came from.
                let place = match (record.get("source_file"), record.get("source_line")) {
                    (Some(Value::String(file)), Some(line)) if run => format!("{file}:{line} via run {spec}"),
                    _ => format!("{}:{line}", input.name),
                };
                self.add(id, place, &text, config);
            }
        }
        Ok(())
    }

    fn add(&mut self, id: String, place: String, text: &str, config: &DisjointConfig) {
        let at = self.records.len() as u32;
        let normalized = config.normalization.apply(text);
        self.texts.entry(xxh3_64(normalized.as_bytes())).or_insert(at);
        let signature = self.hasher.signature(&normalized);
        if !signature.is_empty() {
            for band in self.hasher.band_hashes(&signature) {
                self.bands.entry(band).or_default().push(at);
            }
        }
        self.signatures.push(signature);
        self.ids.entry(id.clone()).or_insert(at);
        self.records.push(Excluded { id, place });
    }

    /// The most similar excluded record sharing a band with `signature`, and the similarity.
    fn nearest(&self, signature: &[u32]) -> Option<(u32, f64)> {
        if signature.is_empty() {
            return None;
        }
        let mut best: Option<(u32, f64)> = None;
        for band in self.hasher.band_hashes(signature) {
            for &at in self.bands.get(&band).map_or(&[][..], Vec::as_slice) {
                let similarity = estimated_jaccard(signature, &self.signatures[at as usize]);
                if best.is_none_or(|(_, s)| similarity > s) {
                    best = Some((at, similarity));
                }
            }
        }
        best
    }
}

/// The `disjoint` filter.
pub struct Disjoint {
    config: DisjointConfig,
    index: ExcludeIndex,
}

impl Disjoint {
    fn named(&self, at: u32) -> String {
        let r = &self.index.records[at as usize];
        format!("`{}` ({})", r.id, r.place)
    }
}

impl Filter for Disjoint {
    fn version(&self) -> &str {
        "1"
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        let index = &self.index;
        if self.config.match_ids {
            if let Some(&at) = index.ids.get(&doc.id) {
                let reason = format!("excluded_id: the id is that of excluded record {}", self.named(at));
                return vec![Check::new("excluded_id", None, None, false, reason)];
            }
        }
        let normalized = self.config.normalization.apply(&doc.text);
        if let Some(&at) = index.texts.get(&xxh3_64(normalized.as_bytes())) {
            let reason = format!("excluded_text: same text as excluded record {}", self.named(at));
            return vec![Check::new("excluded_text", Some(1.0), Some(1.0), false, reason)];
        }
        let signature = index.hasher.signature(&normalized);
        let threshold = self.config.threshold;
        let rule = "excluded_near_duplicate";
        let check = match index.nearest(&signature) {
            // A similarity equal to the threshold is a near-duplicate, as in `minhash_dedup`.
            Some((at, score)) if score >= threshold => {
                let reason = format!(
                    "{rule}: similarity {score:.3} (at least {threshold}) to excluded record {}",
                    self.named(at)
                );
                Check::new(rule, Some(score), Some(threshold), false, reason)
            }
            nearest => Check::new(rule, Some(nearest.map_or(0.0, |(_, s)| s)), Some(threshold), true, ""),
        };
        vec![check]
    }
}
