//! Per rule: how many records it decided and failed, how many it rejected first, the histogram
//! of its score over every record with the threshold drawn, the SQL to try another threshold,
//! and a few rejected examples with their reasons.

use std::collections::HashMap;

use anyhow::Result;
use serde::Serialize;

use super::charts::{self, Bin, Legend};
use super::db::{cut, quote, Db, Number};

/// Bars of a rule's histogram.
const BINS: i64 = 40;
/// Examples shown per rule.
const EXAMPLES: i64 = 3;
/// Characters of an example's text.
pub const EXAMPLE_CHARS: usize = 300;

/// A rejected example.
#[derive(Debug, Serialize)]
pub struct Example {
    /// The record's id.
    pub id: String,
    /// The part judged (a response), when not the whole record.
    pub item: Option<String>,
    /// The record's text, cut.
    pub text: String,
    /// Why it was rejected.
    pub reason: String,
}

/// One rule of one step.
#[derive(Debug, Serialize)]
pub struct RuleReport {
    /// The step.
    pub step: String,
    /// The rule.
    pub rule: String,
    /// Its version.
    pub version: String,
    /// Whether it judges parts of records (responses) rather than records.
    pub per_item: bool,
    /// Records (or parts) it decided.
    pub decided: Number,
    /// Records (or parts) that failed it.
    pub failed: Number,
    /// Records rejected with it as their first failure.
    pub rejected: Number,
    /// The bound it compares with.
    pub threshold: Option<f64>,
    /// Which side of the threshold fails: "above", "below" or "" (unknown).
    pub fails: &'static str,
    /// The histogram of its scores (SVG), when it has scores.
    pub chart: String,
    /// Scores above the last bar's upper edge, counted in the last bar.
    pub clipped_above: Option<String>,
    /// SQL that counts what another threshold would fail.
    pub try_sql: String,
    /// A few rejected examples.
    pub examples: Vec<Example>,
}

struct Stats {
    step: String,
    rule: String,
    per_item: bool,
    version: String,
    decided: u64,
    failed: u64,
    scored: u64,
    lo: Option<f64>,
    hi: Option<f64>,
    p99: Option<f64>,
    threshold: Option<f64>,
    failed_above: u64,
    failed_below: u64,
}

fn scope(step: &str, rule: &str, per_item: bool) -> String {
    format!(
        "step = {} AND rule = {} AND item IS {}NULL",
        quote(step),
        quote(rule),
        if per_item { "NOT " } else { "" }
    )
}

