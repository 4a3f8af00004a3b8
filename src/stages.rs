//! Stage presets: named lists of steps that `--stage` starts from.

use anyhow::{bail, Result};

use crate::config::StepConfig;

/// A named stage and the steps it runs by default.
pub struct Preset {
    /// The name given to `--stage`.
    pub name: &'static str,
    /// One line for `curate stages`.
    pub description: &'static str,
    /// Its default steps.
    pub steps: fn() -> Vec<StepConfig>,
}

/// Every stage preset.
pub fn presets() -> Vec<Preset> {
    vec![Preset {
        name: "pretrain",
        description: "Pretraining text: language ID, Gopher quality and repetition, exact and MinHash dedup \
                      (add --benchmarks INDEX for contamination)",
        steps: || {
            ["language_id", "gopher_quality", "gopher_repetition", "exact_dedup", "minhash_dedup"]
                .into_iter()
                .map(StepConfig::of)
                .collect()
        },
    }]
}

/// The preset named `name`.
pub fn find(name: &str) -> Result<Preset> {
    let all = presets();
    let known: Vec<&str> = all.iter().map(|p| p.name).collect();
    match all.into_iter().find(|p| p.name == name) {
        Some(p) => Ok(p),
        None => bail!("unknown stage `{name}`; known stages: {}", known.join(", ")),
    }
}
