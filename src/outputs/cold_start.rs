//! What the cold-start stage hands on, written after the run from its tables: SFT-ready chat
//! records of the kept (query, response) pairs (`sft/sft.jsonl`, `pairs/pairs.parquet`) and
//! the annotation queue of queries no response solved or nothing can verify
//! (`annotation/queue.jsonl`, `annotation/queue.parquet`), each with every response and why
//! it failed. Rows stream from DuckDB over the run's Parquet files: memory stays bounded.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use curate_filters::answer::split_thinking;
use curate_sources::writer::ParquetShard;
use polars::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

/// How kept pairs become SFT records.
#[derive(Debug, Clone, Copy)]
pub struct SftOptions {
    /// Most responses kept per query (0: every passing one).
    pub per_query: usize,
    /// Keep the shortest passing responses first (else input order).
    pub prefer_shorter: bool,
    /// Emit the no-thinking form: an empty think block, as Qwen3's template writes for `/no_think`.
    pub no_think: bool,
    /// Most queries per domain in the SFT output, for balance (0: no cap). Which ones is decided
    /// by a hash of the id: the same on every rerun, and not biased by input order.
    pub max_per_domain: usize,
}

/// What the outputs hold, for the summary and the manifest.
#[derive(Debug, Default, Serialize)]
pub struct ColdStartOutputs {
    /// Kept queries per domain.
    pub domains: BTreeMap<String, u64>,
    /// Queries per domain left out of the SFT output by `--max-per-domain`.
    pub capped: BTreeMap<String, u64>,
    /// SFT records written.
    pub sft_records: u64,
    /// Queries in the annotation queue.
    pub annotation_queue: u64,
}

/// A response as reasoning and the answer the user sees: its `<think>` block and what follows,
/// or, without a block, the whole response as reasoning and its final answer (or last
/// paragraph) as what the user sees; and whether it had a block.
pub fn reasoning_and_answer(response: &str, answer: Option<&str>) -> (String, String, bool) {
    let (thinking, after) = split_thinking(response);
    match thinking {
        Some(t) => (t.trim().to_string(), after.trim().to_string(), true),
        None => {
            let visible = match answer {
                Some(a) => format!("The final answer is $\\boxed{{{a}}}$."),
                None => response.trim().rsplit("\n\n").next().unwrap_or("").trim().to_string(),
            };
            (response.trim().to_string(), visible, false)
        }
    }
}

/// The assistant turn of an SFT record: reasoning in a `<think>` block, then the answer.
pub fn assistant_turn(response: &str, answer: Option<&str>, no_think: bool) -> String {
    let (reasoning, visible, had_block) = reasoning_and_answer(response, answer);
    if no_think {
        let body = if had_block { visible } else { reasoning };
        format!("<think>\n\n</think>\n\n{body}")
    } else {
        format!("<think>\n{reasoning}\n</think>\n\n{visible}")
    }
}

fn pairs_schema() -> Schema {
    [
        ("query_id", DataType::String),
        ("response_index", DataType::UInt64),
        ("query", DataType::String),
        ("response", DataType::String),
        ("model", DataType::String),
        ("decoding", DataType::String),
        ("answer", DataType::String),
        ("domain", DataType::String),
    ]
    .into_iter()
    .map(|(n, t)| Field::new(n.into(), t))
    .collect()
}

/// Buffered rows of `pairs.parquet`.
#[derive(Default)]
struct Pairs {
    query_id: Vec<String>,
    index: Vec<u64>,
    query: Vec<String>,
    response: Vec<String>,
    model: Vec<Option<String>>,
    /// How a sampled response was decoded (seed, max_tokens, think), as JSON.
    decoding: Vec<Option<String>>,
    answer: Vec<Option<String>>,
    domain: Vec<Option<String>>,
}

impl Pairs {
    fn flush(&mut self, shard: &mut ParquetShard) -> Result<()> {
        let height = self.query_id.len();
        let df = DataFrame::new(
            height,
            vec![
                Column::new("query_id".into(), std::mem::take(&mut self.query_id)),
                Column::new("response_index".into(), std::mem::take(&mut self.index)),
                Column::new("query".into(), std::mem::take(&mut self.query)),
                Column::new("response".into(), std::mem::take(&mut self.response)),
                Column::new("model".into(), std::mem::take(&mut self.model)),
                Column::new("decoding".into(), std::mem::take(&mut self.decoding)),
                Column::new("answer".into(), std::mem::take(&mut self.answer)),
                Column::new("domain".into(), std::mem::take(&mut self.domain)),
            ],
        )?;
        shard.write(&df)?;
        Ok(())
    }
}

