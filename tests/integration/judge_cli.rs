//! `curate judge` against an OpenAI-compatible server (the local fake one: no model weights),
//! with the verdict cache making a rerun free.

use std::sync::atomic::Ordering;

use crate::common::*;

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
#[cfg_attr(not(feature = "embedded-judge"), ignore = "needs the embedded-judge feature")]
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

#[test]
fn an_unreachable_judge_fails_at_start_and_an_unused_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("q.jsonl");
    std::fs::write(&input, "{\"id\": \"q1\", \"query\": \"What is 2+2?\", \"reference_answer\": \"4\"}\n")
        .unwrap();
    let run = dir.path().join("run");
    let start = std::time::Instant::now();
    let out = curate(&[
        "--stage",
        "cold-start",
        "--judge",
        "http://127.0.0.1:9/v1",
        "--input",
        input.to_str().unwrap(),
        "--output",
        run.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(start.elapsed().as_secs() < 10, "{:?}", start.elapsed());
    assert!(err.contains("cannot reach the server") && err.contains("Connection refused"), "{err}");
    assert_eq!(err.matches("Connection refused").count(), 1, "said once: {err}");
    assert!(!run.join("plan.json").exists(), "nothing written before the judge answered");

    // A judge that no step asks is named, not silently accepted.
    let server = curate_judges::fake_server::serve();
    let text = dir.path().join("t.jsonl");
    std::fs::write(&text, "{\"id\": \"a\", \"text\": \"Some words of text.\"}\n").unwrap();
    let out = curate(&[
        "--stage",
        "pretrain",
        "--judge",
        &server.url,
        "--input",
        text.to_str().unwrap(),
        "--output",
        dir.path().join("pre").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--judge is not used"));
}

#[test]
fn judge_fills_a_placeholder_from_another_field() {
    let server = curate_judges::fake_server::serve();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("t.jsonl");
    std::fs::write(&input, "{\"id\": \"a\", \"text\": \"Write a poem about the sea and the sky.\"}\n")
        .unwrap();
    let cache = dir.path().join("v.redb");
    let base = [
        "judge",
        "--model",
        &server.url,
        "--rule",
        "general_text",
        "--input",
        input.to_str().unwrap(),
        "--cache",
        cache.to_str().unwrap(),
    ];
    let out = curate(&base);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("{query}") && err.contains("--field query="), "{err}");
    let mut mapped = base.to_vec();
    mapped.extend(["--field", "query=text"]);
    let out = curate_ok(&mapped);
    let row: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(row["id"], "a");
    // The fake server says Yes at 0.8 / 0.9 when the prompt holds " and ": the text was used.
    assert!((row["probabilities"]["Yes"].as_f64().unwrap() - 0.8 / 0.9).abs() < 1e-9, "{row}");
}
