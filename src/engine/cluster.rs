//! The cluster phase: the duplicates across every shard of a run.
//!
//! Each shard's filter task writes, for the records its filters kept, one signature row
//! (`signatures/<task>.parquet`: doc, id, source_file, `key_<i>`, `sig_<i>` per dedup step) and
//! one row per LSH band (`bands/<task>.parquet`), which the buckets phase turns into candidate
//! pairs (`candidates/<bucket>.parquet`, see [`super::buckets`]). `doc` is
//! `task_index << 32 | ordinal`, so "first" means first in input order.
//!
//! Steps run in order, in DuckDB (which spills to disk past its memory limit):
//! - exact: documents linked to the first with their normalized-text hash, as the buckets found;
//! - MinHash: candidate pairs (a document and its predecessor in a band) are kept when the
//!   signatures' estimated Jaccard similarity reaches the threshold;
//! - SimHash: candidate pairs within the Hamming distance, as the buckets found them.
//!
//! A document removed by an earlier step stands for the document that removed it. Kept links
//! are merged by union-find into clusters whose representative is the earliest document; only
//! documents in a kept link are held in memory, and pairs stream from DuckDB. The result is
//! `duplicates.parquet`: doc, step, rep (the representative's doc), rep_id, rep_source, rep_line,
//! score.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{Context, Result};
use curate_filters::dedup::minhash::estimated_jaccard;
use curate_filters::dedup::{decode_sig, DedupMethod};
use duckdb::arrow::array::{Array, BinaryArray, Float64Array, StructArray, UInt64Array};
use duckdb::{params, Connection};

/// Union-find over document numbers; the root of a set is its smallest member.
#[derive(Default)]
struct Clusters {
    parent: HashMap<u64, u64>,
    /// For each linked document, the best similarity of a link that touched it.
    score: HashMap<u64, f64>,
}

impl Clusters {
    fn find(&mut self, x: u64) -> u64 {
        let mut root = x;
        while let Some(&p) = self.parent.get(&root) {
            if p == root {
                break;
            }
            root = p;
        }
        let mut cur = x;
        while cur != root {
            let next = self.parent.insert(cur, root).unwrap_or(root);
            cur = next;
        }
        root
    }

    fn union(&mut self, a: u64, b: u64, score: f64) {
        self.parent.entry(a).or_insert(a);
        self.parent.entry(b).or_insert(b);
        for d in [a, b] {
            let s = self.score.entry(d).or_insert(score);
            *s = s.max(score);
        }
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.parent.insert(hi, lo);
        }
    }

    /// Every non-representative member with its representative and score.
    fn members(mut self) -> Vec<(u64, u64, f64)> {
        let mut docs: Vec<u64> = self.parent.keys().copied().collect();
        docs.sort_unstable();
        let mut out = Vec::new();
        for d in docs {
            let root = self.find(d);
            if root != d {
                out.push((d, root, self.score.get(&d).copied().unwrap_or(0.0)));
            }
        }
        out
    }
}

/// A SQL string literal.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// An in-memory DuckDB for a dedup task: spilling into `RUN/tmp/duckdb-<scratch>`, held to
/// `memory_limit` when one is set.
pub(crate) fn open_duckdb(root: &Path, memory_limit: &str, scratch: &str) -> Result<Connection> {
    let conn = Connection::open_in_memory().context("opening DuckDB")?;
    let tmp = root.join("tmp").join(format!("duckdb-{scratch}"));
    std::fs::create_dir_all(&tmp)?;
    let mut setup = format!(
        "SET temp_directory = {}; SET preserve_insertion_order = false;",
        quote(&tmp.to_string_lossy())
    );
    if !memory_limit.is_empty() {
        setup.push_str(&format!(" SET memory_limit = {};", quote(memory_limit)));
    }
    conn.execute_batch(&setup).context("configuring DuckDB")?;
    Ok(conn)
}

