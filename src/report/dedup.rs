//! Dedup: how large the clusters of duplicates are, and the largest ones with the record kept
//! and one dropped.

use anyhow::Result;
use serde::Serialize;

use super::charts::{self, Bar, Legend};
use super::db::{cut, quote, Db, Number};
use super::rules::EXAMPLE_CHARS;

/// Largest clusters shown.
const LARGEST: i64 = 5;

/// One of the largest clusters.
#[derive(Debug, Serialize)]
pub struct Cluster {
    /// The cluster's id (`rejected.cluster_id`).
    pub cluster_id: u64,
    /// Records in it: the dropped ones and the one kept.
    pub size: Number,
    /// The record kept.
    pub kept_id: String,
    /// Its text, cut.
    pub kept_text: String,
    /// One dropped record.
    pub dropped_id: String,
    /// Its text, cut.
    pub dropped_text: String,
}

/// The run's dedup.
#[derive(Debug, Serialize)]
pub struct Dedup {
    /// Records dropped as duplicates.
    pub dropped: Number,
    /// Clusters.
    pub clusters: Number,
    /// Clusters per size (SVG).
    pub sizes_chart: String,
    /// The largest clusters.
    pub largest: Vec<Cluster>,
}

/// Size classes of the chart.
const CLASSES: [(u64, u64, &str); 7] = [
    (2, 2, "2"),
    (3, 3, "3"),
    (4, 5, "4-5"),
    (6, 10, "6-10"),
    (11, 100, "11-100"),
    (101, 1000, "101-1,000"),
    (1001, u64::MAX, "over 1,000"),
];

/// The dedup section, or `None` when no record was dropped as a duplicate.
pub fn dedup(db: &Db) -> Result<Option<Dedup>> {
    let dropped = db.number("SELECT count(*) FROM rejected WHERE cluster_id IS NOT NULL".into())?;
    if dropped.value == 0 {
        return Ok(None);
    }
    let clusters =
        db.number("SELECT count(DISTINCT cluster_id) FROM rejected WHERE cluster_id IS NOT NULL".into())?;
    let sizes = db.rows(
        "SELECT size, count(*) FROM (SELECT count(*) + 1 AS size FROM rejected WHERE cluster_id IS NOT NULL \
         GROUP BY cluster_id) GROUP BY 1",
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
    )?;
    let bars: Vec<Bar> = CLASSES
        .iter()
        .map(|(lo, hi, label)| Bar {
            label: format!("{label} records"),
            first: sizes.iter().filter(|(s, _)| s >= lo && s <= hi).map(|(_, n)| n).sum(),
            second: 0,
        })
        .filter(|b| b.first > 0)
        .collect();
    let sizes_chart = charts::bars(&bars, Legend { first: "clusters", second: "" })?;
    let largest = db.rows(
        &format!(
            "SELECT cluster_id, count(*) + 1, any_value(duplicate_of), min_by(id, hash(id)) \
             FROM rejected WHERE cluster_id IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {LARGEST}"
        ),
        |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            ))
        },
    )?;
    let text_of = |table: &str, id: &str| -> Result<String> {
        let rows = db.rows(
            &format!(
                "SELECT left(text, {}) FROM {table} WHERE id = {} LIMIT 1",
                EXAMPLE_CHARS + 1,
                quote(id)
            ),
            |r| r.get::<_, Option<String>>(0),
        )?;
        Ok(rows.into_iter().flatten().next().map(|t| cut(&t, EXAMPLE_CHARS)).unwrap_or_default())
    };
    let mut out = Vec::new();
    for (cluster_id, size, kept_id, dropped_id) in largest {
        out.push(Cluster {
            cluster_id,
            size: Number {
                value: size,
                sql: format!("SELECT count(*) + 1 FROM rejected WHERE cluster_id = {cluster_id}"),
            },
            kept_text: text_of("kept", &kept_id)?,
            dropped_text: text_of("rejected", &dropped_id)?,
            kept_id,
            dropped_id,
        });
    }
    Ok(Some(Dedup { dropped, clusters, sizes_chart, largest: out }))
}
