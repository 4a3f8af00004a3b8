//! The last pass of deduplication: each task splits the records its filters kept
//! (`pending/<task>.parquet`) into `kept/<task>.parquet` and `rejected/<task>.dedup.parquet`,
//! using `duplicates.parquet`, and writes a decision for every dedup step a record reached.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::{Context, Result};
use curate_schemas::output::{self, DecisionTable, DocumentTable};
use curate_schemas::{DecisionRow, Document};
use curate_sources::parquet::DocumentFile;
use curate_sources::writer::ParquetShard;

use crate::counts::TaskCounts;
use crate::engine::row_groups::flush;
use crate::engine::run_dir::{RunDir, Task};

/// A dedup step as decisions name it.
pub struct DedupStepInfo {
    /// The step's name.
    pub name: Arc<str>,
    /// The rule its decisions carry.
    pub rule: Arc<str>,
    /// Version of the step's rules.
    pub version: Arc<str>,
    /// The threshold written into decisions.
    pub threshold: Option<f64>,
}

struct Duplicate {
    step: usize,
    rep: u64,
    rep_id: String,
    rep_source: String,
    rep_line: u64,
    score: f64,
}

fn duplicates_of(dir: &RunDir, task_index: usize) -> Result<HashMap<u64, Duplicate>> {
    let conn = super::cluster::reused_duckdb("reading duplicates", |_| Ok(()))?;
    let path = dir.root().join("duplicates.parquet");
    let lo = (task_index as u64) << 32;
    let hi = lo + (1u64 << 32);
    let mut stmt = conn.prepare(&format!(
        "SELECT doc, step, rep, rep_id, rep_source, rep_line, score FROM read_parquet('{}') WHERE doc >= {lo} AND doc < {hi}",
        path.to_string_lossy().replace('\'', "''")
    ))?;
    let mut rows = stmt.query([])?;
    let mut out = HashMap::new();
    while let Some(row) = rows.next()? {
        let doc: u64 = row.get(0)?;
        let step: u32 = row.get(1)?;
        out.insert(
            doc - lo,
            Duplicate {
                step: step as usize,
                rep: row.get(2)?,
                rep_id: row.get(3)?,
                rep_source: row.get(4)?,
                rep_line: row.get(5)?,
                score: row.get(6)?,
            },
        );
    }
    Ok(out)
}

/// Splits one task's pending records; returns the task's final counts.
pub fn apply(
    dir: &RunDir,
    task: &Task,
    task_index: usize,
    stage: &Arc<str>,
    steps: &[DedupStepInfo],
    filtered: &TaskCounts,
) -> Result<TaskCounts> {
    let dups = duplicates_of(dir, task_index).with_context(|| format!("duplicates of {}", task.id))?;
    let kept_path = dir.output("kept", task);
    let rejected_path = dir.dedup_output("rejected", task);
    let decisions_path = dir.dedup_output("decisions", task);
    let mut kept = (DocumentTable::kept(), ParquetShard::create(&kept_path, &output::kept_schema())?);
    let mut rejected =
        (DocumentTable::rejected(), ParquetShard::create(&rejected_path, &output::rejected_schema())?);
    let mut decisions =
        (DecisionTable::default(), ParquetShard::create(&decisions_path, &output::decisions_schema())?);

    let mut counts = filtered.clone();
    counts.kept = 0;
    counts.languages.clear();
    let first_dedup = counts.steps.len() - steps.len();
    let pending = dir.pending(task);
    let mut file = DocumentFile::open(&pending)?;
    let mut ordinal = 0u64;
    while let Some(docs) = file.next_group()? {
        for doc in docs {
            let dup = dups.get(&ordinal);
            ordinal += 1;
            let mut removed = None;
            for (i, step) in steps.iter().enumerate() {
                counts.steps[first_dedup + i].seen += 1;
                let row =
                    |kept: bool, score: Option<f64>, reason: Option<String>, doc: &Document| DecisionRow {
                        id: doc.id.clone(),
                        item: None,
                        source_file: doc.source.clone(),
                        stage: stage.clone(),
                        step: step.name.clone(),
                        rule: step.rule.clone(),
                        rule_version: step.version.clone(),
                        score,
                        threshold: step.threshold,
                        kept,
                        reason,
                    };
                match dup {
                    Some(d) if d.step == i => {
                        let what = if step.rule.as_ref() == "exact_duplicate" {
                            "exact duplicate".to_string()
                        } else {
                            format!("near-duplicate (similarity {:.3})", d.score)
                        };
                        let reason = format!(
                            "{}: {what} of `{}` ({}:{})",
                            step.name, d.rep_id, d.rep_source, d.rep_line
                        );
                        let decision = row(false, Some(d.score), Some(reason), &doc);
                        decisions.0.push(decision.clone());
                        counts.steps[first_dedup + i].rejected += 1;
                        *counts.steps[first_dedup + i].rules.entry(step.rule.to_string()).or_default() += 1;
                        removed = Some((decision, d));
                        break;
                    }
                    _ => decisions.0.push(row(true, None, None, &doc)),
                }
            }
            match removed {
                Some((decision, d)) => {
                    counts.rejected += 1;
                    rejected.0.push_duplicate(doc, &decision, d.rep, &d.rep_id);
                }
                None => {
                    counts.kept += 1;
                    let lang = doc.language.clone().unwrap_or_else(|| "unknown".into());
                    *counts.languages.entry(lang).or_default() += 1;
                    kept.0.push(doc);
                }
            }
            flush(&mut kept, false)?;
            flush(&mut decisions, false)?;
            flush(&mut rejected, false)?;
        }
    }
    flush(&mut kept, true)?;
    flush(&mut rejected, true)?;
    flush(&mut decisions, true)?;
    kept.1.commit()?;
    rejected.1.commit()?;
    decisions.1.commit()?;
    Ok(counts)
}
