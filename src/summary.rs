//! The manifest a run leaves behind and the one-screen summary it prints.

use std::fmt::Write as _;

use serde::Serialize;

use crate::config::StageConfig;
use crate::counts::TaskCounts;
use crate::engine::run_dir::Task;

/// Contents of `manifest.json`.
#[derive(Debug, Serialize)]
pub struct Manifest<'a> {
    /// The curate version that wrote the run.
    pub curate_version: &'static str,
    /// The effective configuration.
    pub config: &'a StageConfig,
    /// Input files with their sizes and formats.
    pub inputs: Vec<&'a curate_sources::InputFile>,
    /// Counts over all tasks, per step.
    pub counts: &'a TaskCounts,
    /// Tasks finished by an earlier invocation and skipped by this one.
    pub resumed_tasks: usize,
    /// Seconds this invocation took.
    pub wall_seconds: f64,
    /// Unix time this invocation finished.
    pub finished_at_unix: u64,
    /// The judge's identity and its verdict-cache hits and misses, when the run had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judge: Option<curate_judges::JudgeUsage>,
    /// The responder's identity and its cache hits and misses (`--responder`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responder: Option<curate_judges::JudgeUsage>,
    /// Every model the run asked (the judge, the responder, steps' own `judge_model`), with
    /// its verdict-cache hits and misses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<curate_judges::JudgeUsage>,
    /// Judge questions skipped for want of a judge (`--no-judge`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped_judge_questions: Vec<String>,
    /// The cold-start stage's outputs (SFT records, annotation queue, domains).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cold_start: Option<&'a crate::outputs::cold_start::ColdStartOutputs>,
    /// Wall seconds of the global dedup pass (clustering across shards, then the split of
    /// each shard into kept and rejected); the steps' `seconds` hold their signature time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dedup_wall_seconds: Option<f64>,
    /// The reasoning-rl selection (domains, quotas, pass rates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning_rl: Option<&'a crate::outputs::reasoning_rl::RlOutputs>,
    /// Tokens kept and rejected, per language and rule (a run with a tokenizer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<&'a crate::tokens::TokenTotals>,
}

impl<'a> Manifest<'a> {
    /// The manifest of a finished run.
    pub fn new(
        config: &'a StageConfig,
        tasks: &'a [Task],
        counts: &'a TaskCounts,
        resumed: usize,
        wall: f64,
    ) -> Self {
        Self {
            curate_version: env!("CARGO_PKG_VERSION"),
            config,
            inputs: tasks.iter().map(|t| &t.input).collect(),
            counts,
            resumed_tasks: resumed,
            wall_seconds: wall,
            finished_at_unix: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            judge: None,
            responder: None,
            models: Vec::new(),
            skipped_judge_questions: Vec::new(),
            cold_start: None,
            reasoning_rl: None,
            dedup_wall_seconds: None,
            tokens: None,
        }
    }
}

fn pct(n: u64, of: u64) -> f64 {
    100.0 * n as f64 / of.max(1) as f64
}

