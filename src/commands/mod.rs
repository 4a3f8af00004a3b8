//! Subcommands other than running a stage: `curate judge` (try a judge rule on a few records),
//! `curate index-benchmarks` (the n-gram index of evaluation sets), `curate annotate` and
//! `curate train-classifier` (annotation at scale: a judge labels a sample, a classifier learns
//! it for the `classifier` step), `curate mix` (the pretraining stages, in tokens), `curate fuse` (thinking and
//! non-thinking SFT data in one set).

pub mod annotate;
pub mod fuse;
pub mod index_benchmarks;
pub mod judge;
pub mod mix;
pub mod train_classifier;
