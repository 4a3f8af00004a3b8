//! The runs `curate mix` reads and the shards it writes, through DuckDB: candidates are read
//! from each run's `kept` table and the `classifier` step's decisions; the shards are a join of
//! the picks with the kept texts in each stage's order, streamed shard by shard (DuckDB sorts
//! out of core: memory holds a batch, not a stage).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use curate_sources::writer::ParquetShard;
use duckdb::arrow::array::{Array, AsArray};
use duckdb::arrow::datatypes::{DataType as ArrowType, UInt32Type, UInt64Type};
use duckdb::params;
use polars::prelude::{Column, DataFrame, DataType, Field, Schema};
use serde::Serialize;

use super::config::MixConfig;
use super::select::Candidate;
use super::{stage_dir, StagePlan};

/// A run drawn from.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Its directory.
    pub path: String,
    /// Its kept documents.
    pub documents: u64,
    /// Their tokens.
    pub tokens: u64,
}

/// A shard written.
#[derive(Debug, Clone, Serialize)]
pub struct ShardReport {
    /// Its file, relative to the output.
    pub file: String,
    /// Documents (copies counted).
    pub documents: u64,
    /// Their tokens.
    pub tokens: u64,
}

/// The candidates of every run, and the tokenizer they were counted with.
pub struct Loaded {
    /// Every kept document of every run.
    pub candidates: Vec<Candidate>,
    /// The tokenizer's identity (the same for all runs).
    pub tokenizer: String,
    /// The runs.
    pub runs: Vec<RunReport>,
}

impl Loaded {
    /// Tokens of all candidates.
    pub fn tokens(&self) -> u64 {
        self.candidates.iter().map(|c| c.tokens).sum()
    }
}

/// Reads the candidates of `runs`: their kept documents with tokens, language, and the labels
/// `config` names.
pub fn load(runs: &[PathBuf], config: &MixConfig) -> Result<Loaded> {
    let mut candidates = Vec::new();
    let mut tokenizer: Option<String> = None;
    let mut reports = Vec::new();
    let curriculum = config.s2.as_ref().and_then(|s| s.curriculum.clone()).unwrap_or_default();
    let quality = config.quality.clone().unwrap_or_default();
    for (r, run) in runs.iter().enumerate() {
        let Some(manifest) = crate::engine::run_dir::read_manifest(run)? else {
            bail!("{}: not a finished run (no manifest.json)", run.display());
        };
        let Some(identity) = manifest["tokens"]["tokenizer"].as_str() else {
            bail!(
                "{}: its records carry no token counts: run its stage with --tokenizer MODEL.gguf",
                run.display()
            );
        };
        match &tokenizer {
            Some(t) if t != identity => {
                bail!(
                    "{}: tokens counted with {identity}, other runs with {t}: mix runs of one tokenizer",
                    run.display()
                )
            }
            _ => tokenizer = Some(identity.to_string()),
        }
        let conn = crate::sql::open(run)?;
        let repeated: u64 =
            conn.query_row("SELECT count(*) - count(DISTINCT id) FROM kept", [], |row| row.get(0))?;
        if repeated > 0 {
            bail!(
                "{}: {repeated} kept ids repeat; mix needs each kept record's id to be its own",
                run.display()
            );
        }
        let sql = format!(
            "SELECT k.id, k.tokens, coalesce(k.language, 'unknown'), \
               max(CASE WHEN starts_with(d.rule, '{domain}:') THEN substr(d.rule, {skip}) END), \
               max(CASE WHEN d.rule = '{quality}' THEN d.score END), \
               max(CASE WHEN d.rule = '{curriculum}' THEN d.score END) \
             FROM kept k LEFT JOIN (SELECT id, rule, score FROM decisions \
               WHERE starts_with(rule, '{domain}:') OR rule IN ('{quality}', '{curriculum}')) d ON d.id = k.id \
             GROUP BY k.id, k.tokens, k.language ORDER BY k.id",
            domain = config.domain,
            skip = config.domain.len() + 2,
        );
        let mut stmt = conn.prepare(&sql).with_context(|| format!("{}: reading kept", run.display()))?;
        let rows = stmt.query_map([], |row| {
            Ok(Candidate {
                run: r as u32,
                id: row.get(0)?,
                tokens: row.get::<_, Option<u64>>(1)?.unwrap_or(u64::MAX),
                language: row.get(2)?,
                domain: row.get(3)?,
                quality: row.get(4)?,
                curriculum: row.get(5)?,
            })
        })?;
        let (mut documents, mut tokens) = (0u64, 0u64);
        for row in rows {
            let c = row?;
            if c.tokens == u64::MAX {
                bail!("{}: kept record `{}` has no token count", run.display(), c.id);
            }
            documents += 1;
            tokens += c.tokens;
            candidates.push(c);
        }
        reports.push(RunReport { path: run.display().to_string(), documents, tokens });
    }
    Ok(Loaded { candidates, tokenizer: tokenizer.unwrap_or_default(), runs: reports })
}