/// The summary printed at the end of a run.
pub fn render(
    stage: &str,
    counts: &TaskCounts,
    tasks: usize,
    resumed: usize,
    wall: f64,
    run: &str,
) -> String {
    let mut s = String::new();
    let c = counts;
    let _ = writeln!(
        s,
        "curate {stage}: {tasks} shard(s) ({resumed} resumed), {:.1} MB read in {wall:.1}s",
        c.bytes_read as f64 / 1e6
    );
    let _ = writeln!(
        s,
        "input {} = kept {} ({:.1}%) + rejected {} ({:.1}%) + quarantined {} ({:.1}%){}",
        c.input,
        c.kept,
        pct(c.kept, c.input),
        c.rejected,
        pct(c.rejected, c.input),
        c.quarantined,
        pct(c.quarantined, c.input),
        if c.blank_lines > 0 { format!("   [{} blank lines skipped]", c.blank_lines) } else { String::new() }
    );
    let _ = writeln!(
        s,
        "\n{:<22} {:>10} {:>10} {:>7} {:>8} {:>8}   top reasons",
        "step", "seen", "dropped", "drop%", "cpu s", "wall s"
    );
    for step in &c.steps {
        let mut rules: Vec<(&String, &u64)> = step.rules.iter().collect();
        rules.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let top: Vec<String> = rules.iter().take(3).map(|(r, n)| format!("{r} {n}")).collect();
        let _ = writeln!(
            s,
            "{:<22} {:>10} {:>10} {:>6.1}% {:>8.2} {:>8.2}   {}",
            step.step,
            step.seen,
            step.rejected,
            pct(step.rejected, step.seen),
            step.seconds,
            step.wall_seconds,
            top.join(", ")
        );
    }
    if !c.languages.is_empty() {
        let mut langs: Vec<(&String, &u64)> = c.languages.iter().collect();
        langs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let top: Vec<String> = langs.iter().take(8).map(|(l, n)| format!("{l} {n}")).collect();
        let more = if langs.len() > 8 { format!(" (+{} more)", langs.len() - 8) } else { String::new() };
        let _ = writeln!(s, "\nkept by language: {}{more}", top.join(", "));
    }
    let _ = writeln!(s, "\nexplore: curate sql {run} \"select step, rule, count(*) from rejected group by all order by 3 desc\"");
    s
}

/// The summary's lines on tokens: the funnel in tokens, the rules that cost the most, the
/// kept tokens per language, and the counting speed.
pub fn render_tokens(t: &crate::tokens::TokenTotals) -> String {
    let mut s = String::new();
    let m = |n: u64| n as f64 / 1e6;
    let _ = writeln!(
        s,
        "tokens ({}): input {:.3}M = kept {:.3}M ({:.1}%) + rejected {:.3}M ({:.1}%)",
        t.tokenizer,
        m(t.input.tokens),
        m(t.all.kept.tokens),
        pct(t.all.kept.tokens, t.input.tokens),
        m(t.all.rejected.tokens),
        pct(t.all.rejected.tokens, t.input.tokens)
    );
    let mut rules: Vec<&crate::tokens::Rejection> = t.rejections.iter().collect();
    rules.sort_by(|a, b| b.amount.tokens.cmp(&a.amount.tokens).then(a.rule.cmp(&b.rule)));
    if !rules.is_empty() {
        let top: Vec<String> = rules
            .iter()
            .take(5)
            .map(|r| format!("{}/{} {:.3}M", r.step, r.rule, m(r.amount.tokens)))
            .collect();
        let _ = writeln!(s, "tokens rejected by rule: {}", top.join(", "));
    }
    let mut langs: Vec<(&String, &crate::tokens::Fates)> =
        t.languages.iter().filter(|(_, f)| f.kept.records > 0).collect();
    langs.sort_by(|a, b| b.1.kept.tokens.cmp(&a.1.kept.tokens).then(a.0.cmp(b.0)));
    if !langs.is_empty() {
        let top: Vec<String> =
            langs.iter().take(8).map(|(l, f)| format!("{l} {:.3}M", m(f.kept.tokens))).collect();
        let more = if langs.len() > 8 { format!(" (+{} more)", langs.len() - 8) } else { String::new() };
        let _ = writeln!(s, "kept tokens by language: {}{more}", top.join(", "));
    }
    if !t.labels.is_empty() {
        let labels: Vec<String> =
            t.labels.iter().map(|(l, f)| format!("{l} {:.3}M", m(f.kept.tokens))).collect();
        let _ = writeln!(s, "kept tokens by label: {}", labels.join(", "));
    }
    if t.cpu_seconds > 0.0 {
        let _ = writeln!(
            s,
            "token counting: {:.1} MB of text in {:.2} CPU s ({:.1} MB/s per core)",
            t.bytes_counted as f64 / 1e6,
            t.cpu_seconds,
            t.bytes_counted as f64 / 1e6 / t.cpu_seconds
        );
    }
    s
}
