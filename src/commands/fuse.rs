//! `curate fuse`: the assembly of Qwen3's Stage-3 SFT set, thinking and non-thinking modes in
//! one set. Thinking exchanges are the kept (query, response) pairs of cold-start runs (the
//! Stage-1 queries answered through rejection sampling; one passing response per query, the
//! shortest); non-thinking exchanges come from files of (query, response) records with a task
//! type. The config sets the share of thinking exchanges, the shares of task types among the
//! non-thinking ones, the share grouped into multi-turn dialogues (flags at seeded places, the
//! latest deciding each answer) and of thinking exchanges also written as thinking-budget
//! examples. Every record is validated ([`chat_modes::validate`]) before it is written.
//! Writes `OUT/fusion.jsonl`, the same as `OUT/fusion.parquet` (messages and lists as JSON
//! text), and `OUT/fusion.json` (what was asked, what was taken).

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};
use curate_sources::writer::ParquetShard;
use polars::prelude::{Column, DataFrame};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::cli::FuseArgs;
use crate::outputs::chat_modes::{budgeted, dialogue, validate, Exchange, Mode};

/// `curate fuse`'s configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FuseConfig {
    /// Seeds every draw and order.
    pub seed: u64,
    /// Exchanges in the set (0: as many as the shares allow from the pools).
    pub exchanges: usize,
    /// Share of thinking exchanges.
    pub think: f64,
    /// Shares of task types among the non-thinking exchanges (the rest: other types).
    pub task_types: BTreeMap<String, f64>,
    /// Shares of the non-thinking exchanges that are translations into a language (the
    /// answer's language, by language ID): Qwen3 raises translation for low-resource
    /// languages. Counted within the `translation` task type.
    pub translation: BTreeMap<String, f64>,
    /// Share of exchanges grouped into multi-turn dialogues (2 to `max_turns` turns).
    pub dialogues: f64,
    /// Most turns of a dialogue.
    pub max_turns: usize,
    /// Chance that a user turn carries a flag its mode does not need.
    pub flag_rate: f64,
    /// Share of thinking exchanges also written with their reasoning cut at `budget_tokens`.
    pub budget: f64,
    /// The thinking budget, in tokens of `--tokenizer` (words without one).
    pub budget_tokens: usize,
}

impl Default for FuseConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            exchanges: 0,
            think: 0.5,
            task_types: BTreeMap::new(),
            translation: BTreeMap::new(),
            dialogues: 0.2,
            max_turns: 4,
            flag_rate: 0.3,
            budget: 0.1,
            budget_tokens: 256,
        }
    }
}

/// An exchange with where it came from.
#[derive(Debug, Clone)]
struct Source {
    id: String,
    exchange: Exchange,
    task_type: String,
    teacher: Option<String>,
    /// How the teacher decoded it (seed, max_tokens, think), when it was sampled.
    decoding: Option<serde_json::Value>,
}

/// What `fusion.json` records.
#[derive(Debug, Serialize)]
struct Report {
    config: FuseConfig,
    pools: BTreeMap<String, usize>,
    exchanges: BTreeMap<String, usize>,
    task_types: BTreeMap<String, usize>,
    /// Translation exchanges per language of the answer.
    translation_languages: BTreeMap<String, usize>,
    single_turn_records: usize,
    dialogues: usize,
    dialogue_turns: usize,
    budget_examples: usize,
    records: usize,
    teachers: BTreeMap<String, usize>,
}