/// Finds the duplicates of a run whose tasks wrote signatures and whose buckets wrote candidate
/// pairs; writes `duplicates.parquet`. Returns the number of duplicates per step.
pub fn cluster(root: &Path, methods: &[DedupMethod], memory_limit: &str) -> Result<Vec<u64>> {
    let conn = open_duckdb(root, memory_limit, "cluster")?;
    let sig_glob = quote(&root.join("signatures").join("*.parquet").to_string_lossy());
    let candidates = if !methods.is_empty() {
        format!("read_parquet({})", quote(&root.join("candidates").join("*.parquet").to_string_lossy()))
    } else {
        "(SELECT NULL::UINTEGER AS step, NULL::UBIGINT AS a, NULL::UBIGINT AS b, NULL::DOUBLE AS score WHERE false)"
            .into()
    };
    conn.execute_batch(&format!(
        "CREATE VIEW sig AS SELECT * FROM read_parquet({sig_glob});
         CREATE VIEW candidates AS SELECT * FROM {candidates};
         CREATE TABLE removed (doc UBIGINT, step UINTEGER, rep UBIGINT, score DOUBLE);"
    ))
    .context("reading signatures and candidate pairs")?;

    let mut per_step = Vec::with_capacity(methods.len());
    for (i, method) in methods.iter().enumerate() {
        let found = cluster_step(&conn, i, method).with_context(|| {
            format!(
                "global dedup, dedup step {} (if DuckDB ran out of memory, raise [run] dedup_memory)",
                i + 1
            )
        })?;
        per_step.push(found);
    }
    write_duplicates(&conn, root)?;
    Ok(per_step)
}

/// Finds the duplicates of dedup step `i` among the documents earlier steps left; returns
/// how many it found.
fn cluster_step(conn: &Connection, i: usize, method: &DedupMethod) -> Result<u64> {
    let before: i64 = conn.query_row("SELECT count(*) FROM removed", [], |r| r.get(0))?;
    match method {
        DedupMethod::MinHash(config, _) => {
            let alias = Alias::of_removed(conn)?;
            let mut clusters = Clusters::default();
            // A pair shares several bands, which may lie in several buckets: each pair once
            // before the signatures are joined (at 10^7 pairs the copies filled the disk with
            // DuckDB's spill files).
            conn.execute_batch(&format!(
                "CREATE OR REPLACE TEMP TABLE pairs AS SELECT DISTINCT a, b FROM candidates WHERE step = {i}"
            ))?;
            let mut stmt = conn.prepare(&format!(
                "SELECT p.a, p.b, sa.sig_{i}, sb.sig_{i} FROM pairs p
                 JOIN sig sa ON sa.doc = p.a JOIN sig sb ON sb.doc = p.b"
            ))?;
            stream_chunks(&mut stmt, |chunk| {
                let (a, b) = (column::<UInt64Array>(chunk, 0)?, column::<UInt64Array>(chunk, 1)?);
                let (sa, sb) = (column::<BinaryArray>(chunk, 2)?, column::<BinaryArray>(chunk, 3)?);
                for r in 0..chunk.len() {
                    let j = estimated_jaccard(&decode_sig(sa.value(r)), &decode_sig(sb.value(r)));
                    if j >= config.threshold {
                        alias.link(&mut clusters, a.value(r), b.value(r), j);
                    }
                }
                Ok(())
            })?;
            append_removed(conn, i, clusters)?;
        }
        // Pairs found whole by the buckets: exact duplicates (score 1), SimHash neighbours.
        DedupMethod::Exact(_) | DedupMethod::SimHash(_) => {
            let alias = Alias::of_removed(conn)?;
            let mut clusters = Clusters::default();
            let mut stmt = conn.prepare(&format!("SELECT a, b, score FROM candidates WHERE step = {i}"))?;
            stream_chunks(&mut stmt, |chunk| {
                let (a, b) = (column::<UInt64Array>(chunk, 0)?, column::<UInt64Array>(chunk, 1)?);
                let score = column::<Float64Array>(chunk, 2)?;
                for r in 0..chunk.len() {
                    alias.link(&mut clusters, a.value(r), b.value(r), score.value(r));
                }
                Ok(())
            })?;
            append_removed(conn, i, clusters)?;
        }
    }
    let after: i64 = conn.query_row("SELECT count(*) FROM removed", [], |r| r.get(0))?;
    Ok((after - before) as u64)
}

