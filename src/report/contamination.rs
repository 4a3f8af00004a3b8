//! Contamination: hits per benchmark and per item, with the evidence the rule kept (the shared
//! n-gram, the overlap).

use anyhow::Result;
use serde::Serialize;

use super::db::{quote, Db, Number};

/// Items shown.
const ITEMS: i64 = 30;

/// Failures of the benchmark rules (record and response level).
const SCOPE: &str = "NOT kept AND rule LIKE '%benchmark%'";
/// The benchmark and item a reason names ("... with gsm8k item test/17 ...").
const BENCHMARK: &str = r"regexp_extract(reason, '(with|like|calls it) (\S+) item (\S+)', 2)";
const ITEM: &str = r"regexp_extract(reason, '(with|like|calls it) (\S+) item (\S+)', 3)";

/// Hits on one benchmark.
#[derive(Debug, Serialize)]
pub struct BenchmarkHits {
    /// The benchmark.
    pub benchmark: String,
    /// Failed decisions naming it.
    pub hits: Number,
    /// Items hit.
    pub items: u64,
}

/// Hits on one item.
#[derive(Debug, Serialize)]
pub struct ItemHits {
    /// The benchmark.
    pub benchmark: String,
    /// The item.
    pub item: String,
    /// Failed decisions naming it.
    pub hits: Number,
    /// The rules that found it.
    pub rules: String,
    /// One reason, with its evidence.
    pub evidence: String,
}

/// The contamination section.
#[derive(Debug, Serialize)]
pub struct Contamination {
    /// Per benchmark.
    pub benchmarks: Vec<BenchmarkHits>,
    /// The items hit most.
    pub items: Vec<ItemHits>,
}

/// The contamination section, or `None` when no benchmark rule failed.
pub fn contamination(db: &Db) -> Result<Option<Contamination>> {
    let benchmarks = db.rows(
        &format!(
            "SELECT {BENCHMARK} AS b, count(*), count(DISTINCT {ITEM}) FROM decisions WHERE {SCOPE} \
             GROUP BY 1 ORDER BY 2 DESC, 1"
        ),
        |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get::<_, i64>(1)? as u64,
                r.get::<_, i64>(2)? as u64,
            ))
        },
    )?;
    if benchmarks.is_empty() {
        return Ok(None);
    }
    let items = db.rows(
        &format!(
            "SELECT {BENCHMARK} AS b, {ITEM} AS i, count(*), string_agg(DISTINCT rule, ', ' ORDER BY rule), \
             min_by(reason, hash(id)) FROM decisions WHERE {SCOPE} GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT {ITEMS}"
        ),
        |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                r.get::<_, i64>(2)? as u64,
                r.get::<_, Option<String>>(3)?.unwrap_or_default(),
                r.get::<_, Option<String>>(4)?.unwrap_or_default(),
            ))
        },
    )?;
    Ok(Some(Contamination {
        benchmarks: benchmarks
            .into_iter()
            .map(|(benchmark, hits, items)| BenchmarkHits {
                hits: Number {
                    value: hits,
                    sql: format!(
                        "SELECT count(*) FROM decisions WHERE {SCOPE} AND {BENCHMARK} = {}",
                        quote(&benchmark)
                    ),
                },
                benchmark,
                items,
            })
            .collect(),
        items: items
            .into_iter()
            .map(|(benchmark, item, hits, rules, evidence)| ItemHits {
                hits: Number {
                    value: hits,
                    sql: format!(
                        "SELECT count(*) FROM decisions WHERE {SCOPE} AND {BENCHMARK} = {} AND {ITEM} = {}",
                        quote(&benchmark),
                        quote(&item)
                    ),
                },
                benchmark,
                item,
                rules,
                evidence,
            })
            .collect(),
    }))
}
