//! The buckets phase of dedup: the joins of documents that share an LSH band or a text hash,
//! split by that hash into tasks.
//!
//! Each filter task leaves its band rows (`bands/<task>.parquet`: doc, step, band, key; exact
//! dedup's text hash is its step's one band) sorted by
//! `bucket = band % B` in small row groups ([`sort_by_bucket`]), so the task of bucket `k` reads
//! only its row groups of every shard's file (Parquet statistics skip the others). It writes:
//! - `candidates/<k>.parquet` (step, a, b, part): for MinHash, each document `b` and its
//!   predecessor `a` in a band, sorted by `part` = the filter task of `a` in small row groups,
//!   which the attach and verify phases check against the signatures ([`super::verify`]);
//! - `edges/bucket-<k>.parquet` (step, a, b, score): the pairs found whole here. For SimHash,
//!   each document and its `window` nearest fingerprints in a band within the Hamming distance
//!   (score = 1 - distance / 64); for exact dedup, each document and the first one with its
//!   normalized-text hash (which filter tasks write as the step's one band; score 1).
//!
//! Every band lies in exactly one bucket, so the pairs do not depend on the number of buckets.

use std::path::Path;

use anyhow::{Context, Result};
use curate_filters::dedup::DedupMethod;
use duckdb::Connection;

use super::cluster::{open_duckdb, quote};

/// Rows per row group of a sorted band file: small enough that a bucket's rows span few groups
/// besides its own.
const ROW_GROUP_ROWS: usize = 16 * 1024;

/// Rewrites the band file `path` sorted by bucket (`band % buckets`), with a `bucket` column
/// whose row-group statistics let each bucket task skip the rest.
pub fn sort_by_bucket(path: &Path, buckets: usize, scratch: &Path) -> Result<()> {
    // Its own database, closed when done: the other shards' filters run meanwhile, so one
    // thread and a small limit, and nothing held after.
    let conn = Connection::open_in_memory().context("opening DuckDB")?;
    std::fs::create_dir_all(scratch)?;
    conn.execute_batch(&format!(
        "SET threads = 1; SET memory_limit = '256MB'; SET temp_directory = {};",
        quote(&scratch.to_string_lossy())
    ))?;
    let sorted = curate_sources::writer::tmp_path(path);
    conn.execute_batch(&format!(
        "COPY (SELECT doc, step, band, key, (band % {buckets})::UINTEGER AS bucket
               FROM read_parquet({}) ORDER BY bucket, step, band, doc)
         TO {} (FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP_ROWS})",
        quote(&path.to_string_lossy()),
        quote(&sorted.to_string_lossy())
    ))
    .with_context(|| format!("sorting {} by bucket", path.display()))?;
    std::fs::rename(&sorted, path).with_context(|| format!("renaming {}", sorted.display()))
}

/// Rows per row group of a candidate file: one attach task reads only the groups of its part.
pub(crate) const PAIR_ROW_GROUP_ROWS: usize = 16 * 1024;

