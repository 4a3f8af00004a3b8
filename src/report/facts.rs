//! Run facts: the stage, the inputs, the curate version, CPU and wall seconds per step, the
//! models and their cache hits, and the effective configuration.

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;

use super::charts::human_bytes;
use crate::engine::run_dir::Plan;

/// Inputs listed by name (the rest are counted).
const INPUTS_LISTED: usize = 20;

/// Seconds spent in one step.
#[derive(Debug, Serialize)]
pub struct StepTime {
    /// The step.
    pub step: String,
    /// CPU seconds over every task.
    pub cpu_seconds: f64,
    /// Records it saw.
    pub seen: u64,
}

/// A model the run asked, and how often its cache answered.
#[derive(Debug, Serialize)]
pub struct ModelUse {
    /// The model's identity (file and hash, or URL and name).
    pub identity: String,
    /// Answers from the verdict cache.
    pub cache_hits: u64,
    /// Questions asked.
    pub cache_misses: u64,
}

/// Facts of the run.
#[derive(Debug, Serialize)]
pub struct Facts {
    /// The stage.
    pub stage: String,
    /// The curate version that wrote the run.
    pub curate_version: String,
    /// Seconds the (last) invocation took.
    pub wall_seconds: f64,
    /// Tasks an earlier invocation had finished.
    pub resumed_tasks: u64,
    /// When the run finished (UTC), when known.
    pub finished_at_unix: Option<u64>,
    /// Input shards.
    pub inputs: usize,
    /// Their bytes, as a short size.
    pub input_size: String,
    /// The first inputs' names and sizes.
    pub listed_inputs: Vec<(String, String)>,
    /// Per step.
    pub steps: Vec<StepTime>,
    /// The models asked.
    pub models: Vec<ModelUse>,
    /// Wall seconds of the global dedup.
    pub dedup_wall_seconds: Option<f64>,
    /// The effective configuration, as TOML.
    pub config: String,
}

/// The facts of a run from its plan and manifest (`Value::Null` when it has none: a run that
/// has not finished).
pub fn facts(plan: &Plan, manifest: &Value) -> Result<Facts> {
    let sizes: Vec<Option<u64>> = plan.tasks.iter().map(|t| t.input.size).collect();
    let total: u64 = sizes.iter().flatten().sum();
    let steps = manifest
        .pointer("/counts/steps")
        .and_then(Value::as_array)
        .map(|steps| {
            steps
                .iter()
                .map(|s| StepTime {
                    step: s.get("step").and_then(Value::as_str).unwrap_or_default().to_string(),
                    cpu_seconds: s.get("seconds").and_then(Value::as_f64).unwrap_or(0.0),
                    seen: s.get("seen").and_then(Value::as_u64).unwrap_or(0),
                })
                .collect()
        })
        .unwrap_or_default();
    let models = manifest
        .get("models")
        .and_then(Value::as_array)
        .map(|models| {
            models
                .iter()
                .map(|m| ModelUse {
                    identity: m.get("identity").and_then(Value::as_str).unwrap_or_default().to_string(),
                    cache_hits: m.get("cache_hits").and_then(Value::as_u64).unwrap_or(0),
                    cache_misses: m.get("cache_misses").and_then(Value::as_u64).unwrap_or(0),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Facts {
        stage: plan.config.stage.clone(),
        curate_version: manifest
            .get("curate_version")
            .and_then(Value::as_str)
            .unwrap_or(env!("CARGO_PKG_VERSION"))
            .to_string(),
        wall_seconds: manifest.get("wall_seconds").and_then(Value::as_f64).unwrap_or(0.0),
        resumed_tasks: manifest.get("resumed_tasks").and_then(Value::as_u64).unwrap_or(0),
        finished_at_unix: manifest.get("finished_at_unix").and_then(Value::as_u64),
        inputs: plan.tasks.len(),
        input_size: human_bytes(total as f64),
        listed_inputs: plan
            .tasks
            .iter()
            .take(INPUTS_LISTED)
            .map(|t| (t.input.name.clone(), t.input.size.map_or("?".into(), |s| human_bytes(s as f64))))
            .collect(),
        steps,
        models,
        dedup_wall_seconds: manifest.get("dedup_wall_seconds").and_then(Value::as_f64),
        config: plan.config.to_toml()?,
    })
}
