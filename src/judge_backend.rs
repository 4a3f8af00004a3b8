//! Opening a judge from the command line: a GGUF file runs in-process (llama.cpp), a URL is an
//! OpenAI-compatible server.

use std::path::Path;

use anyhow::{bail, Result};
use curate_judges::{Judge, LlamaJudge, OpenAiConfig, OpenAiJudge};

/// How to reach a judge model.
pub struct JudgeSpec<'a> {
    /// A `.gguf` file or an `http(s)://…/v1` URL.
    pub model: &'a str,
    /// The model name a server expects.
    pub model_name: &'a str,
    /// Threads of the embedded engine (default: every core).
    pub threads: Option<usize>,
    /// The environment variable holding a server's API key.
    pub api_key_env: Option<String>,
    /// Raw prompts to `/v1/completions` instead of chat.
    pub completions: bool,
}

/// The judge, and whether it runs in-process (its questions then go one batch at a time).
pub fn open(spec: &JudgeSpec) -> Result<(Box<dyn Judge>, bool)> {
    if spec.model.starts_with("http://") || spec.model.starts_with("https://") {
        let mut config = OpenAiConfig::new(spec.model, spec.model_name);
        config.api_key_env = spec.api_key_env.clone();
        config.chat = !spec.completions;
        Ok((Box::new(OpenAiJudge::new(config)?), false))
    } else if spec.model.ends_with(".gguf") {
        let threads =
            spec.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        Ok((Box::new(LlamaJudge::load(Path::new(spec.model), threads)?), true))
    } else {
        bail!("judge {}: give a .gguf file or the /v1 URL of an OpenAI-compatible server", spec.model);
    }
}
