//! The `curate` command: runs stages over sharded corpora and explains every decision.

#[macro_use]
mod stdout;
mod cli;
mod cold_start_output;
mod config;
mod counts;
mod cpu_time;
mod dataflow;
mod dedup_apply;
mod dedup_cluster;
mod expr_rule;
mod field_check;
mod index_benchmarks;
mod judge_backend;
mod judge_cmd;
mod memory;
mod progress;
mod records;
mod registry;
mod rl_select;
mod rules_file;
mod run_dir;
mod run_lock;
mod sql;
mod stages;
mod summary;

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use clap::Parser;
use curate_sources::jsonl::BatchLimits;

use crate::cli::{Cli, Command, RunArgs};
use crate::config::StageConfig;
use crate::counts::TaskCounts;
use crate::dataflow::Pipeline;
use crate::progress::Progress;
use crate::run_dir::{Plan, RunDir};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Stages) => print_stages(),
        Some(Command::Sql { run, query, format }) => run_sql(&run, &query, format),
        Some(Command::IndexBenchmarks(args)) => index_benchmarks::run(&args),
        Some(Command::Judge(args)) => judge_cmd::run(&args),
        Some(Command::CheckRules { file }) => check_rules(&file),
        None => run_stage(cli.run),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // `curate stages | head`: the reader has what it wanted.
        Err(e) if stdout::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn check_rules(file: &Path) -> Result<()> {
    let rules = rules_file::check(file)?;
    for r in &rules {
        let version = r.step.options.get("version").and_then(|v| v.as_str()).unwrap_or("-");
        outln!("ok  {:<28} {:<8} v{version}  (line {})", r.step.name(), r.step.filter, r.line);
    }
    outln!("{}: {} rules compile", file.display(), rules.len());
    Ok(())
}

fn print_stages() -> Result<()> {
    outln!("Stages (curate --stage NAME):");
    for preset in stages::presets() {
        let steps: Vec<String> = (preset.steps)().iter().map(|s| s.name().to_string()).collect();
        outln!("  {:<12} {}", preset.name, preset.description);
        outln!("  {:<12} steps: {}", "", steps.join(" -> "));
    }
    outln!("\nFilters (usable as steps in a config's [[steps]] filter = \"NAME\"):");
    for r in crate::registry::registry() {
        outln!("  {:<20} {}", r.name, r.description);
    }
    for (name, description) in curate_filters::dedup::DEDUP_STEPS {
        outln!("  {name:<20} {description}");
    }
    outln!("\nSee the options of a stage with: curate --stage NAME --print-config");
    Ok(())
}

fn run_sql(run: &Path, query: &str, format: sql::OutputFormat) -> Result<()> {
    let conn = sql::open(run)?;
    let result = sql::query(&conn, query)?;
    let stdout = std::io::stdout();
    sql::print(&result, format, &mut stdout.lock())
}

