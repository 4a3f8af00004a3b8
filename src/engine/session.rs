//! A process's share of a run: the stage's steps built once, with the models they ask, ready to
//! run any task of the run. The local executor builds one for the whole run; `curate task`
//! builds one per task process.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use curate_judges::{JudgeUsage, SharedJudge};
use curate_sources::jsonl::BatchLimits;
use serde::{Deserialize, Serialize};

use super::invocation::Invocation;
use super::pipeline::Pipeline;
use crate::config::StageConfig;

/// Every model a process opened, by the spec that named it.
type Models = Arc<Mutex<BTreeMap<String, Arc<SharedJudge>>>>;

/// What a process asked its models, for the manifest: summed over processes at the end.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Usage {
    /// The run's judge (`--judge`).
    pub judge: Option<JudgeUsage>,
    /// The responder or policy.
    pub responder: Option<JudgeUsage>,
    /// Every model asked, steps' own `judge_model`s included.
    pub models: Vec<JudgeUsage>,
    /// Judge questions skipped for want of a judge (`--no-judge`).
    pub skipped_judge_questions: Vec<String>,
}

impl Usage {
    /// Adds another process's usage (models matched by identity).
    pub fn merge(&mut self, other: &Usage) {
        fn add(mine: &mut JudgeUsage, theirs: &JudgeUsage) {
            mine.cache_hits += theirs.cache_hits;
            mine.cache_misses += theirs.cache_misses;
        }
        for (mine, theirs) in [(&mut self.judge, &other.judge), (&mut self.responder, &other.responder)] {
            match (mine.as_mut(), theirs) {
                (Some(m), Some(t)) => add(m, t),
                (None, Some(t)) => *mine = Some(t.clone()),
                _ => {}
            }
        }
        for model in &other.models {
            match self.models.iter_mut().find(|m| m.identity == model.identity) {
                Some(m) => add(m, model),
                None => self.models.push(model.clone()),
            }
        }
        for skipped in &other.skipped_judge_questions {
            if !self.skipped_judge_questions.contains(skipped) {
                self.skipped_judge_questions.push(skipped.clone());
            }
        }
    }
}

/// The steps of a run built in this process, with their models.
pub struct Session {
    /// The pipeline that runs the filter, cluster and apply tasks.
    pub pipeline: Pipeline,
    ctx: curate_filters::BuildContext,
    models: Models,
}

impl Session {
    /// Builds `config`'s steps with the models `invocation` names, running on `threads`, for a
    /// run whose buckets phase has `buckets` tasks.
    pub fn new(
        config: &StageConfig,
        invocation: &Invocation,
        threads: usize,
        buckets: usize,
    ) -> Result<Self> {
        Self::with_cache_fallback(config, invocation, threads, buckets, None)
    }

    /// [`Session::new`] for one task of a distributed run: when the verdict cache is held by
    /// another process (tasks of one run on one host; the cache is one file a process holds),
    /// answers are cached in `fallback` instead, and the task goes on.
    pub fn with_cache_fallback(
        config: &StageConfig,
        invocation: &Invocation,
        threads: usize,
        buckets: usize,
        fallback: Option<std::path::PathBuf>,
    ) -> Result<Self> {
        curate_sources::open::set_http_limits(config.run.http_limits());
        let (ctx, models) = build_context(invocation, fallback)?;
        let steps = config.build_steps(&ctx)?;
        let limits = BatchLimits { records: config.run.batch_records, bytes: config.run.batch_bytes };
        let tokenizer = match &config.tokens.tokenizer {
            Some(path) => Some(Arc::new(crate::tokens::Tokenizer::open(path)?)),
            None => None,
        };
        let pipeline = Pipeline::new(&config.stage, steps, config.fields.clone(), limits, threads)?
            .with_buckets(buckets)
            .with_tokenizer(tokenizer);
        Ok(Self { pipeline, ctx, models })
    }

    /// Only the dedup steps of `config`, for the buckets, cluster and apply phases.
    pub fn dedup_only(config: &StageConfig, threads: usize, buckets: usize) -> Result<Self> {
        let steps = config.build_dedup_steps()?;
        let limits = BatchLimits { records: config.run.batch_records, bytes: config.run.batch_bytes };
        let pipeline = Pipeline::new(&config.stage, steps, config.fields.clone(), limits, threads)?
            .with_buckets(buckets);
        let ctx = curate_filters::BuildContext::default();
        Ok(Self { pipeline, ctx, models: Models::default() })
    }

    /// Whether the run's judge (`--judge`) is asked by no step.
    pub fn judge_unused(&self) -> bool {
        // The judge is held by the context and the model table; a step that asks it holds it too.
        self.ctx.judge.as_ref().is_some_and(|j| Arc::strong_count(j) <= 2)
    }