/// Every rule of the run, steps in `order` first.
pub fn rules(db: &Db, order: &[String]) -> Result<Vec<RuleReport>> {
    let mut stats = db.rows(
        "SELECT step, rule, item IS NOT NULL AS per_item, any_value(rule_version), count(*), \
         count(*) FILTER (WHERE NOT kept), count(score) FILTER (WHERE isfinite(score)), \
         min(score) FILTER (WHERE isfinite(score)), max(score) FILTER (WHERE isfinite(score)), \
         quantile_cont(score, 0.99) FILTER (WHERE isfinite(score)), max(threshold), \
         count(*) FILTER (WHERE NOT kept AND score > threshold), \
         count(*) FILTER (WHERE NOT kept AND score < threshold) \
         FROM decisions GROUP BY ALL",
        |r| {
            Ok(Stats {
                step: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                rule: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                per_item: r.get(2)?,
                version: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                decided: r.get::<_, i64>(4)? as u64,
                failed: r.get::<_, i64>(5)? as u64,
                scored: r.get::<_, i64>(6)? as u64,
                lo: r.get(7)?,
                hi: r.get(8)?,
                p99: r.get(9)?,
                threshold: r.get(10)?,
                failed_above: r.get::<_, i64>(11)? as u64,
                failed_below: r.get::<_, i64>(12)? as u64,
            })
        },
    )?;
    let position = |step: &str| order.iter().position(|s| s == step).unwrap_or(order.len());
    stats.sort_by(|a, b| {
        (position(&a.step), &a.step, a.per_item, &a.rule).cmp(&(
            position(&b.step),
            &b.step,
            b.per_item,
            &b.rule,
        ))
    });
    let mut histograms = histograms(db, &stats)?;
    let mut examples = examples(db)?;
    let first_failures: HashMap<(String, String), u64> = db
        .rows("SELECT step, rule, count(*) FROM rejected GROUP BY ALL", |r| {
            Ok((
                (
                    r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                ),
                r.get::<_, i64>(2)? as u64,
            ))
        })?
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for (k, s) in stats.iter().enumerate() {
        let where_ = scope(&s.step, &s.rule, s.per_item);
        let fails = match (s.threshold, s.failed_above, s.failed_below) {
            (None, _, _) => "",
            (Some(_), above, below) if above > below => "above",
            (Some(_), above, below) if below > above => "below",
            _ => "",
        };
        let bins = histograms.remove(&k).unwrap_or_default();
        let chart = if bins.is_empty() {
            String::new()
        } else {
            charts::histogram(
                &bins,
                s.threshold,
                "score",
                &charts::axis_number,
                Legend { first: "passed", second: "failed" },
            )?
        };
        let last_edge = bins.last().map(|b| b.hi);
        let clipped_above = match (last_edge, s.hi) {
            (Some(edge), Some(hi)) if hi > edge => {
                Some(format!("the last bar also holds the scores up to {}", charts::axis_number(hi)))
            }
            _ => None,
        };
        let t = s.threshold.map_or("0".to_string(), |t| format!("{t}"));
        let op = if fails == "below" { "<" } else { ">" };
        let try_sql = format!(
            "-- what threshold {t} would fail (change it), and what it newly fails\n\
             SELECT count(*) FILTER (WHERE score {op} {t}) AS would_fail,\n       \
             count(*) FILTER (WHERE score {op} {t} AND kept) AS newly_failed,\n       \
             count(*) FILTER (WHERE NOT (score {op} {t}) AND NOT kept) AS newly_passed\n\
             FROM decisions WHERE {where_}"
        );
        out.push(RuleReport {
            decided: Number {
                value: s.decided,
                sql: format!("SELECT count(*) FROM decisions WHERE {where_}"),
            },
            failed: Number {
                value: s.failed,
                sql: format!("SELECT count(*) FROM decisions WHERE {where_} AND NOT kept"),
            },
            rejected: Number {
                value: if s.per_item {
                    0
                } else {
                    first_failures.get(&(s.step.clone(), s.rule.clone())).copied().unwrap_or(0)
                },
                sql: if s.per_item {
                    "SELECT 0".into()
                } else {
                    format!(
                        "SELECT count(*) FROM rejected WHERE step = {} AND rule = {}",
                        quote(&s.step),
                        quote(&s.rule)
                    )
                },
            },
            step: s.step.clone(),
            rule: s.rule.clone(),
            version: s.version.clone(),
            per_item: s.per_item,
            threshold: s.threshold,
            fails,
            chart,
            clipped_above,
            try_sql: if s.scored > 0 { try_sql } else { String::new() },
            examples: examples.remove(&(s.step.clone(), s.rule.clone(), s.per_item)).unwrap_or_default(),
        });
    }
    Ok(out)
}

/// The range of a rule's histogram: its lowest score to the 99th percentile (or the threshold
/// when higher), so that one outlier does not squeeze every bar into one.
fn range(s: &Stats) -> Option<(f64, f64)> {
    let lo = s.lo?;
    let max = s.hi?;
    let mut hi = s.p99.unwrap_or(max).max(s.threshold.filter(|t| t.is_finite()).unwrap_or(f64::MIN)).min(max);
    if hi <= lo {
        hi = lo + 1.0;
    }
    Some((lo, hi))
}

