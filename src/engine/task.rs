//! `curate task`: one task of one phase of a planned run, in its own process, as a cluster
//! scheduler starts it. The task number comes from `--index`, or from the scheduler:
//! `SLURM_ARRAY_TASK_ID` or `JOB_COMPLETION_INDEX` (Kubernetes Indexed Jobs), plus `--offset`
//! (arrays larger than the scheduler allows are split into chunks that start at an offset).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use super::finish::{finish, print_summary, Timing};
use super::invocation::Invocation;
use super::phase::{self, Failure, Phase};
use super::remote_run::Pull;
use super::run_dir::{write_atomic, RunDir};
use super::session::{Session, Usage};
use crate::cli::TaskArgs;
use crate::progress::Progress;

/// The task number: `--index`, or the scheduler's index plus `--offset`.
fn task_index(args: &TaskArgs) -> Result<usize> {
    if let Some(index) = args.index {
        return Ok(index);
    }
    for var in ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"] {
        if let Ok(value) = std::env::var(var) {
            let n: usize =
                value.trim().parse().with_context(|| format!("{var}={value} is not a task number"))?;
            return Ok(n + args.offset);
        }
    }
    bail!("no task number: pass --index, or run under a scheduler that sets SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX")
}

/// Threads for this task: the CPUs the scheduler gave it, else the run's setting.
fn task_threads(inv: &Invocation) -> usize {
    std::env::var("SLURM_CPUS_PER_TASK")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n: &usize| n > 0)
        .unwrap_or(if inv.threads > 0 {
            inv.threads
        } else {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        })
}

/// The usage file of a filter task.
fn usage_path(root: &Path, index: usize) -> PathBuf {
    root.join("usage").join(format!("{}.json", Phase::Filter.scope(index)))
}

/// What a task of `phase` reads of a run in an object store, beyond its control files.
fn reads(phase: Phase) -> Pull {
    match phase {
        Phase::Filter => Pull::Reads(&[]),
        Phase::Buckets => Pull::Reads(&["bands/"]),
        Phase::Attach => Pull::Reads(&["candidates/", "signatures/"]),
        Phase::Verify => Pull::Reads(&["attached/", "signatures/"]),
        Phase::Cluster => Pull::Reads(&["edges/", "signatures/"]),
        Phase::Apply => Pull::Reads(&["pending/", "duplicates.parquet"]),
        Phase::Finish => Pull::Outputs,
    }
}

/// Runs `curate task`.
pub fn run(args: &TaskArgs) -> Result<()> {
    let index = task_index(args)?;
    let (root, remote) = super::run_dir::locate(&args.run, reads(args.phase))?;
    let dir = RunDir::open_task(&root, &args.phase.scope(index))?.with_remote(remote);
    let plan = dir.plan()?;
    phase::check_index(&plan, args.phase, index)?;
    let host = super::run_lock::hostname();
    eprintln!(
        "curate task {} {index} of {} started on {host}, pid {}",
        args.phase.name(),
        args.run.display(),
        std::process::id()
    );
    let failure = phase::failure_path(dir.root(), args.phase, index);
    match std::fs::remove_file(&failure) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("removing {}", failure.display())),
    }
    let started = std::time::Instant::now();
    match run_phase(&dir, args.phase, index) {
        Ok(()) => {
            eprintln!(
                "curate task {} {index} done in {:.1} s",
                args.phase.name(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Err(e) => {
            let record = Failure {
                error: format!("{e:#}"),
                host,
                at_unix: std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs()),
            };
            std::fs::create_dir_all(failure.parent().expect("failed/"))?;
            write_atomic(&failure, &serde_json::to_vec_pretty(&record)?)?;
            dir.publish(None)?;
            Err(e)
        }
    }
}

fn run_phase(dir: &RunDir, phase: Phase, index: usize) -> Result<()> {
    let plan = dir.plan()?;
    let inv = Invocation::load(dir.root())?;
    let threads = task_threads(&inv);
    let need = |earlier: Phase| -> Result<()> {
        let missing = phase::unfinished(dir, &plan)?
            .into_iter()
            .find(|(p, _)| *p == earlier)
            .map_or(0, |(_, todo)| todo.len());
        if missing > 0 {
            bail!(
                "phase {} needs every {} task done; {missing} are not (see `curate status {}`)",
                phase.name(),
                earlier.name(),
                dir.root().display()
            );
        }
        Ok(())
    };
    match phase {
        Phase::Filter => {
            let fallback = dir.root().join("cache").join(format!("{}.redb", Phase::Filter.scope(index)));
            let session =
                Session::with_cache_fallback(&plan.config, &inv, threads, plan.buckets(), Some(fallback))?;
            let task = &plan.tasks[index];
            let progress = Progress::new(
                1,
                task.input.size.unwrap_or(0),
                crate::progress::LogFormat::Text,
                std::time::Duration::from_secs(30),
            );
            session.pipeline.filter_task(&plan.tasks, index, dir, &progress)?;
            progress.finish();
            std::fs::create_dir_all(dir.root().join("usage"))?;
            write_atomic(&usage_path(dir.root(), index), &serde_json::to_vec_pretty(&session.usage())?)?;
            dir.publish(None)?;
        }
        Phase::Buckets => {
            need(Phase::Filter)?;
            let session = Session::dedup_only(&plan.config, threads, plan.buckets())?;
            session.pipeline.buckets_task(dir, index, &plan.config.run.dedup_memory)?;
        }
        Phase::Attach => {
            need(Phase::Buckets)?;
            let session = Session::dedup_only(&plan.config, threads, plan.buckets())?;
            session.pipeline.attach_task(&plan.tasks, index, dir, &plan.config.run.dedup_memory)?;
        }
        Phase::Verify => {
            need(Phase::Attach)?;
            let session = Session::dedup_only(&plan.config, threads, plan.buckets())?;
            session.pipeline.verify_task(&plan.tasks, index, dir, &plan.config.run.dedup_memory)?;
        }
        Phase::Cluster => {
            need(if plan.has_minhash() {
                Phase::Verify
            } else if plan.buckets() > 0 {
                Phase::Buckets
            } else {
                Phase::Filter
            })?;
            let session = Session::dedup_only(&plan.config, threads, plan.buckets())?;
            session.pipeline.cluster(dir, &plan.config.run.dedup_memory, &|line| eprintln!("{line}"))?;
        }
        Phase::Apply => {
            need(Phase::Cluster)?;
            let session = Session::dedup_only(&plan.config, threads, plan.buckets())?;
            session.pipeline.apply_task(&plan.tasks, index, dir)?;
        }
        Phase::Finish => {
            let mut usage = Usage::default();
            for i in 0..plan.tasks.len() {
                if let Ok(bytes) = std::fs::read(usage_path(dir.root(), i)) {
                    usage.merge(&serde_json::from_slice(&bytes).context("reading a task's usage")?);
                }
            }
            let done = finish(dir, &plan, &inv, usage, Timing::default())?;
            print_summary(&plan, dir, &done, Timing::default())?;
        }
    }
    Ok(())
}
