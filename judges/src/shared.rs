//! One judge for a whole run: the backend, the verdict cache and the counts, shared by every
//! step and worker that asks it questions.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::{CachedJudge, GenerateRequest, Judge, JudgeError, ScoreRequest, VerdictCache};

/// What a run asked its judge, for the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JudgeUsage {
    /// The backend and model.
    pub identity: String,
    /// Answers found in the verdict cache.
    pub cache_hits: u64,
    /// Answers the model had to give.
    pub cache_misses: u64,
}

/// A judge shared by a run's steps: questions go through the verdict cache (when there is one),
/// and, for an in-process engine, one batch at a time, so the engine's threads are not
/// oversubscribed by several workers asking at once.
pub struct SharedJudge {
    judge: Box<dyn Judge>,
    cache: Option<Arc<VerdictCache>>,
    one_at_a_time: Option<Mutex<()>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl SharedJudge {
    /// Shares `judge`, with answers cached in `cache`; `one_at_a_time` for in-process engines.
    pub fn new(judge: Box<dyn Judge>, cache: Option<Arc<VerdictCache>>, one_at_a_time: bool) -> Self {
        Self {
            judge,
            cache,
            one_at_a_time: one_at_a_time.then(|| Mutex::new(())),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    fn ask<R>(
        &self,
        rule: &str,
        f: impl FnOnce(&dyn Judge) -> Result<R, JudgeError>,
    ) -> Result<R, JudgeError> {
        let _turn = self.one_at_a_time.as_ref().map(|m| m.lock().unwrap_or_else(|e| e.into_inner()));
        match &self.cache {
            None => f(self.judge.as_ref()),
            Some(cache) => {
                let cached = CachedJudge::new(self.judge.as_ref(), cache, rule);
                let answer = f(&cached);
                let stats = cached.stats();
                self.hits.fetch_add(stats.hits, Ordering::Relaxed);
                self.misses.fetch_add(stats.misses, Ordering::Relaxed);
                answer
            }
        }
    }

    /// Label probabilities for questions of the rule `rule` (`name@version`, part of the cache key).
    pub fn score(&self, rule: &str, requests: &[ScoreRequest]) -> Result<Vec<Vec<f64>>, JudgeError> {
        self.ask(rule, |j| j.score(requests))
    }

    /// Completions for questions of the rule `rule`.
    pub fn generate(&self, rule: &str, requests: &[GenerateRequest]) -> Result<Vec<String>, JudgeError> {
        self.ask(rule, |j| j.generate(requests))
    }

    /// What was asked so far (counted through the verdict cache; zero without one).
    pub fn usage(&self) -> JudgeUsage {
        JudgeUsage {
            identity: self.judge.identity(),
            cache_hits: self.hits.load(Ordering::Relaxed),
            cache_misses: self.misses.load(Ordering::Relaxed),
        }
    }
}
