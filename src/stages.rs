//! Stage presets: named lists of steps that `--stage` starts from.

use anyhow::{bail, Result};

use curate_sources::FieldNames;

use crate::step_config::StepConfig;

/// A named stage and the steps it runs by default.
pub struct Preset {
    /// The name given to `--stage`.
    pub name: &'static str,
    /// One line for `curate stages`.
    pub description: &'static str,
    /// Its default steps.
    pub steps: fn() -> Vec<StepConfig>,
    /// The input fields holding the text the steps look at and the id.
    pub fields: fn() -> FieldNames,
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
        fields: FieldNames::default,
    },
    Preset {
        name: "cold-start",
        description: "Qwen3 cold start: verifiable single-question queries that need reasoning, responses checked \
                      one by one, pass@N, domain labels; SFT JSONL and an annotation queue (--judge MODEL or --no-judge)",
        steps: || {
            // Requests for several answers or for free text are dropped before the verifier
            // check, so that only verifiable queries reach the annotation queue.
            [
                "multi_part",
                "general_text",
                "verifier",
                "direct_answer",
                "sample_responses",
                "responses",
                "domain",
                "exact_dedup",
            ]
                .into_iter()
                .map(StepConfig::of)
                .collect()
        },
        fields: || FieldNames { text: "query".into(), id: "id".into() },
    },
    Preset {
        name: "reasoning-rl",
        description: "Qwen3 reasoning RL: query-verifier pairs not in the cold-start data (--exclude RUN), that the \
                      --policy model solves sometimes but not always, hardest first under per-domain quotas (--target N)",
        steps: || {
            let mut sample = StepConfig::of("sample_responses");
            sample.options.insert("n".into(), toml::Value::Integer(8));
            // The prompts RL rollouts use, so that answers can be verified.
            sample.options.insert(
                "instruction".into(),
                "Please reason step by step, and put your final answer within \\boxed{}.".into(),
            );
            sample.options.insert(
                "code_instruction".into(),
                "Write the complete solution as Python code in one ```python code block.".into(),
            );
            let mut verifier = StepConfig::of("verifier");
            verifier.options.insert("missing".into(), "no reward can be computed for RL".into());
            vec![
                verifier,
                StepConfig::of("disjoint"),
                sample,
                StepConfig::of("pass_rate"),
                StepConfig::of("domain"),
                StepConfig::of("exact_dedup"),
            ]
        },
        fields: || FieldNames { text: "query".into(), id: "id".into() },
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
