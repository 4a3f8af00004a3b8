//! The finish phase: the conservation check over the output files, the stage's own outputs
//! (cold-start's SFT set, reasoning-RL's selection), the manifest, and the one-screen summary.

use anyhow::{bail, Result};

use super::invocation::Invocation;
use super::run_dir::{Plan, RunDir};
use super::session::Usage;
use crate::counts::TaskCounts;
use crate::outputs::cold_start::ColdStartOutputs;
use crate::outputs::reasoning_rl::RlOutputs;

/// What the executor knows of its own invocation, for the manifest.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timing {
    /// Tasks finished by an earlier invocation.
    pub resumed: usize,
    /// Wall seconds of this invocation.
    pub wall_seconds: f64,
    /// Wall seconds of the global dedup, when this invocation ran it.
    pub dedup_seconds: Option<f64>,
}

/// What a finished run holds.
pub struct Finished {
    /// Counts over every shard.
    pub counts: TaskCounts,
    /// cold-start's outputs.
    pub cold_start: Option<ColdStartOutputs>,
    /// reasoning-rl's selection.
    pub reasoning_rl: Option<RlOutputs>,
    /// What the models were asked.
    pub usage: Usage,
    /// Tokens kept and rejected (a run with a tokenizer).
    pub tokens: Option<crate::tokens::TokenTotals>,
}

/// The final counts of every shard, from their markers.
pub fn final_counts(dir: &RunDir, plan: &Plan) -> Result<TaskCounts> {
    let mut total = TaskCounts::default();
    for task in &plan.tasks {
        let counts = if plan.has_dedup() { dir.finished_final(task)? } else { dir.finished(task)? };
        let Some(counts) = counts else { bail!("task {} did not finish", task.id) };
        total.merge(&counts);
    }
    Ok(total)
}

/// Runs the finish phase of the run in `dir` and marks it done.
pub fn finish(dir: &RunDir, plan: &Plan, inv: &Invocation, usage: Usage, timing: Timing) -> Result<Finished> {
    let counts = final_counts(dir, plan)?;
    verify(dir, plan, &counts)?;
    let config = &plan.config;
    let output = dir.root();
    // thinking-fusion's non-thinking pairs are written as cold-start's are (sft/, pairs/), with
    // empty think blocks, for `curate fuse`.
    let cold_start = if config.stage == "cold-start" || config.stage == "thinking-fusion" {
        let option =
            |key: &str, default: &str| config.step_option("responses", key).unwrap_or(default).to_string();
        Some(crate::outputs::cold_start::write(
            output,
            &option("responses_field", "responses"),
            &option("response_text_key", "text"),
            crate::outputs::cold_start::SftOptions {
                no_think: inv.sft_options().no_think || config.stage == "thinking-fusion",
                ..inv.sft_options()
            },
        )?)
    } else {
        None
    };
    let reasoning_rl = match &config.selection {
        Some(selection) => {
            let option = |key: &str, default: &str| {
                config.step_option("pass_rate", key).unwrap_or(default).to_string()
            };
            let fields = crate::outputs::reasoning_rl::VerifierFields {
                reference: option("reference_field", "reference_answer"),
                tests: option("tests_field", "tests"),
            };
            Some(crate::outputs::reasoning_rl::write(output, &config.stage, selection, &fields)?)
        }
        None => None,
    };
    let tokens = match &config.tokens.tokenizer {
        Some(path) => {
            // The tasks name the tokenizer they counted with; opened (its file hashed) again
            // only when no record was counted.
            let identity = match &counts.tokenizer {
                Some(identity) => identity.clone(),
                None => crate::tokens::Tokenizer::open(path)?.identity().to_string(),
            };
            let classifiers: Vec<String> = config
                .steps
                .iter()
                .filter(|s| s.filter == "classifier")
                .map(|s| s.name().to_string())
                .collect();
            Some(crate::tokens::totals(
                output,
                &identity,
                counts.tokens_bytes,
                counts.tokens_seconds,
                &classifiers,
            )?)
        }
        None => None,
    };
    let mut manifest =
        crate::summary::Manifest::new(config, &plan.tasks, &counts, timing.resumed, timing.wall_seconds);
    manifest.judge = usage.judge.clone();
    manifest.responder = usage.responder.clone();
    manifest.models = usage.models.clone();
    manifest.skipped_judge_questions = usage.skipped_judge_questions.clone();
    manifest.cold_start = cold_start.as_ref();
    manifest.reasoning_rl = reasoning_rl.as_ref();
    manifest.dedup_wall_seconds = timing.dedup_seconds;
    manifest.tokens = tokens.as_ref();
    dir.write_manifest(&manifest)?;
    if !inv.no_report {
        // The data is complete without the page: a failure to draw it is said, not fatal.
        if let Err(e) = crate::report::write(output, &output.join(crate::report::FILE), None) {
            eprintln!(
                "warning: {} not written: {e:#} (try `curate report {}`)",
                crate::report::FILE,
                output.display()
            );
        }
    }
    if !inv.keep_intermediates {
        dir.remove_intermediates()?;
    }
    dir.finish_run()?;
    Ok(Finished { counts, cold_start, reasoning_rl, usage, tokens })
}

