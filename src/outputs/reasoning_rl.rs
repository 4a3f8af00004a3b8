//! The reasoning-RL selection, run after the filters over every eligible query (`kept/`): the
//! target count is shared among domains by quotas (fixed ones from the config, the rest in
//! proportion to each domain's eligible queries, with a floor), and each domain takes its
//! hardest queries first (lowest pass rate; ties in the order of a seeded hash of the id, so the
//! same seed picks the same set whatever the input order). Writes `rl/rl.parquet` and
//! `rl/rl.jsonl` (query, verifier, domain, pass rate), `rl/selection.parquet` (every eligible
//! query: domain, pass rate, rank in its domain, quota, selected) and one `select` decision per
//! eligible query (`decisions/_select.parquet`), so SQL over the run reproduces the selection. Rerunning
//! with another `--target` redoes only this pass.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use curate_schemas::output::{self, DecisionTable};
use curate_schemas::DecisionRow;
use curate_sources::writer::ParquetShard;
use polars::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use crate::engine::row_groups::flush;
use crate::records::meta_json;

pub use crate::selection_config::SelectionConfig;

/// Where the selection reads the verifier from: the `pass_rate` step's fields.
pub struct VerifierFields {
    /// The reference answer's field.
    pub reference: String,
    /// The tests' field.
    pub tests: String,
}

/// One domain's part of the selection.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct DomainShare {
    /// Queries that passed every filter.
    pub eligible: u64,
    /// Its quota.
    pub quota: u64,
    /// Queries selected (the quota, unless fewer are eligible).
    pub selected: u64,
}

/// What the selection did, for the summary and the manifest.
#[derive(Debug, Default, Serialize)]
pub struct RlOutputs {
    /// The target asked for (0: everything eligible).
    pub target: usize,
    /// Queries that passed every filter.
    pub eligible: u64,
    /// Queries selected.
    pub selected: u64,
    /// Per domain: eligible, quota, selected.
    pub domains: BTreeMap<String, DomainShare>,
    /// Pass rates (as `passes/samples`) of the eligible and of the selected queries.
    pub pass_rates: BTreeMap<String, (u64, u64)>,
}

/// Shares `target` among domains with `available[d]` eligible queries each: fixed quotas first
/// (capped by what is available), then at least `floor` per other domain, then one at a time
/// to the domain furthest below its proportional share. The quotas add up to
/// `min(target, total available)`; a `target` of 0 takes everything.
pub fn quotas(
    available: &BTreeMap<String, usize>,
    target: usize,
    floor: usize,
    fixed: &BTreeMap<String, usize>,
) -> Result<BTreeMap<String, usize>> {
    let total: usize = available.values().sum();
    if target == 0 || target >= total {
        return Ok(available.clone());
    }
    let fixed_sum: usize = fixed.iter().map(|(d, &q)| q.min(available.get(d).copied().unwrap_or(0))).sum();
    if fixed_sum > target {
        bail!("the fixed [selection] quotas add up to {fixed_sum}, more than the target {target}");
    }
    let mut out: BTreeMap<String, usize> = BTreeMap::new();
    let rest: Vec<(&String, usize)> =
        available.iter().filter(|(d, _)| !fixed.contains_key(*d)).map(|(d, &n)| (d, n)).collect();
    for (d, &n) in available {
        if let Some(&q) = fixed.get(d) {
            out.insert(d.clone(), q.min(n));
        }
    }
    let share = target - fixed_sum;
    let rest_total: usize = rest.iter().map(|(_, n)| n).sum();
    // The floor, lowered when the floors alone would pass the share.
    let floor = floor.min(share / rest.len().max(1));
    for &(d, n) in &rest {
        out.insert(d.clone(), floor.min(n));
    }
    let mut left = share.saturating_sub(rest.iter().map(|(d, _)| out[*d]).sum());
    let ideal = |n: usize| share as f64 * n as f64 / rest_total.max(1) as f64;
    while left > 0 {
        let next = rest
            .iter()
            .filter(|(d, n)| out[*d] < *n)
            .map(|&(d, n)| (d, ideal(n) - out[d] as f64))
            .fold(None::<(&String, f64)>, |best, (d, gap)| match best {
                Some((_, g)) if g >= gap => best,
                _ => Some((d, gap)),
            });
        let Some((d, _)) = next else { break };
        *out.get_mut(d).expect("domain has a quota") += 1;
        left -= 1;
    }
    Ok(out)
}

