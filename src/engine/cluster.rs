//! The cluster phase: the duplicates across every shard of a run, from the edges the earlier
//! phases found.
//!
//! Each shard's filter task writes, for the records its filters kept, one signature row
//! (`signatures/<task>.parquet`: doc, id, source_file, `key_<i>`, `sig_<i>` per dedup step) and
//! one row per LSH band (`bands/<task>.parquet`). The buckets phase ([`super::buckets`]) turns
//! the bands into pairs: exact and SimHash pairs are edges at once (`edges/bucket-<k>.parquet`);
//! MinHash candidates become edges once the attach and verify phases ([`super::verify`]) found
//! their signatures similar enough (`edges/<task>.parquet`). `doc` is
//! `task_index << 32 | ordinal`, so "first" means first in input order.
//!
//! This phase is one task that streams the edge files step by step (a scan, no join): a
//! document removed by an earlier step stands for the document that removed it, and the links
//! are merged by union-find into clusters whose representative is the earliest document. Only
//! documents in a link are held in memory (one hash-map entry each, see [`Clusters`]). The result
//! is `duplicates.parquet`: doc, step, rep (the representative's doc), rep_id, rep_source,
//! rep_line, score.

use std::cell::RefCell;
use std::path::Path;

use anyhow::{Context, Result};
use duckdb::arrow::array::{Array, Float64Array, StructArray, UInt64Array};
use duckdb::{params, Connection};
use rustc_hash::FxHashMap as HashMap;

/// Union-find over document numbers; the root of a set is its smallest member. One map entry
/// per linked document (its parent and the best similarity of a link that touched it): 24 bytes
/// of key and value, about 30-60 bytes with the map's spare room.
#[derive(Default)]
struct Clusters {
    node: HashMap<u64, (u64, f64)>,
}

impl Clusters {
    fn find(&mut self, x: u64) -> u64 {
        let mut root = x;
        while let Some(&(p, _)) = self.node.get(&root) {
            if p == root {
                break;
            }
            root = p;
        }
        let mut cur = x;
        while cur != root {
            let Some(entry) = self.node.get_mut(&cur) else { break };
            cur = std::mem::replace(&mut entry.0, root);
        }
        root
    }

    fn union(&mut self, a: u64, b: u64, score: f64) {
        for d in [a, b] {
            let entry = self.node.entry(d).or_insert((d, score));
            entry.1 = entry.1.max(score);
        }
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
            self.node.get_mut(&hi).expect("a linked document").0 = lo;
        }
    }

    /// Hands every non-representative member to `each` with its representative and score.
    fn for_each_member(mut self, mut each: impl FnMut(u64, u64, f64) -> Result<()>) -> Result<()> {
        let docs: Vec<u64> = self.node.keys().copied().collect();
        for d in docs {
            let root = self.find(d);
            if root != d {
                each(d, root, self.node[&d].1)?;
            }
        }
        Ok(())
    }
}

/// A SQL string literal.
pub(crate) fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

thread_local! {
    /// This thread's DuckDB databases, by what they were opened for, while a [`DuckdbReuse`]
    /// is alive on it (see [`reused_duckdb`]).
    static DATABASES: RefCell<Option<Vec<(String, Connection)>>> = const { RefCell::new(None) };
}

/// While alive, the databases [`reused_duckdb`] opens on this thread serve the thread's later
/// tasks; dropping it closes them. A worker of the dedup phases holds one. The databases are
/// closed here, not at the thread's exit: the main thread's thread-locals are destroyed at
/// process exit, when DuckDB's destructors corrupted the heap ("corrupted double-linked list").
pub(crate) struct DuckdbReuse(());

impl DuckdbReuse {
    /// Starts keeping this thread's databases.
    pub(crate) fn enter() -> Self {
        DATABASES.with(|databases| *databases.borrow_mut() = Some(Vec::new()));
        Self(())
    }
}

impl Drop for DuckdbReuse {
    fn drop(&mut self) {
        let databases = DATABASES.with(|databases| databases.borrow_mut().take());
        drop(databases);
    }
}

