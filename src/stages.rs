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
    },
    Preset {
        name: "thinking-fusion",
        description: "Qwen3 thinking-mode fusion, non-thinking side: general instructions labelled by task type, \
                      answered with thinking off (--sample N --responder MODEL, or given), checked without a \
                      verifier; then `curate fuse` joins them with a cold-start run's thinking data",
        steps: thinking_fusion_steps,
        fields: || FieldNames { text: "query".into(), id: "id".into() },
    }]
}

/// The steps of `thinking-fusion`: task types (an input `task_type` field, keywords, else the
/// judge's `task_type` rule), non-thinking responses, and the response checks that need no
/// reasoning (no guessing or inconsistency rule: a non-thinking answer has no reasoning), with
/// the judge's `helpful_answer` for open-ended quality.
fn thinking_fusion_steps() -> Vec<StepConfig> {
    let mut task = StepConfig::of("domain");
    task.name = Some("task_type".into());
    let taxonomy: Vec<toml::Value> = [
        ("translation", "translate, translation, in english:, into english, into french, into german, into spanish, into chinese"),
        ("role_play", "role-play, roleplay, pretend you are, act as, you are a, in character"),
        ("creative_writing", "write a story, write a poem, poem, short story, essay, lyrics, haiku"),
        ("code", "python, function, code, program, javascript, sql, algorithm, def "),
        ("math", "solve, calculate, how many, equation, sum of, probability, integer"),
        ("instruction_following", "in exactly, at most, at least, bullet points, words, format, json"),
    ]
    .into_iter()
    .map(|(label, words)| {
        let mut entry = toml::Table::new();
        entry.insert("label".into(), label.into());
        entry.insert(
            "keywords".into(),
            toml::Value::Array(words.split(',').map(|w| toml::Value::String(w.trim().into())).collect()),
        );
        toml::Value::Table(entry)
    })
    .collect();
    task.options.insert("domain_field".into(), "task_type".into());
    task.options.insert("taxonomy".into(), toml::Value::Array(taxonomy));
    task.options.insert("judge_rule".into(), "task_type".into());
    task.options.insert(
        "judge_labels".into(),
        toml::Value::Array(
            ["code", "math", "instruction_following", "creative_writing", "qa", "role_play", "translation"]
                .map(|l| toml::Value::String(l.into()))
                .to_vec(),
        ),
    );
    let mut sample = StepConfig::of("sample_responses");
    sample.options.insert("n".into(), toml::Value::Integer(1));
    sample.options.insert("think".into(), toml::Value::Boolean(false));
    let mut responses = StepConfig::of("responses");
    responses.options.insert("min_reasoning_tokens".into(), toml::Value::Integer(0));
    responses.options.insert(
        "judge_rules".into(),
        toml::Value::Array(vec!["style_shift".into(), "helpful_answer".into()]),
    );
    vec![task, sample, responses, StepConfig::of("exact_dedup")]
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