fn run_stage(args: RunArgs) -> Result<()> {
    let mut config = StageConfig::load(args.stage.as_deref(), args.config.as_deref())?;
    if let Some(text) = &args.text_field {
        config.fields.text = text.clone();
    }
    if let Some(id) = &args.id_field {
        config.fields.id = id.clone();
    }
    if let Some(index) = &args.benchmarks {
        let index =
            std::fs::canonicalize(index).with_context(|| format!("--benchmarks {}", index.display()))?;
        config.add_benchmarks(&index);
    }
    if let Some(path) = &args.rules {
        config.add_rules(rules_file::check(path)?)?;
    }
    if let Some(n) = args.sample {
        config.set_option("sample_responses", "n", toml::Value::Integer(n as i64))?;
    }
    if !args.exclude.is_empty() {
        // Paths made absolute, so the run's plan names the same data wherever it resumes from.
        let mut paths = Vec::new();
        for spec in &args.exclude {
            let absolute = std::path::absolute(spec).with_context(|| format!("--exclude {spec}"))?;
            paths.push(toml::Value::String(absolute.to_string_lossy().into_owned()));
        }
        config.set_option("disjoint", "exclude", toml::Value::Array(paths))?;
    }
    if let Some(target) = args.target {
        match config.selection.as_mut() {
            Some(selection) => selection.target = target,
            None => bail!("--target is an option of stage reasoning-rl, not `{}`", config.stage),
        }
    }
    if args.print_config {
        out!("{}", config.to_toml()?);
        return Ok(());
    }
    let Some(output) = args.output.clone() else { bail!("--output RUN_DIR is required to run a stage") };
    if args.input.is_empty() {
        bail!("--input is required: files, globs, directories or URLs of JSONL/Parquet shards");
    }
    curate_sources::open::set_http_limits(curate_sources::open::HttpLimits {
        connect: std::time::Duration::from_secs(config.run.http_connect_seconds),
        stall: std::time::Duration::from_secs(config.run.http_stall_seconds),
    });
    let expanded = curate_sources::input::expand_split(&args.input, args.split.as_deref())?;
    for note in &expanded.notes {
        eprintln!("note: {note}");
    }
    let inputs = expanded.files;
    let (ctx, models) = build_context(&args)?;
    let steps = config.build_steps(&ctx)?;
    // The run's judge is held by the context and the model table; a step that asks it holds it too.
    if ctx.judge.as_ref().is_some_and(|j| std::sync::Arc::strong_count(j) <= 2) {
        eprintln!(
            "note: --judge is not used: no step of stage `{}` asks a judge question (judge rules and the \
             cold-start judge steps do)",
            config.stage
        );
    }
    let threads = args.threads.unwrap_or_else(|| config.run.threads()).max(1);

    let plan = Plan::new(config.clone(), inputs);
    if !output.join("plan.json").exists() {
        field_check::check_inputs(
            &plan.tasks.iter().map(|t| t.input.clone()).collect::<Vec<_>>(),
            &config.fields,
        )?;
    }
    let dir = RunDir::prepare(&output, &plan)?;
    let limits = BatchLimits { records: config.run.batch_records, bytes: config.run.batch_bytes };
    let pipeline = Pipeline::new(&config.stage, steps, config.fields.clone(), limits, threads)?;
    let bytes_total: u64 = plan.tasks.iter().filter_map(|t| t.input.size).sum();
    let progress = Progress::new(
        plan.tasks.len(),
        bytes_total,
        args.log_format,
        std::time::Duration::from_secs_f64(args.log_interval.max(0.1)),
    );
    eprintln!(
        "curate {}: {} shard(s), {:.1} MB, {threads} thread(s) -> {}",
        config.stage,
        plan.tasks.len(),
        bytes_total as f64 / 1e6,
        output.display()
    );
    let start = Instant::now();
    let (mut counts, resumed) = pipeline.run(&plan.tasks, &dir, threads, &progress)?;
    let mut dedup_seconds = None;
    if pipeline.has_dedup() {
        progress.set_phase("dedup across shards");
        let started = Instant::now();
        counts = pipeline.dedup(&plan.tasks, &dir, threads, &config.run.dedup_memory)?;
        dedup_seconds = Some(started.elapsed().as_secs_f64());
    }
    progress.finish();
    verify(&dir, &plan, &counts, pipeline.has_dedup())?;
    let cold_start = if config.stage == "cold-start" {
        let option =
            |key: &str, default: &str| config.step_option("responses", key).unwrap_or(default).to_string();
        let options = cold_start_output::SftOptions {
            per_query: args.keep_per_query,
            prefer_shorter: !args.keep_input_order,
            no_think: args.no_think,
            max_per_domain: args.max_per_domain,
        };
        Some(cold_start_output::write(
            &output,
            &option("responses_field", "responses"),
            &option("response_text_key", "text"),
            options,
        )?)
    } else {
        None
    };
    let reasoning_rl = match &config.selection {
        Some(selection) => {
            let option = |key: &str, default: &str| {
                config.step_option("pass_rate", key).unwrap_or(default).to_string()
            };
            let fields = rl_select::VerifierFields {
                reference: option("reference_field", "reference_answer"),
                tests: option("tests_field", "tests"),
            };
            Some(rl_select::write(&output, &config.stage, selection, &fields)?)
        }
        None => None,
    };
    let wall = start.elapsed().as_secs_f64();
    let mut manifest = summary::Manifest::new(&config, &plan.tasks, &counts, resumed, wall);
    manifest.judge = ctx.judge.as_ref().map(|j| j.usage());
    manifest.responder = ctx.responder.as_ref().map(|j| j.usage());
    manifest.models = models.lock().map(|m| m.values().map(|j| j.usage()).collect()).unwrap_or_default();
    manifest.skipped_judge_questions = ctx.skipped.lock().map(|s| s.clone()).unwrap_or_default();
    manifest.cold_start = cold_start.as_ref();
    manifest.reasoning_rl = reasoning_rl.as_ref();
    manifest.dedup_wall_seconds = dedup_seconds;
    dir.write_manifest(&manifest)?;
    if !args.keep_intermediates {
        dir.remove_intermediates()?;
    }
    out!(
        "{}",
        summary::render(
            &config.stage,
            &counts,
            plan.tasks.len(),
            resumed,
            wall,
            &output.display().to_string()
        )
    );
    if let Some(seconds) = dedup_seconds {
        outln!("global dedup (clusters across shards, then kept/rejected): {seconds:.2} s wall");
    }
    if let Some(judge) = &manifest.judge {
        outln!(
            "judge {}: {} answers from the verdict cache, {} asked",
            judge.identity,
            judge.cache_hits,
            judge.cache_misses
        );
    }
    if let Some(r) = &manifest.responder {
        outln!(
            "responder {}: {} samples from the cache, {} generated",
            r.identity,
            r.cache_hits,
            r.cache_misses
        );
    }
    for skipped in &manifest.skipped_judge_questions {
        outln!("skipped (--no-judge): {skipped}");
    }
    if let Some((ids, example, times)) = sql::repeated_ids(&output)? {
        outln!(
            "note: {ids} ids are carried by several records (`{example}` by {times}); joins on id and \
             `duplicate_of` are ambiguous for them: give each record its own id, or leave the id field \
             out and curate derives <file>:<line>"
        );
    }
    if !config.dropped_preset_steps.is_empty() {
        outln!(
            "note: the config's [[steps]] list replaced the `{}` preset's steps; not run: {} \
             (to change options of a preset step, write [steps.NAME] instead)",
            config.stage,
            config.dropped_preset_steps.join(", ")
        );
    }
    if let Some(cs) = &cold_start {
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
    if let Some(rl) = &reasoning_rl {
        out!("{}", rl_select::render(rl));
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

/// Every model a run opened, by the spec that named it.
type Models = std::sync::Arc<
    std::sync::Mutex<std::collections::BTreeMap<String, std::sync::Arc<curate_judges::SharedJudge>>>,
>;

/// The run's judge and responder models, and the ones steps name for themselves
/// (`judge_model`), sharing one verdict cache; a model named twice is opened once.
fn build_context(args: &RunArgs) -> Result<(curate_filters::BuildContext, Models)> {
    use std::sync::{Arc, Mutex};

    use curate_judges::SharedJudge;
    let mut ctx = curate_filters::BuildContext { no_judge: args.no_judge, ..Default::default() };
    let cache_path = args.judge_cache.clone().unwrap_or_else(judge_cmd::default_cache);
    let cache: Arc<Mutex<Option<Arc<curate_judges::VerdictCache>>>> = Arc::new(Mutex::new(None));
    let models: Models = Arc::new(Mutex::new(std::collections::BTreeMap::new()));
    let opened = models.clone();
    let (threads, api_key_env) = (args.judge_threads, args.judge_api_key_env.clone());
    let open = move |spec: &str, default_name: &str| -> Result<Arc<SharedJudge>> {
        let mut opened = opened.lock().map_err(|_| anyhow::anyhow!("model table lock poisoned"))?;
        if let Some(j) = opened.get(spec) {
            return Ok(j.clone());
        }
        let (model, name) = match spec.split_once('#') {
            Some((url, name)) if url.starts_with("http") => (url, name),
            _ => (spec, default_name),
        };
        let (judge, in_process) = judge_backend::open(&judge_backend::JudgeSpec {
            model,
            model_name: name,
            threads,
            api_key_env: api_key_env.clone(),
            completions: false,
        })?;
        let mut cache = cache.lock().map_err(|_| anyhow::anyhow!("cache lock poisoned"))?;
        if cache.is_none() {
            *cache = Some(Arc::new(curate_judges::VerdictCache::open(&cache_path)?));
        }
        let shared = Arc::new(SharedJudge::new(judge, cache.clone(), in_process));
        opened.insert(spec.to_string(), shared.clone());
        Ok(shared)
    };
    if let Some(model) = &args.judge {
        ctx.judge = Some(open(model, &args.judge_model_name)?);
    }
    if let Some(model) = args.responder.as_ref().or(args.policy.as_ref()) {
        ctx.responder = Some(open(model, &args.responder_model_name)?);
    }
    let open = Arc::new(open);
    ctx.open_model = Some(Arc::new(move |spec: &str| {
        open(spec, "default").map_err(|e| format!("judge_model {spec}: {e:#}"))
    }));
    Ok((ctx, models))
}

/// Checks that every input is accounted for, against the rows actually in the output files.
fn verify(dir: &RunDir, plan: &Plan, total: &TaskCounts, dedup: bool) -> Result<()> {
    use curate_sources::writer::parquet_rows;
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