/// A new connection to an in-memory DuckDB that this thread opened for `purpose` (set up by
/// `setup` when it is opened). Opening a database costs about 15 ms of CPU (its catalog of
/// built-in functions), a connection to an open one 0.2 ms, and a run's dedup phases run about
/// five small DuckDB tasks per shard. Databases are per thread, so that a task's memory limit
/// is its own as when each task opened one, and kept only while a [`DuckdbReuse`] is alive on
/// the thread (elsewhere each call opens a database of its own). What a task creates in one (`CREATE OR REPLACE`) is dropped by
/// the next task's, or when the database closes.
pub(crate) fn reused_duckdb(
    purpose: &str,
    setup: impl FnOnce(&Connection) -> Result<()>,
) -> Result<Connection> {
    DATABASES.with(|databases| {
        let mut databases = databases.borrow_mut();
        let Some(databases) = databases.as_mut() else {
            // No reuse on this thread: a database for this task alone, closed with it.
            let db = Connection::open_in_memory().context("opening DuckDB")?;
            setup(&db)?;
            return Ok(db);
        };
        if let Some((_, db)) = databases.iter().find(|(p, _)| p == purpose) {
            return db.try_clone().context("connecting to DuckDB");
        }
        let db = Connection::open_in_memory().context("opening DuckDB")?;
        setup(&db)?;
        let conn = db.try_clone().context("connecting to DuckDB")?;
        databases.push((purpose.to_string(), db));
        Ok(conn)
    })
}

/// An in-memory DuckDB for a dedup task, held to `memory_limit` when one is set and spilling
/// into `RUN/tmp/duckdb-<scratch>` (`scratch` names the task that opened it: one database
/// serves the tasks a thread runs after it, see [`reused_duckdb`]).
pub(crate) fn open_duckdb(root: &Path, memory_limit: &str, scratch: &str) -> Result<Connection> {
    let purpose = format!("dedup of {} (memory {memory_limit:?})", root.display());
    reused_duckdb(&purpose, |conn| configure_duckdb(conn, root, memory_limit, scratch))
}

/// Sets a dedup task's DuckDB up: its scratch folder, its memory limit, no insertion order.
fn configure_duckdb(conn: &Connection, root: &Path, memory_limit: &str, scratch: &str) -> Result<()> {
    let tmp = root.join("tmp").join(format!("duckdb-{scratch}"));
    std::fs::create_dir_all(&tmp)?;
    let mut setup = format!(
        "SET temp_directory = {}; SET preserve_insertion_order = false;",
        quote(&tmp.to_string_lossy())
    );
    if !memory_limit.is_empty() {
        setup.push_str(&format!(" SET memory_limit = {};", quote(memory_limit)));
    }
    conn.execute_batch(&setup).context("configuring DuckDB")
}

/// Finds the duplicates of a run whose tasks wrote signatures and whose earlier dedup phases
/// wrote edges; writes `duplicates.parquet`. Returns the number of duplicates per step; tells
/// `note` how long each part took.
pub fn cluster(root: &Path, steps: usize, memory_limit: &str, note: &dyn Fn(&str)) -> Result<Vec<u64>> {
    // A database of its own, closed when done: the one cluster task of a run gains nothing
    // from a reused one, and its table of removed documents (one row per duplicate) must not
    // outlive it on the thread that runs it.
    let conn = Connection::open_in_memory().context("opening DuckDB")?;
    configure_duckdb(&conn, root, memory_limit, "cluster")?;
    let sig_glob = quote(&root.join("signatures").join("*.parquet").to_string_lossy());
    let edges = if steps > 0 {
        format!("read_parquet({})", quote(&root.join("edges").join("*.parquet").to_string_lossy()))
    } else {
        "(SELECT NULL::UINTEGER AS step, NULL::UBIGINT AS a, NULL::UBIGINT AS b, NULL::DOUBLE AS score WHERE false)"
            .into()
    };
    conn.execute_batch(&format!(
        "CREATE VIEW sig AS SELECT * FROM read_parquet({sig_glob});
         CREATE VIEW edges AS SELECT * FROM {edges};
         CREATE TABLE removed (doc UBIGINT, step UINTEGER, rep UBIGINT, score DOUBLE);"
    ))
    .context("reading signatures and edges")?;

    let mut per_step = Vec::with_capacity(steps);
    for i in 0..steps {
        let started = std::time::Instant::now();
        let found = cluster_step(&conn, i).with_context(|| {
            format!(
                "global dedup, dedup step {} (if DuckDB ran out of memory, raise [run] dedup_memory)",
                i + 1
            )
        })?;
        note(&format!(
            "dedup step {}: {found} duplicates in {:.1} s",
            i + 1,
            started.elapsed().as_secs_f64()
        ));
        per_step.push(found);
    }
    let started = std::time::Instant::now();
    write_duplicates(&conn, root)?;
    note(&format!("duplicates.parquet written in {:.1} s", started.elapsed().as_secs_f64()));
    Ok(per_step)
}

