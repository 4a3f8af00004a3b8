//! The phases of a run and the state of their tasks: the contract every executor drives.
//!
//! A run is a list of phases, each a list of independent tasks numbered from 0:
//!
//! | phase | tasks | what one task does | done when |
//! |---|---|---|---|
//! | `filter` | one per input shard | the stage's steps; with dedup, pending records and signatures | `done/<task>.json` |
//! | `buckets` | `[run] dedup_buckets`, else one per shard up to 16 (stages with dedup) | the candidate pairs of one part of the band and text hashes | `done/buckets/<k>.json` |
//! | `attach` | one per input shard (MinHash dedup) | the shard's signatures joined to the candidate pairs whose earlier document it holds | `done/attach/<task>.json` |
//! | `verify` | one per input shard (MinHash dedup) | the pairs whose later document it holds, compared; the similar ones are edges | `done/verify/<task>.json` |
//! | `cluster` | 1 (stages with dedup) | the duplicates across all shards | `done/dedup.json` |
//! | `apply` | one per input shard (with dedup) | splits pending records into kept and rejected | `done/<task>.final.json` |
//! | `finish` | 1 | conservation check, the stage's own outputs, the manifest | `done/finish.json` |
//!
//! A phase starts when every task of the phase before it is done. A task writes its outputs
//! under temp names, renames them, and writes its marker last; one that finds its marker does
//! nothing, so running a task twice is harmless. A task that fails writes
//! `failed/<phase>-<index>.json` with its error; one that is running holds the lock
//! `locks/<phase>-<index>.lock`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use super::run_dir::{Plan, RunDir};

/// A phase of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// The stage's steps, per input shard.
    Filter,
    /// Candidate pairs of dedup, per part of the band and text hashes.
    Buckets,
    /// MinHash candidate pairs with the signature of their earlier document, per shard.
    Attach,
    /// MinHash candidate pairs compared with the signature of their later document, per shard.
    Verify,
    /// The duplicates across all shards (stages with dedup steps).
    Cluster,
    /// Each shard split into kept and rejected by the duplicates found (stages with dedup).
    Apply,
    /// Checks, the stage's own outputs and the manifest.
    Finish,
}

impl Phase {
    /// The phase's name, as `--phase` takes it.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Filter => "filter",
            Phase::Buckets => "buckets",
            Phase::Attach => "attach",
            Phase::Verify => "verify",
            Phase::Cluster => "cluster",
            Phase::Apply => "apply",
            Phase::Finish => "finish",
        }
    }

    /// The phases of `plan`, in order, with their numbers of tasks.
    pub fn of(plan: &Plan) -> Vec<(Phase, usize)> {
        let shards = plan.tasks.len();
        let buckets = plan.buckets();
        if plan.has_dedup() {
            let mut phases = vec![(Phase::Filter, shards)];
            if buckets > 0 {
                phases.push((Phase::Buckets, buckets));
            }
            if plan.has_minhash() {
                phases.extend([(Phase::Attach, shards), (Phase::Verify, shards)]);
            }
            phases.extend([(Phase::Cluster, 1), (Phase::Apply, shards), (Phase::Finish, 1)]);
            phases
        } else {
            vec![(Phase::Filter, shards), (Phase::Finish, 1)]
        }
    }

    /// The scope of a task's lock and failure marker: `<phase>-<index>`.
    pub fn scope(self, index: usize) -> String {
        format!("{}-{index}", self.name())
    }
}

/// Where a task stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "state")]
pub enum TaskState {
    /// Its marker is written.
    Done,
    /// A process holds its lock.
    Running,
    /// Its last attempt failed.
    Failed {
        /// The error.
        error: String,
    },
    /// Not done, not running, no failure recorded (never started, or killed).
    Pending,
}

/// What a failed task left: `failed/<phase>-<index>.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failure {
    /// The error, with its causes.
    pub error: String,
    /// The host it ran on.
    pub host: String,
    /// Unix time of the failure.
    pub at_unix: u64,
}

/// The file of a task's failure.
pub fn failure_path(root: &Path, phase: Phase, index: usize) -> PathBuf {
    root.join("failed").join(format!("{}.json", phase.scope(index)))
}

/// The log file a task's executor sends its output to.
pub fn log_path(root: &Path, phase: Phase, index: usize) -> PathBuf {
    root.join("logs").join(format!("{}.log", phase.scope(index)))
}

/// Whether `phase`'s task `index` has written its marker.
pub fn is_done(dir: &RunDir, plan: &Plan, phase: Phase, index: usize) -> Result<bool> {
    let task = || plan.tasks.get(index).with_context(|| format!("no task {index} in phase {}", phase.name()));
    Ok(match phase {
        Phase::Filter => dir.finished(task()?)?.is_some(),
        Phase::Buckets | Phase::Attach | Phase::Verify => dir.part_done(phase.name(), index),
        Phase::Cluster => dir.dedup_done()?.is_some(),
        Phase::Apply => dir.finished_final(task()?)?.is_some(),
        Phase::Finish => dir.run_finished(),
    })
}

/// Where `phase`'s task `index` stands.
pub fn state(dir: &RunDir, plan: &Plan, phase: Phase, index: usize) -> Result<TaskState> {
    if is_done(dir, plan, phase, index)? {
        return Ok(TaskState::Done);
    }
    if super::run_lock::RunLock::is_held(dir.root(), &phase.scope(index)) {
        return Ok(TaskState::Running);
    }
    let path = failure_path(dir.root(), phase, index);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let failure: Failure =
                serde_json::from_slice(&bytes).with_context(|| format!("reading {}", path.display()))?;
            Ok(TaskState::Failed { error: failure.error })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TaskState::Pending),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// The tasks of each phase that a run must still do, in phase order. A phase after one with
