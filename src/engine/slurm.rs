//! The Slurm executor: `curate submit slurm` plans the run, then submits one array job per
//! phase, each array element one `curate task`, chained with `--dependency=afterok`. Arrays
//! larger than the cluster's `MaxArraySize` are split into chunks that pass an offset. Each
//! task appends its output to `RUN/logs/<phase>-<index>.log`. Submitting again submits only
//! the tasks that are not done.

use std::path::Path;
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::phase::{self, Phase};
use super::run_dir::write_atomic;
use crate::cli::SlurmArgs;

/// A submitted job, as `RUN/slurm/jobs.json` records it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Job {
    phase: Phase,
    job_id: String,
    offset: usize,
    array: String,
}

/// Array indices as Slurm writes them: `0-3,5,7-9`.
fn array_spec(indices: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < indices.len() {
        let start = indices[i];
        while i + 1 < indices.len() && indices[i + 1] == indices[i] + 1 {
            i += 1;
        }
        let end = indices[i];
        parts.push(if start == end { start.to_string() } else { format!("{start}-{end}") });
        i += 1;
    }
    parts.join(",")
}

/// Single-quoted for a shell.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The cluster's `MaxArraySize`: array indices must be below it.
fn max_array_size() -> Result<usize> {
    let out = Command::new("scontrol")
        .args(["show", "config"])
        .output()
        .context("running `scontrol show config` (is Slurm's client installed and on the PATH?)")?;
    if !out.status.success() {
        bail!("scontrol show config failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text.lines() {
        if let Some((key, value)) = line.split_once('=') {
            if key.trim() == "MaxArraySize" {
                return value.trim().parse().with_context(|| format!("MaxArraySize = {}", value.trim()));
            }
        }
    }
    Ok(1001)
}

/// Job ids of the jobs Slurm still holds (pending or running), array jobs by their master id.
fn queued_jobs() -> Result<Vec<String>> {
    let out = Command::new("squeue").args(["-h", "-o", "%F"]).output().context("running squeue")?;
    if !out.status.success() {
        bail!("squeue failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim().to_string()).collect())
}

/// The run as its tasks name it: the folder, or for a run in an object store its `s3://`
/// address (each task then works in its host's mirror and publishes to the store), with the
/// store settings of the run's config exported to the tasks.
struct TaskRun {
    address: String,
    exports: String,
    /// Whether the run is in an object store: its folder (the mirror) is the submitting
    /// host's, so on a node Slurm's own output goes to `/tmp` and the task's log folder is made
    /// before the task starts.
    remote: bool,
}

impl TaskRun {
    fn of(args: &SlurmArgs, root: &Path, config: &crate::config::StageConfig) -> Self {
        let mut exports = String::new();
        let address = match &args.run.output {
            Some(output) if super::remote_run::is_remote(output) => {
                if let Some(endpoint) = &config.run.s3_endpoint {
                    exports.push_str(&format!("export AWS_ENDPOINT_URL={}\n", quote(endpoint)));
                }
                if config.run.s3_allow_http {
                    exports.push_str("export AWS_ALLOW_HTTP=true\n");
                }
                output.to_string_lossy().into_owned()
            }
            _ => root.display().to_string(),
        };
        let remote = args.run.output.as_deref().is_some_and(super::remote_run::is_remote);
        Self { address, exports, remote }
    }
}

/// The batch script of one chunk of a phase's array.
fn script(
    args: &SlurmArgs,
    root: &Path,
    task_run: &TaskRun,
    curate: &Path,
    phase: Phase,
    offset: usize,
    array: &str,
) -> String {
    let run = root.display().to_string();
    let mut s = String::from("#!/bin/bash\n");
    let mut opt = |o: String| s.push_str(&format!("#SBATCH {o}\n"));
    opt(format!("--job-name=curate-{}", phase.name()));
    opt(format!("--array={array}{}", args.max_parallel.map(|n| format!("%{n}")).unwrap_or_default()));
    if task_run.remote {
        opt("--output=/tmp/curate-slurm-%A_%a.out".into());
    } else {
        opt(format!("--output={run}/logs/slurm-%A_%a.out"));
    }
    opt("--requeue".into());
    opt(format!("--cpus-per-task={}", args.cpus_per_task));
    if let Some(mem) = &args.mem {
        opt(format!("--mem={mem}"));
    }
    if let Some(time) = &args.time {
        opt(format!("--time={time}"));
    }
    if let Some(p) = &args.partition {
        opt(format!("--partition={p}"));
    }
    if let Some(a) = &args.account {
        opt(format!("--account={a}"));
    }
    for extra in &args.sbatch_args {
        opt(extra.clone());
    }
    s.push_str(&format!(
        "set -u\n{}{}index=$((SLURM_ARRAY_TASK_ID + {offset}))\nexec >>{}/logs/{}-\"$index\".log 2>&1\n\
         exec {} task --run {} --phase {} --offset {offset}\n",
        task_run.exports,
        if task_run.remote { format!("mkdir -p {}/logs\n", quote(&run)) } else { String::new() },
        quote(&run),
        phase.name(),
        quote(&curate.display().to_string()),
        quote(&task_run.address),
        phase.name()
    ));
    s
}

/// Runs `curate submit slurm`.
pub fn submit(args: &SlurmArgs) -> Result<()> {
    let config = super::planner::config_from_args(&args.run)?;
    let planned = super::planner::plan(&args.run, &config)?;
    let root = std::path::absolute(planned.dir.root())?;
    let task_run = TaskRun::of(args, &root, &config);
    let slurm_dir = root.join("slurm");
    std::fs::create_dir_all(&slurm_dir)?;
    std::fs::create_dir_all(root.join("logs"))?;
    let jobs_path = slurm_dir.join("jobs.json");
    let previous: Vec<Job> = match std::fs::read(&jobs_path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes).with_context(|| format!("reading {}", jobs_path.display()))?
        }
        Err(_) => Vec::new(),
    };
    if !args.dry_run && !previous.is_empty() {
        let queued = queued_jobs()?;
        let still: Vec<&str> =
            previous.iter().filter(|j| queued.contains(&j.job_id)).map(|j| j.job_id.as_str()).collect();
        if !still.is_empty() {
            bail!(
                "jobs {} of this run are still queued or running: wait for them, or `scancel {}`, then submit again",
                still.join(", "),
                still.join(" ")
            );
        }
    }
    let todo = phase::unfinished(&planned.dir, &planned.plan)?;
    if todo.is_empty() {
        outln!("nothing to submit: every task of {} is done", root.display());
        return Ok(());
    }
    let curate = match &args.curate_bin {
        Some(bin) => std::path::absolute(bin)?,
        None => std::env::current_exe().context("finding the curate binary")?,
    };
    let max_array = if args.dry_run { max_array_size().unwrap_or(1001) } else { max_array_size()? };
    let mut jobs = Vec::new();
    let mut after: Vec<String> = Vec::new();
    for (phase, indices) in todo {
        let mut chunks: Vec<(usize, Vec<usize>)> = Vec::new();
        for i in indices {
            let offset = i / max_array * max_array;
            match chunks.last_mut() {
                Some((o, list)) if *o == offset => list.push(i - offset),
                _ => chunks.push((offset, vec![i - offset])),
            }
        }
        let mut this_phase = Vec::new();
        for (offset, list) in chunks {
            let array = array_spec(&list);
            let body = script(args, &root, &task_run, &curate, phase, offset, &array);
            let path = slurm_dir.join(format!("{}-{offset}.sbatch", phase.name()));
            write_atomic(&path, body.as_bytes())?;
            let mut cmd = vec!["--parsable".to_string()];
            if !after.is_empty() {
                cmd.push(format!("--dependency=afterok:{}", after.join(":")));
                cmd.push("--kill-on-invalid-dep=yes".into());
            }
            cmd.push(path.display().to_string());
            if args.dry_run {
                outln!("# sbatch {}\n{body}", cmd.join(" "));
                this_phase.push(format!("<{}-{offset}>", phase.name()));
                continue;
            }
            let out = Command::new("sbatch").args(&cmd).output().context("running sbatch")?;
            if !out.status.success() {
                bail!(
                    "sbatch {} failed: {}{}",
                    cmd.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim(),
                    if jobs.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " (jobs submitted before it: {})",
                            jobs.iter().map(|j: &Job| j.job_id.clone()).collect::<Vec<_>>().join(", ")
                        )
                    }
                );
            }
            let id = String::from_utf8_lossy(&out.stdout).trim().split(';').next().unwrap_or("").to_string();
            outln!("submitted {} tasks [{array}] (offset {offset}): job {id}", phase.name());
            this_phase.push(id.clone());
            jobs.push(Job { phase, job_id: id, offset, array });
        }
        after = this_phase;
    }
    if args.dry_run {
        outln!("dry run: nothing submitted; the scripts are in {}", slurm_dir.display());
        return Ok(());
    }
    write_atomic(&jobs_path, &serde_json::to_vec_pretty(&jobs)?)?;
    outln!("follow it with: curate status {}", root.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_specs_compress_runs() {
        assert_eq!(array_spec(&[0, 1, 2, 3, 5, 7, 8, 9]), "0-3,5,7-9");
        assert_eq!(array_spec(&[4]), "4");
        assert_eq!(quote("a'b"), "'a'\\''b'");
    }
}
