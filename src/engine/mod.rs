//! The engine: a run planned into phases of independent tasks, the run directory that holds
//! their outputs and markers, and the executors that run the tasks (in this process, or as
//! Slurm array jobs; any scheduler that passes a task number can run `curate task`).
//!
//! - [`planner`]: lists the inputs once into `plan.json`, the command line into `invocation.json`
//! - [`phase`]: the phases (filter, buckets, attach, verify, cluster, apply, finish), their tasks
//!   and where each stands
//! - [`pipeline`], [`buckets`], [`verify`], [`cluster`], [`apply`], [`finish`]: what the tasks of
//!   each phase do
//! - [`session`]: a process's built steps and models
//! - [`local`], [`task`], [`slurm`]: the executors; [`status`]: `curate status`
//! - [`run_dir`], [`run_lock`]: the directory layout, markers and locks; [`remote_run`]: run
//!   directories in an object store (`s3://`); [`row_groups`]: bounded Parquet writing

pub mod apply;
pub mod buckets;
pub mod cluster;
pub mod finish;
pub mod invocation;
pub mod local;
pub mod phase;
pub mod pipeline;
pub mod planner;
pub mod remote_run;
pub mod row_groups;
pub mod run_dir;
pub mod run_lock;
pub mod session;
pub mod slurm;
pub mod status;
pub mod task;
pub mod verify;