/// One eligible query, as the selection sees it.
struct Candidate {
    id: String,
    source: String,
    domain: String,
    rate: f64,
    samples: u64,
    /// Right responses out of samples, e.g. `3/8`.
    passes: String,
    tie: u64,
}

fn candidate(id: String, source: String, meta: &Value, seed: u64) -> Candidate {
    let domain = meta.get("domain").and_then(Value::as_str).unwrap_or("unlabelled").to_string();
    let rate = meta.get("curate_pass_rate").and_then(Value::as_f64).unwrap_or(f64::NAN);
    let samples = meta.get("curate_samples").and_then(Value::as_u64).unwrap_or(0);
    let passes = format!("{}/{samples}", (rate * samples as f64).round() as u64);
    let tie = xxhash_rust::xxh3::xxh3_64_with_seed(id.as_bytes(), seed);
    Candidate { id, source, domain, rate, samples, passes, tie }
}

fn rl_schema() -> Schema {
    [
        ("id", DataType::String),
        ("query", DataType::String),
        ("reference_answer", DataType::String),
        ("tests", DataType::String),
        ("domain", DataType::String),
        ("pass_rate", DataType::Float64),
        ("samples", DataType::UInt64),
        ("rank_in_domain", DataType::UInt64),
    ]
    .into_iter()
    .map(|(n, t)| Field::new(n.into(), t))
    .collect()
}