/// Finds the duplicates of dedup step `i` among the documents earlier steps left, streaming
/// its edges; returns how many it found.
fn cluster_step(conn: &Connection, i: usize) -> Result<u64> {
    let before: i64 = conn.query_row("SELECT count(*) FROM removed", [], |r| r.get(0))?;
    let alias = Alias::of_removed(conn)?;
    let mut clusters = Clusters::default();
    let mut stmt = conn.prepare(&format!("SELECT a, b, score FROM edges WHERE step = {i}"))?;
    stream_chunks(&mut stmt, |chunk| {
        let (a, b) = (column::<UInt64Array>(chunk, 0)?, column::<UInt64Array>(chunk, 1)?);
        let score = column::<Float64Array>(chunk, 2)?;
        for r in 0..chunk.len() {
            alias.link(&mut clusters, a.value(r), b.value(r), score.value(r));
        }
        Ok(())
    })?;
    drop(stmt);
    drop(alias);
    append_removed(conn, i, clusters)?;
    let after: i64 = conn.query_row("SELECT count(*) FROM removed", [], |r| r.get(0))?;
    Ok((after - before) as u64)
}

/// Documents removed by earlier steps, each standing for the document that removed it: a link
/// of a later step that touches one links its representative instead.
struct Alias(HashMap<u64, u64>);

impl Alias {
    fn of_removed(conn: &Connection) -> Result<Self> {
        let mut map = HashMap::default();
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
pub(crate) fn stream_chunks(
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
pub(crate) fn column<T: 'static>(chunk: &StructArray, i: usize) -> Result<&T> {
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
    clusters.for_each_member(|doc, rep, score| {
        appender.append_row(params![doc, step as u32, rep, score])?;
        Ok(())
    })?;
    appender.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_reuses_its_database_for_the_same_purpose_only() {
        let count = |conn: &Connection| -> i64 {
            conn.query_row("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'kept_here'", [], |r| {
                r.get(0)
            })
            .unwrap()
        };
        let setups = std::cell::Cell::new(0);
        // Without a reuse scope, every call has a database of its own.
        reused_duckdb("a", |_| Ok(())).unwrap().execute_batch("CREATE TABLE kept_here (x INTEGER)").unwrap();
        assert_eq!(count(&reused_duckdb("a", |_| Ok(())).unwrap()), 0);
        let reuse = DuckdbReuse::enter();
        let open = |purpose: &str| {
            reused_duckdb(purpose, |_| {
                setups.set(setups.get() + 1);
                Ok(())
            })
            .unwrap()
        };
        open("a").execute_batch("CREATE OR REPLACE TABLE kept_here (x INTEGER)").unwrap();
        // A later task on this thread reaches the same database, set up once.
        assert_eq!(count(&open("a")), 1);
        assert_eq!(setups.get(), 1);
        // Another purpose, or another thread, has a database of its own.
        assert_eq!(count(&open("b")), 0);
        assert_eq!(setups.get(), 2);
        let elsewhere = std::thread::spawn(move || {
            let _reuse = DuckdbReuse::enter();
            let conn = reused_duckdb("a", |_| Ok(())).unwrap();
            conn.query_row("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'kept_here'", [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap()
        });
        assert_eq!(elsewhere.join().unwrap(), 0);
        // The scope's end closes them.
        drop(reuse);
        assert_eq!(count(&reused_duckdb("a", |_| Ok(())).unwrap()), 0);
    }

    #[test]
    fn clusters_are_represented_by_their_first_member() {
        let mut c = Clusters::default();
        c.union(5, 9, 0.8);
        c.union(9, 2, 0.9);
        c.union(7, 8, 0.75);
        let mut m = Vec::new();
        c.for_each_member(|d, r, s| {
            m.push((d, r, s));
            Ok(())
        })
        .unwrap();
        m.sort_by_key(|x| x.0);
        assert_eq!(m, vec![(5, 2, 0.8), (8, 7, 0.75), (9, 2, 0.9)]);
    }
}