/// work to do is redone whole: redoing a filter task invalidates the clusters, and new clusters
/// invalidate every shard's split.
pub fn unfinished(dir: &RunDir, plan: &Plan) -> Result<Vec<(Phase, Vec<usize>)>> {
    let mut out = Vec::new();
    let mut redo_rest = false;
    for (phase, count) in Phase::of(plan) {
        let todo: Vec<usize> = if redo_rest {
            (0..count).collect()
        } else {
            let mut todo = Vec::new();
            for i in 0..count {
                if !is_done(dir, plan, phase, i)? {
                    todo.push(i);
                }
            }
            todo
        };
        if !todo.is_empty() {
            redo_rest = true;
            out.push((phase, todo));
        }
    }
    Ok(out)
}

/// Checks that `index` is a task of `phase` in `plan`.
pub fn check_index(plan: &Plan, phase: Phase, index: usize) -> Result<()> {
    match Phase::of(plan).into_iter().find(|(p, _)| *p == phase) {
        None => bail!("this run has no {} phase (its stage has no dedup steps)", phase.name()),
        Some((_, count)) if index >= count => {
            bail!(
                "phase {} has tasks 0..{} ; there is no task {index}",
                phase.name(),
                count.saturating_sub(1)
            )
        }
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StageConfig;
    use crate::counts::TaskCounts;

    fn todo(dir: &RunDir, plan: &Plan) -> Vec<(&'static str, Vec<usize>)> {
        unfinished(dir, plan).unwrap().into_iter().map(|(p, t)| (p.name(), t)).collect()
    }

    #[test]
    fn what_is_left_follows_the_markers_and_new_clusters_redo_every_split() {
        let root = tempfile::tempdir().unwrap();
        let config = StageConfig::load(Some("pretrain"), None).unwrap();
        let names: Vec<String> = ["a.jsonl", "b.jsonl"]
            .iter()
            .map(|n| root.path().join(n).to_string_lossy().into_owned())
            .collect();
        for name in &names {
            std::fs::write(name, "{}\n").unwrap();
        }
        let inputs = curate_sources::input::expand(&names).unwrap();
        let plan = Plan::new(config, inputs);
        assert!(plan.has_dedup());
        let dir = RunDir::prepare(&root.path().join("run"), &plan).unwrap();
        let all = |n: usize| (0..n).collect::<Vec<_>>();
        let b = plan.buckets();
        assert!(b > 0, "pretrain has MinHash dedup");
        assert_eq!(
            todo(&dir, &plan),
            [
                ("filter", all(2)),
                ("buckets", all(b)),
                ("attach", all(2)),
                ("verify", all(2)),
                ("cluster", all(1)),
                ("apply", all(2)),
                ("finish", all(1))
            ]
        );
        let counts = TaskCounts::default();
        dir.finish(&plan.tasks[1], &counts).unwrap();
        assert_eq!(todo(&dir, &plan)[0], ("filter", vec![0]));
        dir.finish(&plan.tasks[0], &counts).unwrap();
        for k in 1..b {
            dir.finish_part("buckets", k, 0).unwrap();
        }
        assert_eq!(todo(&dir, &plan)[0], ("buckets", vec![0]));
        dir.finish_part("buckets", 0, 0).unwrap();
        assert_eq!(todo(&dir, &plan)[0], ("attach", all(2)));
        for phase in ["attach", "verify"] {
            for i in 0..2 {
                dir.finish_part(phase, i, 0).unwrap();
            }
        }
        assert_eq!(todo(&dir, &plan)[0], ("cluster", all(1)));
        dir.finish_dedup(&[0]).unwrap();
        dir.finish_final(&plan.tasks[0], &counts).unwrap();
        assert_eq!(todo(&dir, &plan), [("apply", vec![1]), ("finish", all(1))]);
        assert_eq!(state(&dir, &plan, Phase::Apply, 0).unwrap(), TaskState::Done);

        // Clusters found again (a filter task was redone): every shard's split is stale.
        std::thread::sleep(std::time::Duration::from_millis(2));
        dir.finish_dedup(&[0]).unwrap();
        assert_eq!(todo(&dir, &plan), [("apply", all(2)), ("finish", all(1))]);
        // Clusters forgotten (a filter task redone): the buckets and everything after are left.
        dir.invalidate_dedup().unwrap();
        assert_eq!(
            todo(&dir, &plan),
            [
                ("buckets", all(b)),
                ("attach", all(2)),
                ("verify", all(2)),
                ("cluster", all(1)),
                ("apply", all(2)),
                ("finish", all(1))
            ]
        );

        // A failure is recorded per task; a held lock means running.
        let failure = failure_path(dir.root(), Phase::Cluster, 0);
        std::fs::create_dir_all(failure.parent().unwrap()).unwrap();
        let record = Failure { error: "boom".into(), host: "h".into(), at_unix: 0 };
        std::fs::write(&failure, serde_json::to_vec(&record).unwrap()).unwrap();
        assert_eq!(
            state(&dir, &plan, Phase::Cluster, 0).unwrap(),
            TaskState::Failed { error: "boom".into() }
        );
        let _held = super::super::run_lock::RunLock::acquire(dir.root(), &Phase::Apply.scope(1)).unwrap();
        assert_eq!(state(&dir, &plan, Phase::Apply, 1).unwrap(), TaskState::Running);
        assert_eq!(state(&dir, &plan, Phase::Apply, 0).unwrap(), TaskState::Pending);
        assert!(check_index(&plan, Phase::Apply, 2).is_err());
    }
}
