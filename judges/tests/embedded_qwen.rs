//! The embedded engine on Qwen2.5-Coder-1.5B-Instruct (qwen2 architecture, Q4_K_M, 1.1 GB;
//! `scripts/fetch-data.sh DIR --with-qwen`, which scripts/test.sh runs). About 5 s on 2 cores.

use std::path::PathBuf;

use curate_judges::{GenerateRequest, Judge, LlamaJudge, ScoreRequest};

fn model() -> LlamaJudge {
    let data = std::env::var_os("CURATE_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/curate-data"));
    let path = data.join("models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf");
    assert!(path.exists(), "{} missing: run scripts/fetch-data.sh DIR --with-qwen", path.display());
    LlamaJudge::load(&path, 2).unwrap()
}

#[test]
fn qwen2_loads_renders_its_template_and_answers() {
    let m = model();
    let rendered = m.render("Is 7 prime?", true).unwrap();
    // Qwen2.5's template adds its default system prompt.
    assert!(
        rendered.starts_with("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud."),
        "{rendered}"
    );
    assert!(
        rendered.ends_with("<|im_start|>user\nIs 7 prime?<|im_end|>\n<|im_start|>assistant\n"),
        "{rendered}"
    );
    let ask = |p: &str| ScoreRequest { prompt: p.into(), labels: vec!["Yes".into(), "No".into()] };
    let scores = m
        .score(&[
            ask("Is 7 a prime number? Answer Yes or No."),
            ask("Is 8 a prime number? Answer Yes or No."),
        ])
        .unwrap();
    for s in &scores {
        assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{s:?}");
    }
    // A 1.5B model gets these right; the mechanics are what is tested, so only the ordering.
    assert!(scores[0][0] > scores[1][0], "{scores:?}");
    let request = GenerateRequest {
        prompt: "Write a Python expression for the sum of 1 to 10. Reply with the expression only.".into(),
        max_tokens: 24,
        stop: vec![],
        seed: None,
        think: false,
    };
    let a = m.generate(std::slice::from_ref(&request)).unwrap();
    assert_eq!(a, m.generate(std::slice::from_ref(&request)).unwrap());
    assert!(a[0].contains("sum") || a[0].contains("55"), "{a:?}");
}