/// SQL string literal.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Writes each stage's shards (`OUT/<stage>/<shard>.parquet`) and `OUT/assignments.parquet`;
/// returns each stage's shards.
pub fn write(
    output: &Path,
    runs: &[PathBuf],
    candidates: &[Candidate],
    plans: &[StagePlan],
) -> Result<Vec<Vec<ShardReport>>> {
    let conn = duckdb::Connection::open_in_memory().context("opening DuckDB")?;
    let scratch = output.join(".tmp");
    std::fs::create_dir_all(&scratch)?;
    conn.execute_batch(&format!(
        "SET temp_directory = {}; SET preserve_insertion_order = false;",
        quote(&scratch.to_string_lossy())
    ))?;
    let kept: Vec<String> = runs
        .iter()
        .enumerate()
        .map(|(r, run)| {
            format!(
                "SELECT {r}::UINTEGER AS run, id, text, language, tokens FROM read_parquet({}, union_by_name = true)",
                quote(&run.join("kept").join("*.parquet").to_string_lossy())
            )
        })
        .collect();
    conn.execute_batch(&format!("CREATE VIEW docs AS {}", kept.join(" UNION ALL ")))?;
    conn.execute_batch(
        "CREATE TABLE assign (stage VARCHAR, position UBIGINT, shard UINTEGER, run UINTEGER, id VARCHAR, \
         bucket VARCHAR, copy UINTEGER)",
    )?;
    {
        let mut appender = conn.appender("assign")?;
        for plan in plans {
            for (position, (pick, shard)) in plan.picks.iter().enumerate() {
                let c = &candidates[pick.index];
                appender.append_row(params![
                    plan.name,
                    position as u64,
                    shard,
                    c.run,
                    c.id,
                    plan.buckets[pick.bucket].name,
                    pick.copy
                ])?;
            }
        }
        appender.flush()?;
    }
    let mut written = Vec::new();
    for plan in plans {
        let dir = stage_dir(output, plan.name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir)?;
        written.push(write_stage(&conn, output, &dir, plan.name, runs)?);
    }
    let runs_list: Vec<String> = runs
        .iter()
        .enumerate()
        .map(|(r, p)| format!("({r}::UINTEGER, {})", quote(&p.to_string_lossy())))
        .collect();
    conn.execute_batch(&format!(
        "CREATE TABLE runs (run UINTEGER, path VARCHAR); INSERT INTO runs VALUES {}; \
         COPY (SELECT a.stage, a.position, a.shard, r.path AS run, a.id, a.bucket, a.copy FROM assign a JOIN runs r USING (run) \
               ORDER BY a.stage, a.position) TO {} (FORMAT parquet);",
        runs_list.join(", "),
        quote(&output.join("assignments.parquet").to_string_lossy())
    ))?;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(written)
}

/// The columns of a shard.
fn shard_schema() -> Schema {
    [
        ("id", DataType::String),
        ("text", DataType::String),
        ("language", DataType::String),
        ("tokens", DataType::UInt64),
        ("bucket", DataType::String),
        ("copy", DataType::UInt32),
        ("run", DataType::String),
    ]
    .into_iter()
    .map(|(n, t)| Field::new(n.into(), t))
    .collect()
}