/// The pairs of bucket `bucket` for every dedup step (`(index, method)`): writes
/// `candidates/<bucket>.parquet` and `edges/bucket-<bucket>.parquet`; returns their rows.
pub fn find_candidates(
    root: &Path,
    bucket: usize,
    steps: &[(usize, DedupMethod)],
    memory_limit: &str,
) -> Result<u64> {
    let conn = open_duckdb(root, memory_limit, &format!("buckets-{bucket}"))?;
    let band_glob = quote(&root.join("bands").join("*.parquet").to_string_lossy());
    conn.execute_batch(&format!(
        "CREATE OR REPLACE VIEW bands AS SELECT doc, step, band, key FROM read_parquet({band_glob}) WHERE bucket = {bucket}"
    ))
    .context("reading band files")?;
    let mut candidates = Vec::new();
    let mut edges = Vec::new();
    for (i, method) in steps {
        match method {
            // Exact duplicates: documents sharing a normalized-text hash (the step's one band),
            // each linked to the first of them.
            DedupMethod::Exact(_) => edges.push(format!(
                "SELECT {i}::UINTEGER AS step, first_value(doc) OVER w AS a, doc AS b, 1.0::DOUBLE AS score
                 FROM bands WHERE step = {i}
                 WINDOW w AS (PARTITION BY band ORDER BY doc)
                 QUALIFY row_number() OVER w > 1"
            )),
            DedupMethod::MinHash(..) => candidates.push(format!(
                "SELECT DISTINCT {i}::UINTEGER AS step, a, d AS b, (a >> 32)::UINTEGER AS part FROM (
                   SELECT doc AS d, lag(doc) OVER (PARTITION BY band ORDER BY doc) AS a FROM bands
                   WHERE step = {i})
                 WHERE a IS NOT NULL"
            )),
            DedupMethod::SimHash(config) => {
                let lags: Vec<String> = (1..=config.window)
                    .map(|j| {
                        format!(
                            "SELECT doc AS d, key AS kd, lag(doc, {j}) OVER w{j} AS a, lag(key, {j}) OVER w{j} AS ka \
                             FROM bands WHERE step = {i} WINDOW w{j} AS (PARTITION BY band ORDER BY key, doc)"
                        )
                    })
                    .collect();
                edges.push(format!(
                    "SELECT DISTINCT {i}::UINTEGER AS step, least(a, d) AS a, greatest(a, d) AS b,
                            1.0 - bit_count(xor(ka, kd))::DOUBLE / 64.0 AS score
                     FROM ({}) WHERE a IS NOT NULL AND bit_count(xor(ka, kd)) <= {}",
                    lags.join(" UNION ALL "),
                    config.max_distance
                ));
            }
        }
    }
    let union_or = |parts: Vec<String>, empty: &str| {
        if parts.is_empty() {
            format!("{empty} WHERE false")
        } else {
            parts.join(" UNION ALL ")
        }
    };
    let mut rows = copy_sorted(
        &conn,
        &union_or(
            candidates,
            "SELECT NULL::UINTEGER AS step, NULL::UBIGINT AS a, NULL::UBIGINT AS b, NULL::UINTEGER AS part",
        ),
        "part, step, a, b",
        &root.join("candidates").join(format!("{bucket}.parquet")),
    )
    .with_context(|| format!("candidate pairs of bucket {bucket}"))?;
    rows += copy_sorted(
        &conn,
        &union_or(
            edges,
            "SELECT NULL::UINTEGER AS step, NULL::UBIGINT AS a, NULL::UBIGINT AS b, NULL::DOUBLE AS score",
        ),
        "step, a, b",
        &edge_file(root, &format!("bucket-{bucket}")),
    )
    .with_context(|| format!("exact and SimHash pairs of bucket {bucket}"))?;
    Ok(rows)
}

/// The edge file `edges/<name>.parquet`: linked pairs (step, a, b, score) the cluster phase reads.
pub(crate) fn edge_file(root: &Path, name: &str) -> std::path::PathBuf {
    root.join("edges").join(format!("{name}.parquet"))
}

/// Writes the rows of `query` sorted by `order` to `out` (through a temp file, in row groups of
/// [`PAIR_ROW_GROUP_ROWS`]); returns how many there were.
pub(crate) fn copy_sorted(conn: &Connection, query: &str, order: &str, out: &Path) -> Result<u64> {
    std::fs::create_dir_all(out.parent().expect("a folder of the run"))?;
    let tmp = curate_sources::writer::tmp_path(out);
    conn.execute_batch(&format!(
        "COPY ({query} ORDER BY {order}) TO {} (FORMAT parquet, ROW_GROUP_SIZE {PAIR_ROW_GROUP_ROWS})",
        quote(&tmp.to_string_lossy())
    ))
    .with_context(|| format!("writing {}", out.display()))?;
    std::fs::rename(&tmp, out).with_context(|| format!("renaming {}", tmp.display()))?;
    let rows: i64 = conn.query_row(
        &format!("SELECT count(*) FROM read_parquet({})", quote(&out.to_string_lossy())),
        [],
        |r| r.get(0),
    )?;
    Ok(rows as u64)
}