/// The bins of every scored rule, in one scan of `decisions`; keyed by the rule's position.
fn histograms(db: &Db, stats: &[Stats]) -> Result<HashMap<usize, Vec<Bin>>> {
    let ranges: Vec<(usize, f64, f64)> = stats
        .iter()
        .enumerate()
        .filter(|(_, s)| s.scored > 0)
        .filter_map(|(k, s)| range(s).map(|(lo, hi)| (k, lo, hi)))
        .collect();
    if ranges.is_empty() {
        return Ok(HashMap::new());
    }
    let values: Vec<String> = ranges
        .iter()
        .map(|(k, lo, hi)| {
            let s = &stats[*k];
            format!(
                "({k}, {}, {}, {}, {lo:e}, {:e})",
                quote(&s.step),
                quote(&s.rule),
                s.per_item,
                (hi - lo) / BINS as f64
            )
        })
        .collect();
    let sql = format!(
        "WITH b(k, step, rule, per_item, lo, w) AS (VALUES {}) \
         SELECT b.k, least(greatest(floor((d.score - b.lo) / b.w), 0), {last})::BIGINT AS bin, \
         count(*) FILTER (WHERE d.kept), count(*) FILTER (WHERE NOT d.kept) \
         FROM decisions d JOIN b ON d.step = b.step AND d.rule = b.rule AND (d.item IS NOT NULL) = b.per_item \
         WHERE isfinite(d.score) GROUP BY ALL",
        values.join(", "),
        last = BINS - 1
    );
    let counts = db.rows(&sql, |r| {
        Ok((
            r.get::<_, i64>(0)? as usize,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)? as u64,
            r.get::<_, i64>(3)? as u64,
        ))
    })?;
    let mut out: HashMap<usize, Vec<Bin>> = HashMap::new();
    for (k, lo, hi) in &ranges {
        let w = (hi - lo) / BINS as f64;
        out.insert(
            *k,
            (0..BINS)
                .map(|i| Bin { lo: lo + i as f64 * w, hi: lo + (i + 1) as f64 * w, kept: 0, dropped: 0 })
                .collect(),
        );
    }
    for (k, bin, kept, dropped) in counts {
        if let Some(bins) = out.get_mut(&k) {
            let b = &mut bins[bin.clamp(0, BINS - 1) as usize];
            b.kept += kept;
            b.dropped += dropped;
        }
    }
    Ok(out)
}

type ExampleKey = (String, String, bool);

/// A few failures per rule, picked by the hash of their id (a spread, not the first file's).
fn examples(db: &Db) -> Result<HashMap<ExampleKey, Vec<Example>>> {
    let picked = db.rows(
        &format!(
            "SELECT step, rule, item IS NOT NULL, id, item, reason FROM decisions WHERE NOT kept \
             QUALIFY row_number() OVER (PARTITION BY step, rule, item IS NOT NULL ORDER BY hash(id, item), id) <= {EXAMPLES}"
        ),
        |r| {
            Ok((
                (r.get::<_, Option<String>>(0)?.unwrap_or_default(), r.get::<_, Option<String>>(1)?.unwrap_or_default(), r.get::<_, bool>(2)?),
                r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            ))
        },
    )?;
    let ids: Vec<String> = picked
        .iter()
        .map(|(_, id, _, _)| quote(id))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut texts: HashMap<String, String> = HashMap::new();
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT id, left(text, {n}) FROM (SELECT id, text FROM rejected UNION ALL SELECT id, text FROM kept) \
             WHERE id IN ({})",
            chunk.join(", "),
            n = EXAMPLE_CHARS + 1
        );
        for (id, text) in db.rows(&sql, |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
            ))
        })? {
            texts.entry(id).or_insert(text);
        }
    }
    let mut out: HashMap<ExampleKey, Vec<Example>> = HashMap::new();
    for (key, id, item, reason) in picked {
        let text = texts.get(&id).map(|t| cut(t, EXAMPLE_CHARS)).unwrap_or_default();
        out.entry(key).or_default().push(Example { id, item, text, reason });
    }
    for list in out.values_mut() {
        list.sort_by(|a, b| (&a.id, &a.item).cmp(&(&b.id, &b.item)));
    }
    Ok(out)
}
