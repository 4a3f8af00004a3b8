//! Token counts: every kept and rejected record of a run carries its tokens under the run's
//! tokenizer (a real GGUF model's vocabulary, read by the embedded engine), equal to what an
//! independent implementation counts (Hugging Face `tokenizers` rebuilt from the same GGUF by
//! scripts/hf-token-counts.py), and the summary, manifest and `token_counts` view add up.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use crate::common::*;

/// Real texts in many scripts: speeches, a novel, spam, school-exam questions in 13 languages,
/// lingua's sentences in Chinese, Japanese, Korean, Hindi, Russian and Greek; and texts with
/// special-token spellings, emoji and combining marks.
fn write_input(path: &Path) -> usize {
    let mut texts: Vec<String> = Vec::new();
    for (dataset, n) in [("sotu", 40), ("moby-dick", 20), ("spam-assassin", 20)] {
        texts.extend(stdlib_texts(dataset, n));
    }
    for dataset in
        ["arabic-exams-qa", "bulgarian-exams-qa", "vietnamese-exams-qa", "ukraine_eit", "turkish-exams-qa"]
    {
        texts.extend(exam_questions(dataset).into_iter().take(20));
    }
    for language in ["chinese", "japanese", "korean", "hindi", "russian", "greek"] {
        texts.extend(lines(&lingua_testdata(language).join("sentences.txt")).into_iter().take(20));
    }
    texts.extend([
        "<|im_start|>user\nIgnore this<|im_end|> and <|endoftext|> are text here.".to_string(),
        "Emoji 👩‍👩‍👧‍👦 and flags 🇺🇦🇯🇵, combining e\u{301} and tabs\t\tand  spaces.".to_string(),
        "12345678901234567890 digits, 3.14159, and code: fn main() { println!(\"hi\"); }".to_string(),
    ]);
    let mut file = std::fs::File::create(path).unwrap();
    for (i, text) in texts.iter().enumerate() {
        writeln!(file, "{}", serde_json::json!({ "id": format!("t{i}"), "text": text })).unwrap();
    }
    texts.len()
}

#[test]
#[cfg_attr(not(feature = "embedded-judge"), ignore = "needs the embedded-judge feature")]
fn every_record_carries_its_tokens_as_hugging_face_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mixed.jsonl");
    let n = write_input(&input);
    let model = data_dir().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let run = dir.path().join("run");
    let summary = curate_ok(&stage_args(
        "pretrain",
        input.to_str().unwrap(),
        run.to_str().unwrap(),
        &["--tokenizer", model.to_str().unwrap()],
    ));

    // Each record's count, kept or rejected, equals Hugging Face's on the same vocabulary.
    let ours: BTreeMap<String, u64> =
        sql(&run, "select id, tokens from kept union all select id, tokens from rejected")
            .into_iter()
            .map(|r| (r[0].clone(), r[1].parse().unwrap_or_else(|_| panic!("no tokens for {}", r[0]))))
            .collect();
    assert_eq!(ours.len(), n);
    let reference = std::process::Command::new(hf_python())
        .arg(repo_path("scripts/hf-token-counts.py"))
        .arg(&model)
        .stdin(std::fs::File::open(&input).unwrap())
        .output()
        .expect("hf-token-counts.py (scripts/install-test-python.sh installs its packages)");
    assert!(reference.status.success(), "{}", String::from_utf8_lossy(&reference.stderr));
    let theirs: BTreeMap<String, u64> = String::from_utf8(reference.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (id, n) = l.split_once('\t').unwrap();
            (id.to_string(), n.parse().unwrap())
        })
        .collect();
    let differ: Vec<_> = ours.iter().filter(|(id, n)| theirs.get(*id) != Some(n)).take(5).collect();
    assert!(differ.is_empty(), "counts differ from Hugging Face's: {differ:?}");
    // Special-token spellings in a document are text, not one token each.
    let special = ours[&format!("t{}", n - 3)];
    assert!(special > 20, "{special}");

    // The summary, the manifest and the view agree with the tables.
    let total: u64 = ours.values().sum();
    let kept = sql_count(&run, "select sum(tokens) from kept");
    let rejected = sql_count(&run, "select sum(tokens) from rejected");
    assert_eq!(kept + rejected, total);
    assert!(rejected > 0 && kept > 0, "{kept} {rejected}");
    assert_eq!(sql_count(&run, "select sum(tokens) from token_counts"), total);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("manifest.json")).unwrap()).unwrap();
    let tokens = &manifest["tokens"];
    assert!(tokens["tokenizer"].as_str().unwrap().starts_with("gguf:SmolLM2-135M-Instruct.Q4_1.gguf:"));
    assert_eq!(tokens["input"]["tokens"], total);
    assert_eq!(tokens["all"]["kept"]["tokens"], kept);
    let by_rule: u64 =
        tokens["rejections"].as_array().unwrap().iter().map(|r| r["tokens"].as_u64().unwrap()).sum();
    assert_eq!(by_rule, rejected);
    let ja = sql_count(&run, "select coalesce(sum(tokens), 0) from kept where language = 'ja'");
    assert_eq!(tokens["languages"]["ja"]["kept"]["tokens"].as_u64().unwrap_or(0), ja);
    assert!(
        summary.contains(&format!(
            "tokens ({}): input {:.3}M",
            tokens["tokenizer"].as_str().unwrap(),
            total as f64 / 1e6
        )),
        "{summary}"
    );
    assert!(summary.contains("MB/s per core"), "{summary}");
}

#[test]
fn a_run_without_a_tokenizer_has_no_counts_and_a_bad_one_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    write_input(&input);
    let run = dir.path().join("run");
    let summary = curate_ok(&stage_args("pretrain", input.to_str().unwrap(), run.to_str().unwrap(), &[]));
    assert!(!summary.contains("tokens ("), "{summary}");
    assert_eq!(sql_count(&run, "select count(*) from kept where tokens is not null"), 0);
    let manifest = std::fs::read_to_string(run.join("manifest.json")).unwrap();
    assert!(!manifest.contains("\"tokenizer\": \"gguf"), "{manifest}");

    // A config's tokenizer is found next to the config; a missing one is named before any work.
    let config = dir.path().join("tokens.toml");
    std::fs::write(&config, "[tokens]\ntokenizer = \"missing.gguf\"\n").unwrap();
    let out = curate(&stage_args(
        "pretrain",
        input.to_str().unwrap(),
        dir.path().join("run2").to_str().unwrap(),
        &["--config", config.to_str().unwrap()],
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(&dir.path().join("missing.gguf").display().to_string()), "{stderr}");
}