/// Checks that every input is accounted for, against the rows actually in the output files.
fn verify(dir: &RunDir, plan: &Plan, total: &TaskCounts) -> Result<()> {
    use curate_sources::writer::parquet_rows;
    let dedup = plan.has_dedup();
    for task in &plan.tasks {
        let counts = if dedup { dir.finished_final(task)? } else { dir.finished(task)? };
        let Some(counts) = counts else { bail!("task {} did not finish", task.id) };
        let dedup_rejected = if dedup { parquet_rows(&dir.dedup_output("rejected", task))? } else { 0 };
        let files = (
            parquet_rows(&dir.output("kept", task))?,
            parquet_rows(&dir.output("rejected", task))? + dedup_rejected,
            parquet_rows(&dir.output("quarantine", task))?,
        );
        if files != (counts.kept, counts.rejected, counts.quarantined) || !counts.balanced() {
            bail!(
                "conservation check failed for {}: {} inputs, files hold kept {} + rejected {} + quarantined {}",
                task.input.name,
                counts.input,
                files.0,
                files.1,
                files.2
            );
        }
    }
    if !total.balanced() {
        bail!(
            "conservation check failed: input {} != kept {} + rejected {} + quarantined {}",
            total.input,
            total.kept,
            total.rejected,
            total.quarantined
        );
    }
    Ok(())
}

/// Prints the one-screen summary of a finished run.
pub fn print_summary(plan: &Plan, dir: &RunDir, done: &Finished, timing: Timing) -> Result<()> {
    let output = dir.root();
    let config = &plan.config;
    let counts = &done.counts;
    out!(
        "{}",
        crate::summary::render(
            &config.stage,
            counts,
            plan.tasks.len(),
            timing.resumed,
            timing.wall_seconds,
            &dir.location()
        )
    );
    if let Some(tokens) = &done.tokens {
        out!("{}", crate::summary::render_tokens(tokens));
    }
    if let Some(seconds) = timing.dedup_seconds {
        outln!("global dedup (clusters across shards, then kept/rejected): {seconds:.2} s wall");
    }
    if let Some(judge) = &done.usage.judge {
        outln!(
            "judge {}: {} answers from the verdict cache, {} asked",
            judge.identity,
            judge.cache_hits,
            judge.cache_misses
        );
    }
    if let Some(r) = &done.usage.responder {
        outln!(
            "responder {}: {} samples from the cache, {} generated",
            r.identity,
            r.cache_hits,
            r.cache_misses
        );
    }
    for skipped in &done.usage.skipped_judge_questions {
        outln!("skipped (--no-judge): {skipped}");
    }
    if let Some((ids, example, times)) = crate::sql::repeated_ids(output)? {
        outln!(
            "note: {ids} ids are carried by several records (`{example}` by {times}); joins on id and \
             `duplicate_of` are ambiguous for them: give each record its own id, or leave the id field \
             out and curate derives <file>:<line>"
        );
    }
    if let Some(cs) = &done.cold_start {
        let domains: Vec<String> = cs.domains.iter().map(|(d, n)| format!("{d} {n}")).collect();
        outln!(
            "kept queries by domain: {}",
            if domains.is_empty() { "none".into() } else { domains.join(", ") }
        );
        if !cs.capped.is_empty() {
            let capped: Vec<String> = cs.capped.iter().map(|(d, n)| format!("{d} {n}")).collect();
            outln!("left out of sft/ by --max-per-domain: {}", capped.join(", "));
        }
        outln!(
            "sft/sft.jsonl: {} records; annotation/queue.jsonl: {} queries for people to look at",
            cs.sft_records,
            cs.annotation_queue
        );
    }
    if let Some(rl) = &done.reasoning_rl {
        out!("{}", crate::outputs::reasoning_rl::render(rl));
        outln!("rl/rl.jsonl, rl/rl.parquet: {} query-verifier pairs", rl.selected);
    }
    outln!(
        "check: input {} = kept {} + rejected {} + quarantined {}: ok",
        counts.input,
        counts.kept,
        counts.rejected,
        counts.quarantined
    );
    Ok(())
}
