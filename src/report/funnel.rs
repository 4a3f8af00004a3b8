//! The funnel: records and bytes entering and leaving each step, in the stage's order.

use anyhow::Result;
use serde::Serialize;

use super::db::{quote, Db, Number};

/// One step of the funnel.
#[derive(Debug, Serialize)]
pub struct FunnelStep {
    /// The step's name.
    pub step: String,
    /// Records that reached the step.
    pub entering: Number,
    /// Records the step rejected.
    pub dropped: Number,
    /// Text bytes that reached the step.
    pub bytes_entering: Number,
    /// Text bytes of the records it rejected.
    pub bytes_dropped: Number,
    /// Tokens that reached the step (a run with a tokenizer).
    pub tokens_entering: Option<Number>,
    /// Tokens of the records it rejected.
    pub tokens_dropped: Option<Number>,
    /// Percent of the entering records dropped.
    pub share_dropped: f64,
}

/// The whole funnel.
#[derive(Debug, Serialize)]
pub struct Funnel {
    /// Records read (kept + rejected; quarantined lines are counted apart).
    pub input: Number,
    /// Text bytes read.
    pub input_bytes: Number,
    /// The steps in order.
    pub steps: Vec<FunnelStep>,
    /// Records kept.
    pub kept: Number,
    /// Text bytes kept.
    pub kept_bytes: Number,
    /// Tokens read (a run with a tokenizer).
    pub input_tokens: Option<Number>,
    /// Tokens kept.
    pub kept_tokens: Option<Number>,
    /// Input lines that could not be read.
    pub quarantined: Number,
}

/// The records (or their text bytes, with `measure` = `strlen(text)`) that reached a step:
/// the kept ones and those rejected at a step not in `before`.
fn reaching(measure: &str, before: &[String]) -> String {
    let agg = |table: &str| match measure {
        "count" => format!("(SELECT count(*) FROM {table}"),
        m => format!("(SELECT coalesce(sum({m}), 0) FROM {table}"),
    };
    let condition = if before.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = before.iter().map(|s| quote(s)).collect();
        format!(" WHERE step NOT IN ({})", names.join(", "))
    };
    format!("SELECT {}) + {}{condition})", agg("kept"), agg("rejected"))
}

/// The funnel of the run, steps in `order` first, then any other step that rejected records.
/// Counted in two scans; each number carries the query that gives it alone.
pub fn funnel(db: &Db, order: &[String]) -> Result<Funnel> {
    const BYTES: &str = "strlen(text)";
    const TOKENS: &str = "tokens";
    // Runs without a tokenizer have the column (or not, if older) but no counts.
    let has_tokens = db.has_view("main", "token_counts")?
        && db.rows("SELECT count(tokens) FROM kept", |r| r.get::<_, i64>(0))?[0] > 0;
    let tokens_sql =
        if has_tokens { format!("coalesce(sum({TOKENS}), 0)::BIGINT") } else { "0::BIGINT".into() };
    let per_step: Vec<(Option<String>, u64, u64, u64)> = db.rows(
        &format!(
            "SELECT step, count(*), coalesce(sum({BYTES}), 0)::BIGINT, {tokens_sql} FROM rejected GROUP BY 1 ORDER BY 1"
        ),
        |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64, r.get::<_, i64>(3)? as u64)),
    )?;
    let (kept, kept_bytes, kept_tokens) = db.rows(
        &format!("SELECT count(*), coalesce(sum({BYTES}), 0)::BIGINT, {tokens_sql} FROM kept"),
        |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64)),
    )?[0];
    let mut steps: Vec<String> = order.to_vec();
    for (step, _, _, _) in &per_step {
        if let Some(step) = step.as_ref().filter(|s| !steps.contains(s)) {
            steps.push(step.clone());
        }
    }
    let dropped_at = |step: &str| {
        per_step
            .iter()
            .find(|(s, _, _, _)| s.as_deref() == Some(step))
            .map_or((0, 0, 0), |(_, n, b, t)| (*n, *b, *t))
    };
    let total_rejected: (u64, u64, u64) =
        per_step.iter().fold((0, 0, 0), |acc, (_, n, b, t)| (acc.0 + n, acc.1 + b, acc.2 + t));
    let mut left = (kept + total_rejected.0, kept_bytes + total_rejected.1, kept_tokens + total_rejected.2);
    let tokens = |value: u64, sql: String| has_tokens.then_some(Number { value, sql });
    let input = left;
    let mut out = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let before = &steps[..i];
        let (n, b, t) = dropped_at(step);
        let entering = Number { value: left.0, sql: reaching("count", before) };
        let share_dropped = if left.0 == 0 { 0.0 } else { 100.0 * n as f64 / left.0 as f64 };
        out.push(FunnelStep {
            step: step.clone(),
            entering,
            dropped: Number {
                value: n,
                sql: format!("SELECT count(*) FROM rejected WHERE step = {}", quote(step)),
            },
            bytes_entering: Number { value: left.1, sql: reaching(BYTES, before) },
            bytes_dropped: Number {
                value: b,
                sql: format!("SELECT coalesce(sum({BYTES}), 0) FROM rejected WHERE step = {}", quote(step)),
            },
            tokens_entering: tokens(left.2, reaching(TOKENS, before)),
            tokens_dropped: tokens(
                t,
                format!("SELECT coalesce(sum({TOKENS}), 0) FROM rejected WHERE step = {}", quote(step)),
            ),
            share_dropped,
        });
        left = (left.0 - n, left.1 - b, left.2 - t);
    }
    Ok(Funnel {
        input: Number { value: input.0, sql: reaching("count", &[]) },
        input_bytes: Number { value: input.1, sql: reaching(BYTES, &[]) },
        steps: out,
        kept: Number { value: kept, sql: "SELECT count(*) FROM kept".into() },
        kept_bytes: Number { value: kept_bytes, sql: format!("SELECT coalesce(sum({BYTES}), 0) FROM kept") },
        input_tokens: tokens(input.2, reaching(TOKENS, &[])),
        kept_tokens: tokens(kept_tokens, format!("SELECT coalesce(sum({TOKENS}), 0) FROM kept")),
        quarantined: db.number("SELECT count(*) FROM quarantine".into())?,
    })
}