/// Selects and writes the outputs of the run at `root`.
pub fn write(
    root: &Path,
    stage: &str,
    config: &SelectionConfig,
    fields: &VerifierFields,
) -> Result<RlOutputs> {
    let conn = crate::sql::open(root)?;
    let mut out = RlOutputs { target: config.target, ..Default::default() };
    let mut candidates = Vec::new();
    {
        let mut stmt = conn.prepare("SELECT id, source_file, meta FROM kept")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let meta = meta_json(row.get::<_, Option<String>>(2)?.as_deref());
            candidates.push(candidate(row.get(0)?, row.get(1)?, &meta, config.seed));
        }
    }
    // Hardest first inside each domain; the seeded hash orders equally hard ones. A query
    // without a measured pass rate (a config without `pass_rate`) comes last.
    candidates.sort_by(|a, b| {
        a.domain.cmp(&b.domain).then(a.rate.total_cmp(&b.rate)).then(a.tie.cmp(&b.tie)).then(a.id.cmp(&b.id))
    });
    let mut available: BTreeMap<String, usize> = BTreeMap::new();
    for c in &candidates {
        *available.entry(c.domain.clone()).or_default() += 1;
    }
    let quotas = quotas(&available, config.target, config.min_per_domain, &config.quotas)?;

    let decisions_path = root.join("decisions").join("_select.parquet");
    let mut decisions =
        (DecisionTable::default(), ParquetShard::create(&decisions_path, &output::decisions_schema())?);
    let (stage, step, rule, version): (Arc<str>, Arc<str>, Arc<str>, Arc<str>) =
        (stage.into(), "select".into(), "domain_quota".into(), "1".into());
    // Selected queries: their place in `candidates` and their rank in their domain.
    let mut selected: HashMap<&str, (usize, u64)> = HashMap::new();
    let mut rank_in_domain: HashMap<&str, u64> = HashMap::new();
    let mut table = SelectionColumns::default();
    for (at, c) in candidates.iter().enumerate() {
        let rank = rank_in_domain.entry(&c.domain).or_default();
        *rank += 1;
        let quota = quotas.get(&c.domain).copied().unwrap_or(0) as u64;
        let kept = *rank <= quota;
        let share = out.domains.entry(c.domain.clone()).or_default();
        share.eligible += 1;
        share.quota = quota;
        out.eligible += 1;
        let rates = out.pass_rates.entry(c.passes.clone()).or_default();
        rates.0 += 1;
        if kept {
            share.selected += 1;
            out.selected += 1;
            rates.1 += 1;
            selected.insert(&c.id, (at, *rank));
        }
        table.id.push(c.id.clone());
        table.domain.push(c.domain.clone());
        table.rate.push(c.rate);
        table.passes.push(c.passes.clone());
        table.rank.push(*rank);
        table.quota.push(quota);
        table.selected.push(kept);
        decisions.0.push(DecisionRow {
            id: c.id.clone(),
            item: None,
            source_file: c.source.as_str().into(),
            stage: stage.clone(),
            step: step.clone(),
            rule: rule.clone(),
            rule_version: version.clone(),
            score: Some(c.rate),
            threshold: None,
            kept,
            reason: (!kept).then(|| {
                format!(
                    "select: domain `{}` has a quota of {quota}, filled by queries at least as hard \
                     (this one ranks {} of {}, pass rate {})",
                    c.domain, rank, available[&c.domain], c.passes
                )
            }),
        });
        flush(&mut decisions, false)?;
    }
    flush(&mut decisions, true)?;
    decisions.1.commit()?;

    std::fs::create_dir_all(root.join("rl")).context("creating rl/")?;
    table.write(&root.join("rl").join("selection.parquet"))?;

    // The selected queries with their verifiers, in id order.
    let jsonl_path = root.join("rl").join("rl.jsonl");
    let tmp = jsonl_path.with_extension("jsonl.tmp");
    let mut jsonl =
        BufWriter::new(std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?);
    let mut shard = ParquetShard::create(&root.join("rl").join("rl.parquet"), &rl_schema())?;
    let mut columns = RlColumns::default();
    let mut stmt = conn.prepare("SELECT id, text, meta FROM kept ORDER BY id")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        let Some(&(at, rank)) = selected.get(id.as_str()) else { continue };
        let c = &candidates[at];
        let query: String = row.get(1)?;
        let meta = meta_json(row.get::<_, Option<String>>(2)?.as_deref());
        let reference = meta.get(&fields.reference).filter(|v| !v.is_null());
        let tests = meta.get(&fields.tests).filter(|v| !v.is_null());
        let mut record = json!({"id": c.id, "query": query, "domain": c.domain, "pass_rate": c.rate,
                                "samples": c.samples, "rank_in_domain": rank});
        if let Some(r) = reference {
            record["reference_answer"] = r.clone();
        }
        if let Some(t) = tests {
            record["tests"] = t.clone();
        }
        writeln!(jsonl, "{record}")?;
        let as_text = |v: Option<&Value>| v.map(|v| v.as_str().map_or_else(|| v.to_string(), String::from));
        columns.push(c, query, as_text(reference), as_text(tests), rank);
        if columns.id.len() >= 10_000 {
            columns.flush(&mut shard)?;
        }
    }
    columns.flush(&mut shard)?;
    shard.commit()?;
    jsonl.flush()?;
    drop(jsonl);
    std::fs::rename(&tmp, &jsonl_path).with_context(|| format!("writing {}", jsonl_path.display()))?;
    Ok(out)
}

/// Every eligible query with its place in the selection (`rl/selection.parquet`).
#[derive(Default)]
struct SelectionColumns {
    id: Vec<String>,
    domain: Vec<String>,
    rate: Vec<f64>,
    passes: Vec<String>,
    rank: Vec<u64>,
    quota: Vec<u64>,
    selected: Vec<bool>,
}

impl SelectionColumns {
    fn write(self, path: &Path) -> Result<()> {
        let height = self.id.len();
        let df = DataFrame::new(
            height,
            vec![
                Column::new("id".into(), self.id),
                Column::new("domain".into(), self.domain),
                Column::new("pass_rate".into(), self.rate),
                Column::new("passes".into(), self.passes),
                Column::new("rank_in_domain".into(), self.rank),
                Column::new("quota".into(), self.quota),
                Column::new("selected".into(), self.selected),
            ],
        )?;
        let mut shard = ParquetShard::create(path, df.schema())?;
        if height > 0 {
            shard.write(&df)?;
        }
        shard.commit()?;
        Ok(())
    }
}

