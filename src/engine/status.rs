//! `curate status RUN`: per phase, the tasks done, running, failed and pending, with the error
//! and the log tail of each failed task.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use super::phase::{self, Phase, TaskState};
use super::run_dir::RunDir;

/// Lines of a failed task's log shown.
const LOG_TAIL: usize = 12;

/// A phase's tasks by state.
#[derive(Debug, Serialize)]
pub struct PhaseStatus {
    /// The phase.
    pub phase: Phase,
    /// Its number of tasks.
    pub tasks: usize,
    /// Tasks done.
    pub done: usize,
    /// Tasks running now.
    pub running: usize,
    /// The numbers of the tasks running now.
    pub running_tasks: Vec<usize>,
    /// Tasks whose last attempt failed.
    pub failed: usize,
    /// Tasks not started, or stopped without a recorded failure (killed).
    pub pending: usize,
    /// The failed tasks.
    pub failures: Vec<FailedTask>,
}

/// A failed task with what it left.
#[derive(Debug, Serialize)]
pub struct FailedTask {
    /// Its number in the phase.
    pub index: usize,
    /// Its error.
    pub error: String,
    /// Its log file, when it has one.
    pub log: Option<String>,
    /// The last lines of its log.
    pub log_tail: Vec<String>,
}

/// The state of every phase of the run in `root`.
pub fn status(root: &Path) -> Result<Vec<PhaseStatus>> {
    let dir = RunDir::open(root)?;
    let plan = dir.plan()?;
    let mut out = Vec::new();
    for (phase, count) in Phase::of(&plan) {
        let mut s = PhaseStatus {
            phase,
            tasks: count,
            done: 0,
            running: 0,
            running_tasks: Vec::new(),
            failed: 0,
            pending: 0,
            failures: Vec::new(),
        };
        for index in 0..count {
            match phase::state(&dir, &plan, phase, index)? {
                TaskState::Done => s.done += 1,
                TaskState::Running => {
                    s.running += 1;
                    s.running_tasks.push(index);
                }
                TaskState::Pending => s.pending += 1,
                TaskState::Failed { error } => {
                    s.failed += 1;
                    let log = phase::log_path(root, phase, index);
                    let log_tail = std::fs::read_to_string(&log)
                        .map(|text| {
                            let lines: Vec<&str> = text.lines().collect();
                            lines[lines.len().saturating_sub(LOG_TAIL)..]
                                .iter()
                                .map(|l| l.to_string())
                                .collect()
                        })
                        .unwrap_or_default();
                    s.failures.push(FailedTask {
                        index,
                        error,
                        log: log.exists().then(|| log.display().to_string()),
                        log_tail,
                    });
                }
            }
        }
        out.push(s);
    }
    Ok(out)
}

/// Prints the status of the run in `root` as a table, or as JSON.
pub fn print(root: &Path, json: bool) -> Result<()> {
    let phases = status(root)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&phases)?);
        return Ok(());
    }
    outln!("{:<8} {:>7} {:>7} {:>7} {:>7} {:>7}", "phase", "tasks", "done", "running", "failed", "pending");
    for p in &phases {
        outln!(
            "{:<8} {:>7} {:>7} {:>7} {:>7} {:>7}",
            p.phase.name(),
            p.tasks,
            p.done,
            p.running,
            p.failed,
            p.pending
        );
    }
    for p in phases.iter().filter(|p| !p.running_tasks.is_empty()) {
        let tasks: Vec<String> = p.running_tasks.iter().map(usize::to_string).collect();
        outln!("\nrunning: {} {}", p.phase.name(), tasks.join(", "));
    }
    for p in &phases {
        for f in &p.failures {
            outln!("\nfailed: {} {}: {}", p.phase.name(), f.index, f.error);
            if let Some(log) = &f.log {
                outln!("  log {log}, last lines:");
                for line in &f.log_tail {
                    outln!("    {line}");
                }
            }
        }
    }
    let finished = phases.iter().all(|p| p.done == p.tasks);
    outln!(
        "\n{}",
        if finished {
            "the run is finished".to_string()
        } else {
            format!(
                "unfinished: rerun the same `curate submit` command (it submits only unfinished tasks), or \
                 `curate task --run {} --phase P --index I` for one task",
                root.display()
            )
        }
    );
    Ok(())
}