/// Streams one stage's documents in order into its shards.
fn write_stage(
    conn: &duckdb::Connection,
    output: &Path,
    dir: &Path,
    stage: &str,
    runs: &[PathBuf],
) -> Result<Vec<ShardReport>> {
    let mut stmt = conn.prepare(
        "SELECT a.shard, d.id, d.text, d.language, d.tokens, a.bucket, a.copy, a.run \
         FROM assign a JOIN docs d ON d.run = a.run AND d.id = a.id WHERE a.stage = ? ORDER BY a.position",
    )?;
    let schema = shard_schema();
    let mut reports: Vec<ShardReport> = Vec::new();
    let mut open: Option<(u32, ParquetShard)> = None;
    let run_names: Vec<String> = runs.iter().map(|r| r.display().to_string()).collect();
    for batch in stmt.query_arrow(params![stage])? {
        let text = |i: usize| -> Result<Vec<Option<String>>> {
            let col = duckdb::arrow::compute::cast(batch.column(i), &ArrowType::Utf8)?;
            let col = col.as_string::<i32>();
            Ok((0..col.len()).map(|k| col.is_valid(k).then(|| col.value(k).to_string())).collect())
        };
        let shard_col = duckdb::arrow::compute::cast(batch.column(0), &ArrowType::UInt32)?;
        let shard_col = shard_col.as_primitive::<UInt32Type>();
        let tokens_col = duckdb::arrow::compute::cast(batch.column(4), &ArrowType::UInt64)?;
        let tokens_col = tokens_col.as_primitive::<UInt64Type>();
        let copy_col = duckdb::arrow::compute::cast(batch.column(6), &ArrowType::UInt32)?;
        let copy_col = copy_col.as_primitive::<UInt32Type>();
        let run_col = duckdb::arrow::compute::cast(batch.column(7), &ArrowType::UInt32)?;
        let run_col = run_col.as_primitive::<UInt32Type>();
        let (ids, texts, languages, buckets) = (text(1)?, text(2)?, text(3)?, text(5)?);
        // Rows of one shard at a time: a batch may end one shard and start the next.
        let mut start = 0;
        while start < batch.num_rows() {
            let shard = shard_col.value(start);
            let mut end = start;
            while end < batch.num_rows() && shard_col.value(end) == shard {
                end += 1;
            }
            if open.as_ref().is_none_or(|(s, _)| *s != shard) {
                if let Some((_, previous)) = open.take() {
                    previous.commit()?;
                }
                let path = dir.join(format!("{shard:05}.parquet"));
                open = Some((shard, ParquetShard::create(&path, &schema)?));
                let file = path.strip_prefix(output).unwrap_or(&path).display().to_string();
                reports.push(ShardReport { file, documents: 0, tokens: 0 });
            }
            let rows = start..end;
            let tokens: Vec<u64> = rows.clone().map(|k| tokens_col.value(k)).collect();
            let report = reports.last_mut().expect("opened above");
            report.documents += tokens.len() as u64;
            report.tokens += tokens.iter().sum::<u64>();
            let df = DataFrame::new(
                end - start,
                vec![
                    Column::new("id".into(), ids[rows.clone()].to_vec()),
                    Column::new("text".into(), texts[rows.clone()].to_vec()),
                    Column::new("language".into(), languages[rows.clone()].to_vec()),
                    Column::new("tokens".into(), tokens),
                    Column::new("bucket".into(), buckets[rows.clone()].to_vec()),
                    Column::new("copy".into(), rows.clone().map(|k| copy_col.value(k)).collect::<Vec<u32>>()),
                    Column::new(
                        "run".into(),
                        rows.map(|k| run_names[run_col.value(k) as usize].clone()).collect::<Vec<String>>(),
                    ),
                ],
            )?;
            open.as_mut().expect("opened above").1.write(&df)?;
            start = end;
        }
    }
    if let Some((_, last)) = open.take() {
        last.commit()?;
    }
    Ok(reports)
}