/// Buffered rows of `rl.parquet`.
#[derive(Default)]
struct RlColumns {
    id: Vec<String>,
    query: Vec<String>,
    reference: Vec<Option<String>>,
    tests: Vec<Option<String>>,
    domain: Vec<String>,
    rate: Vec<f64>,
    samples: Vec<u64>,
    rank: Vec<u64>,
}

impl RlColumns {
    fn push(
        &mut self,
        c: &Candidate,
        query: String,
        reference: Option<String>,
        tests: Option<String>,
        rank: u64,
    ) {
        self.id.push(c.id.clone());
        self.query.push(query);
        self.reference.push(reference);
        self.tests.push(tests);
        self.domain.push(c.domain.clone());
        self.rate.push(c.rate);
        self.samples.push(c.samples);
        self.rank.push(rank);
    }

    fn flush(&mut self, shard: &mut ParquetShard) -> Result<()> {
        let height = self.id.len();
        let df = DataFrame::new(
            height,
            vec![
                Column::new("id".into(), std::mem::take(&mut self.id)),
                Column::new("query".into(), std::mem::take(&mut self.query)),
                Column::new("reference_answer".into(), std::mem::take(&mut self.reference)),
                Column::new("tests".into(), std::mem::take(&mut self.tests)),
                Column::new("domain".into(), std::mem::take(&mut self.domain)),
                Column::new("pass_rate".into(), std::mem::take(&mut self.rate)),
                Column::new("samples".into(), std::mem::take(&mut self.samples)),
                Column::new("rank_in_domain".into(), std::mem::take(&mut self.rank)),
            ],
        )?;
        shard.write(&df)?;
        Ok(())
    }
}

/// The summary lines of the selection.
pub fn render(rl: &RlOutputs) -> String {
    let mut s = String::new();
    let target =
        if rl.target == 0 { "every eligible query".to_string() } else { format!("target {}", rl.target) };
    s += &format!("selected {} of {} eligible queries ({target})\n", rl.selected, rl.eligible);
    s += &format!("  {:<32} {:>9} {:>7} {:>9}\n", "domain", "eligible", "quota", "selected");
    for (d, share) in &rl.domains {
        s += &format!("  {d:<32} {:>9} {:>7} {:>9}\n", share.eligible, share.quota, share.selected);
    }
    s += &format!("  {:<32} {:>9} {:>17}\n", "pass rate (right/samples)", "eligible", "selected");
    for (rate, (eligible, selected)) in &rl.pass_rates {
        s += &format!("  {rate:<32} {eligible:>9} {selected:>17}\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
        pairs.iter().map(|(d, n)| (d.to_string(), *n)).collect()
    }

    #[test]
    fn quotas_are_proportional_with_a_floor_and_add_up_to_the_target() {
        let available = map(&[("code", 60), ("math.algebra", 300), ("physics", 3), ("logic", 37)]);
        let q = quotas(&available, 100, 5, &BTreeMap::new()).unwrap();
        assert_eq!(q.values().sum::<usize>(), 100);
        assert_eq!(q["physics"], 3, "a floor above what is available takes everything");
        assert_eq!(q["logic"], 9, "{q:?}");
        assert!(q["math.algebra"] > q["code"] && q["code"] > q["logic"], "{q:?}");
        // Fixed quotas are kept; the others share the rest.
        let q = quotas(&available, 100, 5, &map(&[("code", 50)])).unwrap();
        assert_eq!((q["code"], q.values().sum::<usize>()), (50, 100));
        assert!(quotas(&available, 40, 5, &map(&[("code", 50)])).is_err());
        // A target above what is eligible takes everything; so does 0.
        assert_eq!(quotas(&available, 1000, 5, &BTreeMap::new()).unwrap(), available);
        assert_eq!(quotas(&available, 0, 5, &BTreeMap::new()).unwrap(), available);
        // Floors that alone would pass the target are lowered.
        let q = quotas(&available, 6, 5, &BTreeMap::new()).unwrap();
        assert_eq!(q.values().sum::<usize>(), 6);
        assert!(q.values().all(|&n| n >= 1), "{q:?}");
    }
}
