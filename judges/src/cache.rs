//! Verdicts on disk: a judge's answers stored in a redb database, keyed by a hash of all that
//! decides them (backend and model, prompt template version, the rendered request and its
//! decoding parameters). Shared across runs: a rerun after editing one rule pays only for it.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use redb::{Database, ReadableDatabase, TableDefinition};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{GenerateRequest, Judge, JudgeError, ScoreRequest};

const VERDICTS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("verdicts");

/// A verdict cache file.
pub struct VerdictCache {
    db: Database,
    path: String,
}

/// Hits and misses so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    /// Answers found in the cache.
    pub hits: u64,
    /// Answers the judge had to compute.
    pub misses: u64,
}

impl VerdictCache {
    /// Opens (or creates) the cache at `path`.
    pub fn open(path: &Path) -> Result<Self, JudgeError> {
        let shown = path.display().to_string();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| JudgeError::Cache { path: shown.clone(), message: e.to_string() })?;
        }
        let db = Database::create(path)
            .map_err(|e| JudgeError::Cache { path: shown.clone(), message: e.to_string() })?;
        Ok(Self { db, path: shown })
    }

    fn err(&self, e: impl std::fmt::Display) -> JudgeError {
        JudgeError::Cache { path: self.path.clone(), message: e.to_string() }
    }

    /// The cached values of `keys` (`None` where absent).
    fn get_many<V: DeserializeOwned>(&self, keys: &[[u8; 16]]) -> Result<Vec<Option<V>>, JudgeError> {
        let txn = self.db.begin_read().map_err(|e| self.err(e))?;
        let table = match txn.open_table(VERDICTS) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(keys.iter().map(|_| None).collect()),
            Err(e) => return Err(self.err(e)),
        };
        keys.iter()
            .map(|k| match table.get(k.as_slice()).map_err(|e| self.err(e))? {
                Some(v) => serde_json::from_slice(v.value()).map(Some).map_err(|e| self.err(e)),
                None => Ok(None),
            })
            .collect()
    }

    /// Stores `values` under `keys`, in one transaction.
    fn put_many<V: Serialize>(&self, entries: &[([u8; 16], V)]) -> Result<(), JudgeError> {
        let txn = self.db.begin_write().map_err(|e| self.err(e))?;
        {
            let mut table = txn.open_table(VERDICTS).map_err(|e| self.err(e))?;
            for (k, v) in entries {
                let bytes = serde_json::to_vec(v).map_err(|e| self.err(e))?;
                table.insert(k.as_slice(), bytes.as_slice()).map_err(|e| self.err(e))?;
            }
        }
        txn.commit().map_err(|e| self.err(e))
    }
}

/// A judge that asks its inner judge only what the cache does not know.
pub struct CachedJudge<'a> {
    inner: &'a dyn Judge,
    cache: &'a VerdictCache,
    template_version: String,
    hits: AtomicU64,
    misses: AtomicU64,
}

fn key(parts: &impl Serialize) -> [u8; 16] {
    let bytes = serde_json::to_vec(parts).expect("requests serialize");
    xxhash_rust::xxh3::xxh3_128(&bytes).to_le_bytes()
}

impl<'a> CachedJudge<'a> {
    /// Caches `inner`'s answers to questions from prompt templates of `template_version`.
    pub fn new(inner: &'a dyn Judge, cache: &'a VerdictCache, template_version: &str) -> Self {
        Self {
            inner,
            cache,
            template_version: template_version.to_string(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats { hits: self.hits.load(Ordering::Relaxed), misses: self.misses.load(Ordering::Relaxed) }
    }

    fn cached<Q: Serialize + Clone, A: Serialize + DeserializeOwned + Clone>(
        &self,
        kind: &str,
        requests: &[Q],
        ask: impl FnOnce(&[Q]) -> Vec<Result<A, JudgeError>>,
    ) -> Result<Vec<A>, JudgeError> {
        let identity = self.inner.identity();
        let keys: Vec<[u8; 16]> =
            requests.iter().map(|r| key(&(kind, &identity, &self.template_version, r))).collect();
        let mut answers: Vec<Option<A>> = self.cache.get_many(&keys)?;
        let missing: Vec<usize> = (0..requests.len()).filter(|&i| answers[i].is_none()).collect();
        self.hits.fetch_add((requests.len() - missing.len()) as u64, Ordering::Relaxed);
        self.misses.fetch_add(missing.len() as u64, Ordering::Relaxed);
        if !missing.is_empty() {
            let asked: Vec<Q> = missing.iter().map(|&i| requests[i].clone()).collect();
            let fresh = ask(&asked);
            // The answers that came are stored even when others failed: a rerun asks only
            // for what is still missing.
            let entries: Vec<([u8; 16], A)> = missing
                .iter()
                .zip(&fresh)
                .filter_map(|(&i, a)| a.as_ref().ok().map(|a| (keys[i], a.clone())))
                .collect();
            self.cache.put_many(&entries)?;
            for (&i, a) in missing.iter().zip(fresh) {
                answers[i] = Some(a?);
            }
        }
        Ok(answers.into_iter().map(|a| a.expect("every answer filled")).collect())
    }
}

impl Judge for CachedJudge<'_> {
    fn identity(&self) -> String {
        self.inner.identity()
    }

    fn score(&self, requests: &[ScoreRequest]) -> Result<Vec<Vec<f64>>, JudgeError> {
        self.cached("score", requests, |r| self.inner.score_each(r))
    }

    fn generate(&self, requests: &[GenerateRequest]) -> Result<Vec<String>, JudgeError> {
        self.cached("generate", requests, |r| self.inner.generate_each(r))
    }
}