/// Runs `curate fuse`.
pub fn run(args: &FuseArgs) -> Result<()> {
    let config: FuseConfig = match &args.config {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            toml::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?
        }
        None => FuseConfig::default(),
    };
    for (name, share) in [
        ("think", config.think),
        ("dialogues", config.dialogues),
        ("flag_rate", config.flag_rate),
        ("budget", config.budget),
    ] {
        if !(0.0..=1.0).contains(&share) {
            bail!("`{name}` is a share in [0, 1], got {share}");
        }
    }
    if config.max_turns < 2 {
        bail!("`max_turns` must be at least 2");
    }
    let mut think_pool = Vec::new();
    for run in &args.think {
        think_pool.extend(think_exchanges(run)?);
    }
    let mut plain_pool = Vec::new();
    for source in &args.no_think {
        plain_pool.extend(if source.is_dir() {
            plain_run_exchanges(source)?
        } else {
            plain_exchanges(source, &args.query_field, &args.response_field, &args.task_type_field)?
        });
    }
    let tokenizer = match &args.tokenizer {
        Some(path) => Some(crate::tokens::Tokenizer::open(path)?),
        None => None,
    };
    let count = |s: &str| match &tokenizer {
        Some(t) => t.count(s) as usize,
        None => s.split_whitespace().count(),
    };

    // How many of each: the config's total, or as many as the pools allow at these shares.
    let think_share = config.think;
    let total = if config.exchanges > 0 {
        config.exchanges
    } else {
        let by_think =
            if think_share > 0.0 { (think_pool.len() as f64 / think_share) as usize } else { usize::MAX };
        let by_plain = if think_share < 1.0 {
            (plain_pool.len() as f64 / (1.0 - think_share)) as usize
        } else {
            usize::MAX
        };
        by_think.min(by_plain)
    };
    let think_n = (total as f64 * think_share).round() as usize;
    let plain_n = total - think_n;
    let seed = config.seed;
    let think = draw(&think_pool, think_n, seed, "think").context("thinking exchanges (--think runs)")?;
    let mut report_languages = BTreeMap::new();
    let by_language: f64 = config.translation.values().sum();
    let translation_type = config.task_types.get(TRANSLATION).copied().unwrap_or(0.0).max(by_language);
    let given: f64 =
        config.task_types.iter().filter(|(t, _)| t.as_str() != TRANSLATION).map(|(_, s)| s).sum::<f64>()
            + translation_type;
    if given > 1.0 + 1e-9 {
        bail!("the task_types and translation shares add up to {:.1}%, more than 100%", given * 100.0);
    }
    let mut plain = Vec::new();
    let mut allotted = 0;
    // Translations into each language first (the language of the answer), then the task types
    // (a `translation` share counts them), then the rest.
    let mut translations_taken = 0;
    if !config.translation.is_empty() {
        let detector = curate_filters::language_id::LinguaLanguageId::new(&Default::default())?;
        let translations: Vec<(String, &Source)> = plain_pool
            .iter()
            .filter(|s| s.task_type == TRANSLATION)
            .map(|s| (detector.detect(&s.exchange.answer).map(|(l, _)| l).unwrap_or_default(), s))
            .collect();
        for (language, share) in &config.translation {
            let n = (plain_n as f64 * share).round() as usize;
            let pool: Vec<Source> =
                translations.iter().filter(|(l, _)| l == language).map(|(_, s)| (*s).clone()).collect();
            let drawn = draw(&pool, n, seed, &format!("translation/{language}"))
                .with_context(|| format!("translations into `{language}`"))?;
            report_languages.insert(language.clone(), drawn.len());
            translations_taken += drawn.len();
            plain.extend(drawn);
        }
        allotted += translations_taken;
    }
    let taken: std::collections::HashSet<String> = plain.iter().map(|s| s.id.clone()).collect();
    for (task, share) in &config.task_types {
        let mut n = (plain_n as f64 * share).round() as usize;
        if task == TRANSLATION {
            n = n.saturating_sub(translations_taken);
        }
        allotted += n;
        let pool: Vec<Source> =
            plain_pool.iter().filter(|s| &s.task_type == task && !taken.contains(&s.id)).cloned().collect();
        plain.extend(draw(&pool, n, seed, task).with_context(|| format!("non-thinking `{task}` exchanges"))?);
    }
    let others: Vec<Source> = plain_pool
        .iter()
        .filter(|s| !config.task_types.contains_key(&s.task_type) && !taken.contains(&s.id))
        .cloned()
        .collect();
    plain.extend(
        draw(&others, plain_n.saturating_sub(allotted), seed, "other")
            .context("non-thinking exchanges of other task types")?,
    );

    // All exchanges in a seeded order; the first share becomes dialogues.
    let mut all: Vec<Source> = think.into_iter().chain(plain).collect();
    all.sort_by_key(|s| key(seed, "order", &s.id));
    let in_dialogues = (all.len() as f64 * config.dialogues).round() as usize;
    let output = &args.output;
    std::fs::create_dir_all(output).with_context(|| format!("creating {}", output.display()))?;
    let path = output.join("fusion.jsonl");
    let mut file =
        BufWriter::new(std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?);
    let mut report = Report {
        config: config.clone(),
        pools: BTreeMap::from([("think".into(), think_pool.len()), ("no_think".into(), plain_pool.len())]),
        exchanges: BTreeMap::new(),
        task_types: BTreeMap::new(),
        translation_languages: report_languages,
        single_turn_records: 0,
        dialogues: 0,
        dialogue_turns: 0,
        budget_examples: 0,
        records: 0,
        teachers: BTreeMap::new(),
    };
    let mut table: Vec<Vec<String>> = vec![Vec::new(); COLUMNS.len()];
    let mut write = |kind: &str,
                     group: &[&Source],
                     messages: Vec<crate::outputs::chat_modes::Message>,
                     report: &mut Report|
     -> Result<()> {
        validate(&messages).map_err(|e| {
            anyhow::anyhow!(
                "record of {:?} breaks the format: {e}",
                group.iter().map(|s| &s.id).collect::<Vec<_>>()
            )
        })?;
        let record = json!({
            "id": group.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join("+"),
            "kind": kind,
            "messages": messages,
            "modes": group.iter().map(|s| s.exchange.mode).collect::<Vec<_>>(),
            "task_types": group.iter().map(|s| s.task_type.as_str()).collect::<Vec<_>>(),
            "teachers": group.iter().map(|s| s.teacher.as_deref()).collect::<Vec<_>>(),
            "decodings": group.iter().map(|s| s.decoding.clone()).collect::<Vec<_>>(),
        });
        writeln!(file, "{record}")?;
        // The Parquet copy: each field as a column, lists and messages as JSON text.
        for (column, field) in table.iter_mut().zip(COLUMNS) {
            let value = &record[field];
            column.push(value.as_str().map_or_else(|| value.to_string(), String::from));
        }
        report.records += 1;
        Ok(())
    };
    for s in &all {
        let mode = match s.exchange.mode {
            Mode::Think => "think",
            Mode::NoThink => "no_think",
        };
        *report.exchanges.entry(mode.into()).or_default() += 1;
        *report.task_types.entry(s.task_type.clone()).or_default() += 1;
        *report.teachers.entry(s.teacher.clone().unwrap_or_else(|| "unknown".into())).or_default() += 1;
    }
    let mut at = 0;
    let mut group_no = 0u64;
    while at < in_dialogues {
        let size = 2 + (key(seed, "turns", &group_no.to_string()) % (config.max_turns as u64 - 1)) as usize;
        let end = (at + size).min(in_dialogues);
        let group: Vec<&Source> = all[at..end].iter().collect();
        let exchanges: Vec<Exchange> = group.iter().map(|s| s.exchange.clone()).collect();
        let messages = dialogue(&exchanges, key(seed, "flags", &group_no.to_string()), config.flag_rate);
        let kind = if group.len() > 1 { "dialogue" } else { "single" };
        write(kind, &group, messages, &mut report)?;
        if group.len() > 1 {
            report.dialogues += 1;
            report.dialogue_turns += group.len();
        } else {
            report.single_turn_records += 1;
        }
        at = end;
        group_no += 1;
    }
    for s in &all[in_dialogues..] {
        let messages =
            dialogue(std::slice::from_ref(&s.exchange), key(seed, "flags", &s.id), config.flag_rate);
        write("single", &[s], messages, &mut report)?;
        report.single_turn_records += 1;
    }
    // Thinking-budget examples: a share of the thinking exchanges, their reasoning cut.
    let mut thinking: Vec<&Source> = all.iter().filter(|s| s.exchange.mode == Mode::Think).collect();
    thinking.sort_by_key(|s| key(seed, "budget", &s.id));
    let wanted = (thinking.len() as f64 * config.budget).round() as usize;
    for s in thinking
        .iter()
        .filter_map(|s| budgeted(&s.exchange, config.budget_tokens, count).map(|b| (s, b)))
        .take(wanted)
        .collect::<Vec<_>>()
    {
        let (source, cut) = s;
        let messages = dialogue(std::slice::from_ref(&cut), 0, 1.0);
        write("thinking_budget", &[*source], messages, &mut report)?;
        report.budget_examples += 1;
    }
    file.flush()?;
    drop(file);
    let parquet = output.join("fusion.parquet");
    let columns: Vec<Column> =
        COLUMNS.iter().zip(table).map(|(name, values)| Column::new((*name).into(), values)).collect();
    let df = DataFrame::new(report.records, columns)?;
    let mut shard = ParquetShard::create(&parquet, df.schema())?;
    shard.write(&df)?;
    shard.commit()?;
    let json_path = output.join("fusion.json");
    std::fs::write(&json_path, serde_json::to_string_pretty(&report)? + "\n")?;
    let shares: Vec<String> = report.task_types.iter().map(|(t, n)| format!("{t} {n}")).collect();
    outln!(
        "fusion: {} records ({} single-turn, {} dialogues of {} turns, {} thinking-budget examples), every one valid; \
         exchanges: think {}, no_think {}; task types: {}",
        report.records,
        report.single_turn_records,
        report.dialogues,
        report.dialogue_turns,
        report.budget_examples,
        report.exchanges.get("think").unwrap_or(&0),
        report.exchanges.get("no_think").unwrap_or(&0),
        shares.join(", ")
    );
    outln!("-> {} (and fusion.parquet; {})", path.display(), json_path.display());
    Ok(())
}

