//! `curate judge` against an OpenAI-compatible server (the local fake one: no model weights),
//! with the verdict cache making a rerun free.

mod common;

use std::sync::atomic::Ordering;

use common::*;

#[test]
fn judge_prints_probabilities_and_caches_verdicts() {
    let server = curate_judges::fake_server::serve();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("queries.jsonl");
    std::fs::write(
        &input,
        "{\"id\": \"q1\", \"query\": \"Compute 2+2 and explain why.\"}\n{\"id\": \"q2\", \"query\": \"Compute 2+2.\"}\n",
    )
    .unwrap();
    let cache = dir.path().join("verdicts.redb");
    let args = [
        "judge",
        "--model",
        &server.url,
        "--rule",
        "multi_part",
        "--input",
        input.to_str().unwrap(),
        "--cache",
        cache.to_str().unwrap(),
    ];
    let out = curate(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["id"], "q1");
    let yes = lines[0]["probabilities"]["Yes"].as_f64().unwrap();
    // The fake server gives "Yes" 0.8 and "No" 0.1 when the prompt holds " and ".
    assert!((yes - 0.8 / 0.9).abs() < 1e-9, "{}", lines[0]);
    assert_eq!(lines[0]["reject"], true);
    assert_eq!(lines[1]["reject"], false);
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);

    let again = curate(&args);
    assert!(String::from_utf8_lossy(&again.stderr).contains("2 from the verdict cache, 0 asked"));
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);
}

#[test]
fn judge_runs_a_real_gguf_in_process() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("queries.jsonl");
    std::fs::write(&input, "{\"id\": \"q1\", \"query\": \"What is 6 times 7?\"}\n").unwrap();
    let model = data_dir().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let cache = dir.path().join("verdicts.redb");
    let out = curate_ok(&[
        "judge",
        "--model",
        model.to_str().unwrap(),
        "--threads",
        "1",
        "--rule",
        "direct_answer",
        "--input",
        input.to_str().unwrap(),
        "--cache",
        cache.to_str().unwrap(),
    ]);
    let line: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(line["id"], "q1");
    assert!(!line["completion"].as_str().unwrap().trim().is_empty(), "{line}");
    let bad = curate(&[
        "judge",
        "--model",
        "model.bin",
        "--rule",
        "multi_part",
        "--input",
        input.to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("give a .gguf file"));
}
