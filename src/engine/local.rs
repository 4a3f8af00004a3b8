//! The local executor: every phase of a run in this process, the tasks of a phase on threads.
//! It runs the same task code as `curate task` (every phase), so a run on
//! one machine and a run spread over a cluster give the same outputs.

use std::time::Instant;

use anyhow::Result;

use super::finish::{Finished, Timing};
use super::invocation::Invocation;
use super::run_dir::{Plan, RunDir};
use super::session::Session;
use crate::progress::Progress;

/// Runs every unfinished task of the run in `dir`, then its finish phase (again, when it was
/// done: the invocation's output options may differ).
pub fn run(
    plan: &Plan,
    dir: &RunDir,
    inv: &Invocation,
    session: &Session,
    progress: &Progress,
) -> Result<(Finished, Timing)> {
    let start = Instant::now();
    let pipeline = &session.pipeline;
    let threads = inv.threads;
    let (_, resumed) = pipeline.run(&plan.tasks, dir, threads, progress)?;
    let mut dedup_seconds = None;
    if plan.has_dedup() {
        progress.set_phase("dedup across shards");
        let started = Instant::now();
        pipeline.dedup(&plan.tasks, dir, threads, &plan.config.run.dedup_memory)?;
        dedup_seconds = Some(started.elapsed().as_secs_f64());
    }
    progress.finish();
    let timing = Timing { resumed, wall_seconds: start.elapsed().as_secs_f64(), dedup_seconds };
    let finished = super::finish::finish(dir, plan, inv, session.usage(), timing)?;
    Ok((finished, timing))
}
