//! The attach and verify phases of MinHash dedup: each candidate pair checked against both
//! documents' signatures, with no task reading more than its own shard's signatures.
//!
//! A candidate pair (a, b) joins two documents of any two shards, and only the filter tasks of
//! those shards hold their signatures (`signatures/<task>.parquet`). So the pairs travel to
//! the signatures, in two hops, as a distributed hash join does:
//! - **attach**, one task per shard `t`: the pairs whose earlier document `a` is in `t` (the
//!   buckets sorted them by that part), each once however many bands it shares, joined to
//!   `a`'s signature; written to `attached/<t>.parquet` sorted by the shard of `b`;
//! - **verify**, one task per shard `s`: the attached pairs whose `b` is in `s`, joined to
//!   `b`'s signature; a pair whose estimated Jaccard similarity reaches its step's threshold is
//!   an edge, written to `edges/<s>.parquet` (step, a, b, score) for the cluster phase.
//!
//! Each task holds one shard's signatures and its share of the pairs (DuckDB, spilling past
//! `[run] dedup_memory`), so the phases scale with the number of shards.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use curate_filters::dedup::minhash::estimated_jaccard;
use curate_filters::dedup::{decode_sig, DedupMethod};
use duckdb::arrow::array::{Array, BinaryArray, UInt32Array, UInt64Array};
use duckdb::{params, Connection};

use super::buckets::{copy_sorted, edge_file};
use super::cluster::{column, open_duckdb, quote, stream_chunks};

/// The MinHash steps among a stage's dedup steps: (index among the dedup steps, threshold).
pub fn minhash_steps(steps: &[(usize, DedupMethod)]) -> Vec<(usize, f64)> {
    steps
        .iter()
        .filter_map(|(i, m)| match m {
            DedupMethod::MinHash(config, _) => Some((*i, config.threshold)),
            _ => None,
        })
        .collect()
}

/// The task of the attach or verify phase for one shard: (run root, shard index, shard task
/// id, the shard's signature file, MinHash steps, DuckDB memory limit) to rows written.
pub type ShardJoin = fn(&Path, usize, &str, &Path, &[(usize, f64)], &str) -> Result<u64>;

/// `alias.sig_<i>` for the step of each row: the signature column of its dedup step.
fn signature_of_step(alias: &str, steps: &[(usize, f64)]) -> String {
    match steps {
        [(i, _)] => format!("{alias}.sig_{i}"),
        _ => {
            let arms: String = steps.iter().map(|(i, _)| format!(" WHEN {i} THEN {alias}.sig_{i}")).collect();
            format!("CASE p.step{arms} END")
        }
    }
}

/// Attach task `part`: the candidate pairs whose earlier document is in shard `part`, each once,
/// with that document's signature (`signatures` is the shard's signature file); writes
/// `attached/<name>.parquet` and returns its rows.
pub fn attach(
    root: &Path,
    part: usize,
    name: &str,
    signatures: &Path,
    steps: &[(usize, f64)],
    memory_limit: &str,
) -> Result<u64> {
    let conn = open_duckdb(root, memory_limit, &format!("attach-{part}"))?;
    let candidates = quote(&root.join("candidates").join("*.parquet").to_string_lossy());
    let query = format!(
        "SELECT p.step, p.a, p.b, (p.b >> 32)::UINTEGER AS part, {} AS sig_a
         FROM (SELECT DISTINCT step, a, b FROM read_parquet({candidates}) WHERE part = {part}) p
         JOIN read_parquet({}) s ON s.doc = p.a",
        signature_of_step("s", steps),
        quote(&signatures.to_string_lossy())
    );
    let out = root.join("attached").join(format!("{name}.parquet"));
    copy_sorted(&conn, &query, "part, step, b, a", &out)
        .with_context(|| format!("attaching signatures of shard {part} to its candidate pairs"))
}

/// Verify task `part`: the attached pairs whose later document is in shard `part`, compared
/// with that document's signature; writes the pairs that reach their step's threshold to
/// `edges/<name>.parquet` and returns how many.
pub fn verify(
    root: &Path,
    part: usize,
    name: &str,
    signatures: &Path,
    steps: &[(usize, f64)],
    memory_limit: &str,
) -> Result<u64> {
    let conn = open_duckdb(root, memory_limit, &format!("verify-{part}"))?;
    let attached = quote(&root.join("attached").join("*.parquet").to_string_lossy());
    let threshold: HashMap<u32, f64> = steps.iter().map(|&(i, t)| (i as u32, t)).collect();
    let mut stmt = conn.prepare(&format!(
        "SELECT p.step, p.a, p.b, p.sig_a, {} AS sig_b
         FROM read_parquet({attached}) p JOIN read_parquet({}) s ON s.doc = p.b
         WHERE p.part = {part}",
        signature_of_step("s", steps),
        quote(&signatures.to_string_lossy())
    ))?;
    let mut edges = Vec::new();
    stream_chunks(&mut stmt, |chunk| {
        let (step, a, b) = (
            column::<UInt32Array>(chunk, 0)?,
            column::<UInt64Array>(chunk, 1)?,
            column::<UInt64Array>(chunk, 2)?,
        );
        let (sa, sb) = (column::<BinaryArray>(chunk, 3)?, column::<BinaryArray>(chunk, 4)?);
        for r in 0..chunk.len() {
            let j = estimated_jaccard(&decode_sig(sa.value(r)), &decode_sig(sb.value(r)));
            let needed = threshold.get(&step.value(r)).copied().unwrap_or(f64::INFINITY);
            if j >= needed {
                edges.push((step.value(r), a.value(r), b.value(r), j));
            }
        }
        Ok(())
    })
    .with_context(|| format!("verifying the candidate pairs of shard {part}"))?;
    drop(stmt);
    write_edges(&conn, &edges, &edge_file(root, name))
}

/// Writes `edges` (step, a, b, score) to `out`, sorted.
fn write_edges(conn: &Connection, edges: &[(u32, u64, u64, f64)], out: &Path) -> Result<u64> {
    conn.execute_batch(
        "CREATE OR REPLACE TABLE verified (step UINTEGER, a UBIGINT, b UBIGINT, score DOUBLE)",
    )?;
    let mut appender = conn.appender("verified")?;
    for &(step, a, b, score) in edges {
        appender.append_row(params![step, a, b, score])?;
    }
    appender.flush()?;
    drop(appender);
    let rows = copy_sorted(conn, "SELECT * FROM verified", "step, a, b", out)?;
    conn.execute_batch("DROP TABLE verified")?;
    Ok(rows)
}
