//! The `curate` command: runs stages over sharded corpora and explains every decision.

#[macro_use]
mod stdout;
mod cli;
mod commands;
mod config;
mod counts;
mod cpu_time;
mod documents;
mod engine;
mod expr_rule;
mod field_check;
mod judge_backend;
mod memory;
mod outputs;
mod progress;
mod records;
mod registry;
mod report;
mod rules_file;
mod selection_config;
mod sql;
mod stages;
mod step_config;
mod summary;
mod tokens;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;

use crate::cli::{Cli, Command, RunArgs, SubmitTo};
use crate::engine::phase::Phase;
use crate::progress::Progress;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Stages) => print_stages(),
        Some(Command::Sql { run, query, format }) => run_sql(&run, &query, format),
        Some(Command::IndexBenchmarks(args)) => commands::index_benchmarks::run(&args),
        Some(Command::Judge(args)) => commands::judge::run(&args),
        Some(Command::Annotate(args)) => commands::annotate::run(&args),
        Some(Command::TrainClassifier(args)) => commands::train_classifier::run(&args),
        Some(Command::Mix(args)) => commands::mix::run(&args),
        Some(Command::Fuse(args)) => commands::fuse::run(&args),
        Some(Command::Report(args)) => report::run(&args),
        Some(Command::CheckRules { file }) => check_rules(&file),
        Some(Command::Plan(args)) => plan_only(&args),
        Some(Command::Task(args)) => engine::task::run(&args),
        Some(Command::Status { run, json }) => {
            engine::run_dir::locate(&run, engine::remote_run::Pull::Outputs)
                .and_then(|(root, _)| engine::status::print(&root, json))
        }
        Some(Command::Submit { to: SubmitTo::Slurm(args) }) => engine::slurm::submit(&args),
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
    // A run in an object store is queried in its local mirror, brought up to the store.
    let (run, _) = engine::run_dir::locate(run, engine::remote_run::Pull::Outputs)?;
    let conn = sql::open(&run)?;
    let result = sql::query(&conn, query)?;
    let stdout = std::io::stdout();
    sql::print(&result, format, &mut stdout.lock())
}

/// `curate plan`: plans the run and prints its phases; `curate task` then runs each task.
fn plan_only(args: &RunArgs) -> Result<()> {
    let config = engine::planner::config_from_args(args)?;
    let planned = engine::planner::plan(args, &config)?;
    let root = planned.dir.root();
    outln!("planned {} ({} shards) in {}", config.stage, planned.plan.tasks.len(), root.display());
    for (phase, count) in Phase::of(&planned.plan) {
        outln!(
            "  phase {:<8} {count} task(s): curate task --run {} --phase {} --index I",
            phase.name(),
            root.display(),
            phase.name()
        );
    }
    outln!("phases run in this order, each after every task of the one before is done");
    Ok(())
}

fn run_stage(args: RunArgs) -> Result<()> {
    let config = engine::planner::config_from_args(&args)?;
    if args.print_config {
        out!("{}", config.to_toml()?);
        return Ok(());
    }
    let planned = engine::planner::plan(&args, &config)?;
    let (plan, dir) = (&planned.plan, &planned.dir);
    let bytes_total: u64 = plan.tasks.iter().filter_map(|t| t.input.size).sum();
    let progress = Progress::new(
        plan.tasks.len(),
        bytes_total,
        args.log_format,
        std::time::Duration::from_secs_f64(args.log_interval.max(0.1)),
    );
    eprintln!(
        "curate {}: {} shard(s), {:.1} MB, {} thread(s) -> {}",
        config.stage,
        plan.tasks.len(),
        bytes_total as f64 / 1e6,
        planned.invocation.threads,
        dir.location()
    );
    let (done, timing) = engine::local::run(plan, dir, &planned.invocation, &planned.session, &progress)?;
    engine::finish::print_summary(plan, dir, &done, timing)?;
    if !config.dropped_preset_steps.is_empty() {
        outln!(
            "note: the config's [[steps]] list replaced the `{}` preset's steps; not run: {} \
             (to change options of a preset step, write [steps.NAME] instead)",
            config.stage,
            config.dropped_preset_steps.join(", ")
        );
    }
    Ok(())
}
