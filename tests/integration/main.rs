//! curate's integration tests, in one test binary: each module runs the real `curate` binary (or
//! the library crates) on real data. One binary instead of one per file saves a link of DuckDB,
//! llama.cpp and polars per file (build time and disk).
//!
//! Tests that load a GGUF model are ignored when curate is built without `embedded-judge`.

mod common;

mod annotate;

mod cold_start;
mod contamination;
mod dedup;
mod end_to_end;
mod fasttext_inference;
mod faults;
mod final_answers;
mod first_hour;
mod fuse;
mod heuristics;
mod judge_cli;
mod language_id;
mod language_mixing;
mod mix;
mod object_store;
mod reasoning_rl;
mod report;
mod rules;
mod slurm;
mod tokens;