/// The fields of a record, the columns of `fusion.parquet`.
const COLUMNS: [&str; 7] = ["id", "kind", "messages", "modes", "task_types", "teachers", "decodings"];

/// The task type whose shares per language `translation` sets.
const TRANSLATION: &str = "translation";

/// A seeded key.
fn key(seed: u64, salt: &str, id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64_with_seed(format!("{salt}\0{id}").as_bytes(), seed)
}

/// `n` of `pool` in seeded order; an error when the pool is smaller.
fn draw(pool: &[Source], n: usize, seed: u64, salt: &str) -> Result<Vec<Source>> {
    if n > pool.len() {
        bail!("{n} asked, {} available", pool.len());
    }
    let mut order: Vec<&Source> = pool.iter().collect();
    order.sort_by_key(|s| key(seed, salt, &s.id));
    Ok(order.into_iter().take(n).cloned().collect())
}

/// A kept pair of a run.
struct Pair {
    id: String,
    query: String,
    response: String,
    /// The teacher.
    model: Option<String>,
    answer: Option<String>,
    /// The domain (cold-start) or task type (thinking-fusion).
    domain: Option<String>,
    /// How a sampled response was decoded (seed, max_tokens, think).
    decoding: Option<serde_json::Value>,
}

/// Per kept query of a cold-start (or thinking-fusion) run, its shortest passing response.
fn pairs_of(run: &Path) -> Result<Vec<Pair>> {
    let pairs = run.join("pairs").join("pairs.parquet");
    if !pairs.is_file() {
        bail!("{}: no pairs/pairs.parquet: give a finished cold-start or thinking-fusion run", run.display());
    }
    let conn = duckdb::Connection::open_in_memory()?;
    let file = format!("read_parquet('{}')", pairs.to_string_lossy().replace('\'', "''"));
    // Runs written before decoding settings were recorded have no such column.
    let has_decoding: bool = conn.query_row(
        &format!("SELECT count(*) > 0 FROM (DESCRIBE SELECT * FROM {file}) WHERE column_name = 'decoding'"),
        [],
        |r| r.get(0),
    )?;
    let decoding = if has_decoding { "decoding" } else { "NULL::VARCHAR" };
    let sql = format!(
        "SELECT query_id, query, response, model, answer, domain, {decoding} FROM {file} \
         QUALIFY row_number() OVER (PARTITION BY query_id ORDER BY length(response), response_index) = 1 ORDER BY query_id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], |r| {
        Ok(Pair {
            id: r.get(0)?,
            query: r.get(1)?,
            response: r.get(2)?,
            model: r.get(3)?,
            answer: r.get(4)?,
            domain: r.get(5)?,
            decoding: r.get::<_, Option<String>>(6)?.and_then(|d| serde_json::from_str(&d).ok()),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The thinking exchanges of a cold-start run.
fn think_exchanges(run: &Path) -> Result<Vec<Source>> {
    Ok(pairs_of(run)?
        .into_iter()
        .map(|p| {
            let (reasoning, visible, _) =
                crate::outputs::cold_start::reasoning_and_answer(&p.response, p.answer.as_deref());
            Source {
                id: format!("think:{}", p.id),
                exchange: Exchange {
                    user: p.query,
                    reasoning: Some(reasoning),
                    answer: visible,
                    mode: Mode::Think,
                },
                task_type: p.domain.unwrap_or_else(|| "reasoning".into()),
                teacher: p.model,
                decoding: p.decoding,
            }
        })
        .collect())
}

/// The non-thinking exchanges of a thinking-fusion run: responses sampled with thinking off
/// (an empty think block, if any, dropped), task types as labelled.
fn plain_run_exchanges(run: &Path) -> Result<Vec<Source>> {
    Ok(pairs_of(run)?
        .into_iter()
        .map(|p| {
            let answer = match curate_filters::answer::split_thinking(&p.response) {
                (Some(_), after) => after.trim().to_string(),
                (None, _) => p.response.trim().to_string(),
            };
            Source {
                id: format!("no_think:{}", p.id),
                exchange: Exchange { user: p.query, reasoning: None, answer, mode: Mode::NoThink },
                task_type: p.domain.unwrap_or_else(|| "general".into()),
                teacher: p.model,
                decoding: p.decoding,
            }
        })
        .collect())
}

/// The non-thinking exchanges of a JSONL file: `query`, `response`, `task_type` (optional:
/// `general`), `model` (optional: the teacher).
fn plain_exchanges(path: &Path, query: &str, response: &str, task_type: &str) -> Result<Vec<Source>> {
    let inputs = curate_sources::input::expand(&[path.to_string_lossy().into_owned()])?;
    let tmp = crate::records::tempfile_dir()?;
    let mut out = Vec::new();
    for input in &inputs {
        for (line, record) in crate::records::records(input, query, "id", &tmp)? {
            let text = |field: &str| record.get(field).and_then(|v| v.as_str()).map(String::from);
            let (Some(q), Some(r)) = (text(query), text(response)) else {
                bail!(
                    "{}:{line}: a non-thinking record needs `{query}` and `{response}` strings",
                    input.name
                );
            };
            let id = text("id").unwrap_or_else(|| format!("{}:{line}", input.name));
            out.push(Source {
                id: format!("no_think:{id}"),
                exchange: Exchange { user: q, reasoning: None, answer: r, mode: Mode::NoThink },
                task_type: text(task_type).unwrap_or_else(|| "general".into()),
                teacher: text("model"),
                decoding: record.get("decoding").cloned(),
            });
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(out)
}