    /// What this process asked its models so far.
    pub fn usage(&self) -> Usage {
        Usage {
            judge: self.ctx.judge.as_ref().map(|j| j.usage()),
            responder: self.ctx.responder.as_ref().map(|j| j.usage()),
            models: self.models.lock().map(|m| m.values().map(|j| j.usage()).collect()).unwrap_or_default(),
            skipped_judge_questions: self.ctx.skipped.lock().map(|s| s.clone()).unwrap_or_default(),
        }
    }
}

/// A model spec's parts: `URL#name@N` is the server at URL, its model `name`, `N` requests in
/// flight (`#name` and `@N` optional); a file is itself. Defaults: `default_name`, `concurrency`.
fn server_spec<'a>(spec: &'a str, default_name: &'a str, concurrency: usize) -> (&'a str, &'a str, usize) {
    if !spec.starts_with("http") {
        return (spec, default_name, concurrency);
    }
    let (rest, concurrency) = match spec.rsplit_once('@') {
        Some((rest, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => {
            (rest, n.parse().unwrap_or(concurrency))
        }
        _ => (spec, concurrency),
    };
    match rest.split_once('#') {
        Some((url, name)) => (url, name, concurrency),
        None => (rest, default_name, concurrency),
    }
}

/// The run's judge and responder models, and the ones steps name for themselves
/// (`judge_model`), sharing one verdict cache; a model named twice is opened once.
fn build_context(
    inv: &Invocation,
    fallback: Option<std::path::PathBuf>,
) -> Result<(curate_filters::BuildContext, Models)> {
    let mut ctx = curate_filters::BuildContext { no_judge: inv.no_judge, ..Default::default() };
    let cache_path = inv.judge_cache.clone().unwrap_or_else(crate::judge_backend::default_cache);
    let cache: Arc<Mutex<Option<Arc<curate_judges::VerdictCache>>>> = Arc::new(Mutex::new(None));
    let models: Models = Arc::new(Mutex::new(BTreeMap::new()));
    let opened = models.clone();
    let (threads, api_key_env, concurrency) =
        (inv.judge_threads, inv.judge_api_key_env.clone(), inv.judge_concurrency);
    let open = move |spec: &str, default_name: &str| -> Result<Arc<SharedJudge>> {
        let mut opened = opened.lock().map_err(|_| anyhow::anyhow!("model table lock poisoned"))?;
        if let Some(j) = opened.get(spec) {
            return Ok(j.clone());
        }
        let (model, name, concurrency) = server_spec(spec, default_name, concurrency);
        let (judge, in_process) = crate::judge_backend::open(&crate::judge_backend::JudgeSpec {
            model,
            model_name: name,
            threads,
            api_key_env: api_key_env.clone(),
            completions: false,
            concurrency,
        })?;
        let mut cache = cache.lock().map_err(|_| anyhow::anyhow!("cache lock poisoned"))?;
        if cache.is_none() {
            let opened = match (curate_judges::VerdictCache::open(&cache_path), &fallback) {
                (Ok(c), _) => c,
                (Err(e), Some(other)) => {
                    eprintln!(
                        "note: verdict cache {} not usable ({e}); this task caches in {}",
                        cache_path.display(),
                        other.display()
                    );
                    curate_judges::VerdictCache::open(other)?
                }
                (Err(e), None) => return Err(e.into()),
            };
            *cache = Some(Arc::new(opened));
        }
        let shared = Arc::new(SharedJudge::new(judge, cache.clone(), in_process));
        opened.insert(spec.to_string(), shared.clone());
        Ok(shared)
    };
    if let Some(model) = &inv.judge {
        ctx.judge = Some(open(model, &inv.judge_model_name)?);
    }
    if let Some(model) = &inv.responder {
        ctx.responder = Some(open(model, &inv.responder_model_name)?);
    }
    let open = Arc::new(open);
    ctx.open_model = Some(Arc::new(move |spec: &str| {
        open(spec, "default").map_err(|e| format!("judge_model {spec}: {e:#}"))
    }));
    Ok((ctx, models))
}

#[cfg(test)]
mod tests {
    use super::server_spec;

    #[test]
    fn server_specs_name_the_model_and_the_requests_in_flight() {
        assert_eq!(server_spec("http://h:8000/v1", "default", 64), ("http://h:8000/v1", "default", 64));
        assert_eq!(server_spec("http://h:8000/v1#qwen", "default", 64), ("http://h:8000/v1", "qwen", 64));
        assert_eq!(server_spec("http://h:8000/v1#qwen@256", "d", 64), ("http://h:8000/v1", "qwen", 256));
        assert_eq!(server_spec("http://h:8000/v1@8", "d", 64), ("http://h:8000/v1", "d", 8));
        assert_eq!(server_spec("model@1.gguf", "d", 64), ("model@1.gguf", "d", 64));
        assert_eq!(server_spec("http://user@h/v1#m", "d", 64), ("http://user@h/v1", "m", 64));
    }
}
