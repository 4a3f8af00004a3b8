//! What a run was asked beyond its stage configuration: its models, threads and output options.
//!
//! The plan (`plan.json`) holds the effective stage configuration and the tasks; this file
//! (`invocation.json`) holds the rest of the command line, so that a task started anywhere
//! (another process, another host) builds the same steps with the same models. Paths are made
//! absolute when the run is planned.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::cli::RunArgs;
use crate::outputs::cold_start::SftOptions;

/// The file in the run directory.
pub const FILE: &str = "invocation.json";

/// The models, threads and output options of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Invocation {
    /// The judge: a GGUF path or a /v1 URL (`#name` may follow a URL).
    pub judge: Option<String>,
    /// The model name the judge server expects.
    pub judge_model_name: String,
    /// Threads of the embedded judge.
    pub judge_threads: Option<usize>,
    /// Requests in flight to each model server.
    #[serde(default = "default_concurrency")]
    pub judge_concurrency: usize,
    /// Environment variable holding the servers' API key.
    pub judge_api_key_env: Option<String>,
    /// The verdict cache file (default: the user's cache).
    pub judge_cache: Option<PathBuf>,
    /// The responder or policy model: a GGUF path or a /v1 URL.
    pub responder: Option<String>,
    /// The model name the responder server expects.
    pub responder_model_name: String,
    /// Judge questions are skipped (`--no-judge`).
    pub no_judge: bool,
    /// Worker threads of one process (0: every core).
    pub threads: usize,
    /// Keep intermediates after the run finishes.
    pub keep_intermediates: bool,
    /// No RUN/report.html at the end.
    #[serde(default)]
    pub no_report: bool,
    /// cold-start's SFT output options.
    pub keep_per_query: usize,
    /// cold-start: passing responses in input order instead of shortest first.
    pub keep_input_order: bool,
    /// cold-start: most queries per domain in the SFT output.
    pub max_per_domain: usize,
    /// cold-start: the no-thinking form.
    pub no_think: bool,
}

fn default_concurrency() -> usize {
    curate_judges::DEFAULT_CONCURRENCY
}

/// A model spec made absolute when it is a file (URLs stay as they are).
fn absolute_model(spec: &str) -> Result<String> {
    if spec.starts_with("http://") || spec.starts_with("https://") {
        return Ok(spec.to_string());
    }
    Ok(std::path::absolute(spec).with_context(|| format!("model {spec}"))?.to_string_lossy().into_owned())
}

impl Invocation {
    /// What `args` ask beyond the stage configuration; `threads` is the resolved thread count.
    pub fn from_args(args: &RunArgs, threads: usize) -> Result<Self> {
        Ok(Self {
            judge: args.judge.as_deref().map(absolute_model).transpose()?,
            judge_model_name: args.judge_model_name.clone(),
            judge_threads: args.judge_threads,
            judge_concurrency: args.judge_concurrency,
            judge_api_key_env: args.judge_api_key_env.clone(),
            judge_cache: args.judge_cache.as_deref().map(std::path::absolute).transpose()?,
            responder: args
                .responder
                .as_ref()
                .or(args.policy.as_ref())
                .map(|s| absolute_model(s))
                .transpose()?,
            responder_model_name: args.responder_model_name.clone(),
            no_judge: args.no_judge,
            threads,
            keep_intermediates: args.keep_intermediates,
            no_report: args.no_report,
            keep_per_query: args.keep_per_query,
            keep_input_order: args.keep_input_order,
            max_per_domain: args.max_per_domain,
            no_think: args.no_think,
        })
    }

    /// cold-start's SFT output options.
    pub fn sft_options(&self) -> SftOptions {
        SftOptions {
            per_query: self.keep_per_query,
            prefer_shorter: !self.keep_input_order,
            no_think: self.no_think,
            max_per_domain: self.max_per_domain,
        }
    }

    /// Reads the invocation of the run in `root`.
    pub fn load(root: &Path) -> Result<Self> {
        let path = root.join(FILE);
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&bytes).with_context(|| format!("reading {}", path.display()))
    }

    /// Writes it into the run directory `root` (the latest invocation wins: a resumed run may
    /// name another judge server).
    pub fn save(&self, root: &Path) -> Result<()> {
        super::run_dir::write_atomic(&root.join(FILE), &serde_json::to_vec_pretty(self)?)
    }
}