/// Documents removed by earlier steps, each standing for the document that removed it: a link
/// of a later step that touches one links its representative instead.
struct Alias(HashMap<u64, u64>);

impl Alias {
    fn of_removed(conn: &Connection) -> Result<Self> {
        let mut map = HashMap::new();
        let mut stmt = conn.prepare("SELECT doc, rep FROM removed")?;
        stream_chunks(&mut stmt, |chunk| {
            let (doc, rep) = (column::<UInt64Array>(chunk, 0)?, column::<UInt64Array>(chunk, 1)?);
            for r in 0..chunk.len() {
                map.insert(doc.value(r), rep.value(r));
            }
            Ok(())
        })?;
        Ok(Self(map))
    }

    /// The document `doc` stands for now.
    fn resolve(&self, mut doc: u64) -> u64 {
        while let Some(&rep) = self.0.get(&doc) {
            doc = rep;
        }
        doc
    }

    /// Links `a` and `b` (as the documents they stand for) with similarity `score`.
    fn link(&self, clusters: &mut Clusters, a: u64, b: u64, score: f64) {
        let (a, b) = (self.resolve(a), self.resolve(b));
        if a != b {
            clusters.union(a, b, score);
        }
    }
}

/// Runs `stmt` and hands each chunk of its result to `each` as DuckDB produces it. (Reading
/// rows through `query` materializes the whole result first: the candidate pairs with both
/// signatures took about 1 KB per pair, 11 GB for 10^7 pairs.)
fn stream_chunks(
    stmt: &mut duckdb::Statement<'_>,
    mut each: impl FnMut(&StructArray) -> Result<()>,
) -> Result<()> {
    drop(stmt.stream_arrow([])?);
    while let Some(chunk) = stmt.step()? {
        each(&chunk)?;
    }
    Ok(())
}

/// Column `i` of a result chunk, as the array type the query gives it.
fn column<T: 'static>(chunk: &StructArray, i: usize) -> Result<&T> {
    let col = chunk.column(i);
    col.as_any().downcast_ref::<T>().with_context(|| {
        format!("column {i} of a dedup query is {:?}, not the expected type", col.data_type())
    })
}

/// Writes every duplicate found, with its representative's id and source, sorted by document.
fn write_duplicates(conn: &Connection, root: &Path) -> Result<()> {
    let out = root.join("duplicates.parquet");
    let tmp_out = curate_sources::writer::tmp_path(&out);
    conn.execute_batch(&format!(
        "COPY (SELECT r.doc, r.step, r.rep, s.id AS rep_id, s.source_file AS rep_source,
                      s.source_line AS rep_line, r.score
               FROM removed r JOIN sig s ON s.doc = r.rep ORDER BY r.doc)
         TO {} (FORMAT parquet)",
        quote(&tmp_out.to_string_lossy())
    ))
    .context("writing duplicates.parquet")?;
    std::fs::rename(&tmp_out, &out)?;
    Ok(())
}

fn append_removed(conn: &Connection, step: usize, clusters: Clusters) -> Result<()> {
    let mut appender = conn.appender("removed")?;
    for (doc, rep, score) in clusters.members() {
        appender.append_row(params![doc, step as u32, rep, score])?;
    }
    appender.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_are_represented_by_their_first_member() {
        let mut c = Clusters::default();
        c.union(5, 9, 0.8);
        c.union(9, 2, 0.9);
        c.union(7, 8, 0.75);
        let m = c.members();
        assert_eq!(m, vec![(5, 2, 0.8), (8, 7, 0.75), (9, 2, 0.9)]);
    }
}
