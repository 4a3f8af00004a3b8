//! Planning a run: the stage configuration with the command line laid over it, the inputs
//! listed once into tasks, the steps built once to check them, and the run directory prepared
//! (`plan.json`, `invocation.json`). Nothing after this lists the inputs again.

use anyhow::{bail, Context, Result};

use super::invocation::Invocation;
use super::run_dir::{Plan, RunDir};
use super::session::Session;
use crate::cli::RunArgs;
use crate::config::StageConfig;

/// A planned run, its directory prepared and its steps built.
pub struct Planned {
    /// The plan as stored.
    pub plan: Plan,
    /// The run directory, held by this process.
    pub dir: RunDir,
    /// The command line beyond the configuration.
    pub invocation: Invocation,
    /// The steps, built in this process.
    pub session: Session,
}

/// The effective stage configuration: the preset, the config file, then the command line.
pub fn config_from_args(args: &RunArgs) -> Result<StageConfig> {
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
    if let Some(tokenizer) = &args.tokenizer {
        let tokenizer =
            std::path::absolute(tokenizer).with_context(|| format!("--tokenizer {}", tokenizer.display()))?;
        config.tokens.tokenizer = Some(tokenizer);
    }
    if let Some(path) = &args.rules {
        config.add_rules(crate::rules_file::check(path)?)?;
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
    Ok(config)
}

/// Plans the run `args` ask for with `config`, or checks that the run already in `--output`
/// was planned the same way (a resume).
pub fn plan(args: &RunArgs, config: &StageConfig) -> Result<Planned> {
    let Some(output) = args.output.clone() else { bail!("--output RUN_DIR is required to run a stage") };
    if args.input.is_empty() {
        bail!("--input is required: files, globs, directories or URLs of JSONL/Parquet shards");
    }
    let threads = args.threads.unwrap_or_else(|| config.run.threads()).max(1);
    let invocation = Invocation::from_args(args, threads)?;
    // The HTTP limits and S3 settings apply to listing the inputs too.
    curate_sources::open::set_http_limits(config.run.http_limits());
    curate_sources::s3::set_s3_options(config.run.s3_options());
    // A run in an object store works in a local mirror, brought up to the store first.
    let (root, remote) = super::run_dir::locate(&output, super::remote_run::Pull::All)?;
    let expanded = curate_sources::input::expand_split(&args.input, args.split.as_deref())?;
    for note in &expanded.notes {
        eprintln!("note: {note}");
    }
    let buckets = config.dedup_buckets(expanded.files.len());
    let session = Session::new(config, &invocation, threads, buckets)?;
    if session.judge_unused() {
        eprintln!(
            "note: --judge is not used: no step of stage `{}` asks a judge question (judge rules and the \
             cold-start judge steps do)",
            config.stage
        );
    }
    let plan = Plan::new(config.clone(), expanded.files);
    if !root.join("plan.json").exists() {
        crate::field_check::check_inputs(
            &plan.tasks.iter().map(|t| t.input.clone()).collect::<Vec<_>>(),
            &config.fields,
        )?;
    }
    let dir = RunDir::prepare(&root, &plan)?.with_remote(remote);
    invocation.save(dir.root())?;
    dir.publish(None)?;
    Ok(Planned { plan, dir, invocation, session })
}
