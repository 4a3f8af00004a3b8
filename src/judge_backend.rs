//! Opening a judge from the command line: a GGUF file runs in-process (llama.cpp), a URL is an
//! OpenAI-compatible server.

use std::path::PathBuf;

use anyhow::{bail, Result};
#[cfg(feature = "embedded-judge")]
use curate_judges::LlamaJudge;
use curate_judges::{Judge, OpenAiConfig, OpenAiJudge};

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
    /// Requests in flight to a server.
    pub concurrency: usize,
}

/// The judge, and whether it runs in-process (its questions then go one batch at a time).
pub fn open(spec: &JudgeSpec) -> Result<(Box<dyn Judge>, bool)> {
    if spec.model.starts_with("http://") || spec.model.starts_with("https://") {
        let mut config = OpenAiConfig::new(spec.model, spec.model_name);
        config.api_key_env = spec.api_key_env.clone();
        config.chat = !spec.completions;
        config.concurrency = spec.concurrency.max(1);
        let judge = OpenAiJudge::new(config)?;
        judge.probe()?;
        Ok((Box::new(judge), false))
    } else if spec.model.ends_with(".gguf") {
        open_embedded(spec)
    } else {
        bail!("judge {}: give a .gguf file or the /v1 URL of an OpenAI-compatible server", spec.model);
    }
}

#[cfg(feature = "embedded-judge")]
fn open_embedded(spec: &JudgeSpec) -> Result<(Box<dyn Judge>, bool)> {
    let threads = spec.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    Ok((Box::new(LlamaJudge::load(std::path::Path::new(spec.model), threads)?), true))
}

#[cfg(not(feature = "embedded-judge"))]
fn open_embedded(spec: &JudgeSpec) -> Result<(Box<dyn Judge>, bool)> {
    let _ = spec.threads;
    bail!(
        "judge {}: this curate was built without the embedded engine (cargo feature `embedded-judge`); \
         rebuild with it, or serve the model over an OpenAI-compatible API and give its /v1 URL",
        spec.model
    )
}

/// Where verdicts are cached unless `--judge-cache` (`--cache` of `curate judge`) says otherwise.
pub fn default_cache() -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| ".".into())).join(".cache")
    });
    base.join("curate").join("verdicts.redb")
}
