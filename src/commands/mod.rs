//! Subcommands other than running a stage: `curate judge` (try a judge rule on a few records)
//! and `curate index-benchmarks` (the n-gram index of evaluation sets).

pub mod index_benchmarks;
pub mod judge;