/// Writes the SFT records, the pairs and the annotation queue of the run at `root`.
pub fn write(
    root: &Path,
    responses_field: &str,
    text_key: &str,
    options: SftOptions,
) -> Result<ColdStartOutputs> {
    let conn = crate::sql::open(root)?;
    let mut out = ColdStartOutputs::default();
    for dir in ["sft", "pairs", "annotation"] {
        std::fs::create_dir_all(root.join(dir)).with_context(|| format!("creating {dir}/"))?;
    }

    // Kept queries: their passing responses.
    let sft_path = root.join("sft").join("sft.jsonl");
    let tmp = sft_path.with_extension("jsonl.tmp");
    let mut sft =
        BufWriter::new(std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?);
    let mut shard = ParquetShard::create(&root.join("pairs").join("pairs.parquet"), &pairs_schema())?;
    let mut pairs = Pairs::default();
    if crate::sql::has_parquet(&root.join("kept")) {
        // Each query with its rank inside its domain, in the order of a hash of its id.
        let mut stmt = conn.prepare(
            "SELECT id, text, meta, row_number() OVER (PARTITION BY regexp_extract(meta, '\"domain\":\"([^\"]*)\"', 1) \
             ORDER BY hash(id), id) AS rank FROM kept ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (id, query, meta, rank): (String, String, Option<String>, i64) =
                (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
            let meta = crate::records::meta_json(meta.as_deref());
            let domain = meta.get("domain").and_then(Value::as_str).map(String::from);
            let label = domain.clone().unwrap_or_else(|| "unlabelled".into());
            *out.domains.entry(label.clone()).or_default() += 1;
            if options.max_per_domain > 0 && rank as usize > options.max_per_domain {
                *out.capped.entry(label).or_default() += 1;
                continue;
            }
            let texts = match &meta {
                Value::Object(fields) => {
                    curate_filters::cold_start::record::responses(fields, responses_field, text_key)
                }
                _ => Vec::new(),
            };
            let verdicts =
                meta.get("curate_responses").and_then(Value::as_array).cloned().unwrap_or_default();
            let mut passing: Vec<(usize, Option<String>)> = verdicts
                .iter()
                .filter(|v| v.get("passed").and_then(Value::as_bool) == Some(true))
                .filter_map(|v| {
                    let i = v.get("index")?.as_u64()? as usize;
                    Some((i, v.get("answer").and_then(Value::as_str).map(String::from)))
                })
                .filter(|(i, _)| *i < texts.len())
                .collect();
            if options.prefer_shorter {
                passing.sort_by_key(|(i, _)| (texts[*i].0.chars().count(), *i));
            }
            if options.per_query > 0 {
                passing.truncate(options.per_query);
            }
            for (i, answer) in passing {
                let (response, model) = &texts[i];
                let record = json!({
                    "id": format!("{id}#r{}", i + 1),
                    "query_id": id,
                    "domain": domain,
                    "messages": [
                        {"role": "user", "content": query},
                        {"role": "assistant", "content": assistant_turn(response, answer.as_deref(), options.no_think)},
                    ],
                });
                writeln!(sft, "{record}")?;
                out.sft_records += 1;
                pairs.query_id.push(id.clone());
                pairs.index.push(i as u64 + 1);
                pairs.query.push(query.clone());
                pairs.response.push(response.clone());
                pairs.model.push(model.clone());
                pairs.decoding.push(
                    meta.get(responses_field)
                        .and_then(|r| r.get(i))
                        .and_then(|r| r.get("decoding"))
                        .map(Value::to_string),
                );
                pairs.answer.push(answer);
                pairs.domain.push(domain.clone());
                if pairs.query_id.len() >= 10_000 {
                    pairs.flush(&mut shard)?;
                }
            }
        }
    }
    pairs.flush(&mut shard)?;
    shard.commit()?;
    sft.flush()?;
    drop(sft);
    std::fs::rename(&tmp, &sft_path).with_context(|| format!("writing {}", sft_path.display()))?;

    // The annotation queue: no verifier, or no passing response.
    let queue = root.join("annotation").join("queue.parquet");
    let wanted = "SELECT id, text AS query, step, rule, reason, meta FROM rejected \
                  WHERE rule IN ('has_verifier', 'pass_at_n') ORDER BY id";
    let queue_jsonl = root.join("annotation").join("queue.jsonl");
    let tmp = queue_jsonl.with_extension("jsonl.tmp");
    let mut jsonl =
        BufWriter::new(std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?);
    if crate::sql::has_parquet(&root.join("rejected")) {
        conn.execute_batch(&format!(
            "COPY ({wanted}) TO '{}' (FORMAT parquet, COMPRESSION zstd)",
            queue.to_string_lossy().replace('\'', "''")
        ))
        .context("writing annotation/queue.parquet")?;
        let mut stmt = conn.prepare(wanted)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let (id, query, step, rule, reason, meta): (
                String,
                String,
                String,
                String,
                Option<String>,
                Option<String>,
            ) = (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?);
            let meta = crate::records::meta_json(meta.as_deref());
            let record = json!({
                "id": id, "query": query, "step": step, "rule": rule, "reason": reason,
                "responses": meta.get(responses_field), "verdicts": meta.get("curate_responses"), "record": meta,
            });
            writeln!(jsonl, "{record}")?;
            out.annotation_queue += 1;
        }
    }
    jsonl.flush()?;
    drop(jsonl);
    std::fs::rename(&tmp, &queue_jsonl).with_context(|| format!("writing {}", queue_jsonl.display()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assistant_turns_put_reasoning_in_a_think_block() {
        let worked = "She sells 16 - 3 - 4 = 9 eggs.\nShe makes 9 * 2 = 18 dollars.\n#### 18";
        assert_eq!(
            assistant_turn(worked, Some("18"), false),
            format!("<think>\n{worked}\n</think>\n\nThe final answer is $\\boxed{{18}}$.")
        );
        let thinking = "<think>\n9 * 2 = 18\n</think>\n\nShe makes $18.";
        assert_eq!(
            assistant_turn(thinking, Some("18"), false),
            "<think>\n9 * 2 = 18\n</think>\n\nShe makes $18."
        );
        assert_eq!(assistant_turn(thinking, Some("18"), true), "<think>\n\n</think>\n\nShe makes $18.");
    }
}
