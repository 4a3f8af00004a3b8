//! Annotation at scale: `curate annotate` (a real GGUF judge labels a stable sample, answers
//! cached), `curate train-classifier` (fastText learns labels of real text and reports its
//! held-out agreement) and the `classifier` step (labels every document of a stage run).

use std::io::Write;
use std::path::Path;

use polars::prelude::*;

use crate::common::*;

/// Real texts with a label known from where they come from: MATH problems, HumanEval prompts,
/// a novel, State of the Union speeches, spam; and a numeric label (how much a document
/// teaches, by the same sources: spam 0, the novel and speeches 1, problems and code 2).
fn labelled_texts(per_source: usize) -> Vec<(String, &'static str, &'static str)> {
    texts_by_source(per_source)
        .into_iter()
        .map(|(text, source)| {
            let value = match source {
                "spam" => "0",
                "fiction" | "speech" => "1",
                _ => "2",
            };
            (text, source, value)
        })
        .collect()
}

/// Writes `labels.parquet` as `curate annotate` does, with known labels in two dimensions.
fn write_labels(dir: &Path, texts: &[(String, &str, &str)]) {
    let n = texts.len();
    let mut df = DataFrame::new(
        n,
        vec![
            Column::new("id".into(), (0..n).map(|i| format!("d{i}")).collect::<Vec<_>>()),
            Column::new("text".into(), texts.iter().map(|t| t.0.as_str()).collect::<Vec<_>>()),
            Column::new("source".into(), texts.iter().map(|t| t.1).collect::<Vec<_>>()),
            Column::new("teaching".into(), texts.iter().map(|t| t.2).collect::<Vec<_>>()),
            Column::new(
                "teaching_expected".into(),
                texts.iter().map(|t| t.2.parse::<f64>().unwrap()).collect::<Vec<_>>(),
            ),
        ],
    )
    .unwrap();
    let file = std::fs::File::create(dir.join("labels.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
}

#[test]
fn a_classifier_learns_labels_of_real_text_and_a_step_applies_it() {
    let dir = tempfile::tempdir().unwrap();
    let texts = labelled_texts(60);
    assert!(texts.len() >= 280, "{}", texts.len());
    write_labels(dir.path(), &texts);
    let model = dir.path().join("source.bin");
    let out = curate_ok(&[
        "train-classifier",
        "--labels",
        dir.path().to_str().unwrap(),
        "--dimension",
        "source",
        "--output",
        model.to_str().unwrap(),
        "--holdout",
        "0.3",
    ]);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("source.json")).unwrap()).unwrap();
    let held = &report["held_out"];
    let (accuracy, baseline) =
        (held["accuracy"].as_f64().unwrap(), held["majority_baseline"].as_f64().unwrap());
    eprintln!("{out}");
    // Measured: 0.98+ accuracy on ~90 held-out documents (baseline ~0.2).
    assert!(held["documents"].as_u64().unwrap() >= 60, "{report}");
    assert!(accuracy >= 0.9 && held["macro_f1"].as_f64().unwrap() >= 0.85, "{report}");
    assert!(baseline < 0.4, "{report}");
    assert_eq!(report["labels"].as_array().unwrap().len(), 5);

    // A numeric dimension: Spearman of the expected value against the labels.
    let teaching = dir.path().join("teaching.bin");
    let out = curate_ok(&[
        "train-classifier",
        "--labels",
        dir.path().join("labels.parquet").to_str().unwrap(),
        "--dimension",
        "teaching",
        "--output",
        teaching.to_str().unwrap(),
    ]);
    eprintln!("{out}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("teaching.json")).unwrap()).unwrap();
    assert!(report["held_out"]["spearman"].as_f64().unwrap() >= 0.8, "{report}");

    // The step: every document labelled in decisions; `keep` rejects the rest, `min_expected`
    // rejects by the expected value; the same training data gives the same model.
    let input = dir.path().join("docs.jsonl");
    let mut file = std::fs::File::create(&input).unwrap();
    for (i, (text, _, _)) in texts.iter().enumerate() {
        writeln!(file, "{}", serde_json::json!({ "id": format!("d{i}"), "text": text })).unwrap();
    }
    let config = dir.path().join("classify.toml");
    std::fs::write(
        &config,
        format!(
            "[[steps]]\nname = \"source\"\nfilter = \"classifier\"\nmodel = \"{}\"\ndimension = \"source\"\nkeep = [\"math\", \"code\"]\n\n\
             [[steps]]\nname = \"teaching\"\nfilter = \"classifier\"\nmodel = \"{}\"\ndimension = \"teaching\"\nmin_expected = 1.5\n",
            model.display(),
            teaching.display()
        ),
    )
    .unwrap();
    let run = dir.path().join("run");
    curate_ok(&stage_args(
        "pretrain",
        input.to_str().unwrap(),
        run.to_str().unwrap(),
        &["--config", config.to_str().unwrap()],
    ));
    let n = texts.len() as u64;
    assert_eq!(
        sql_count(&run, "select count(*) from decisions where step = 'source' and rule like 'source:%'"),
        n
    );
    let math_or_code =
        sql_count(&run, "select count(*) from decisions where rule in ('source:math', 'source:code')");
    assert_eq!(sql_count(&run, "select count(*) from rejected where step = 'source'"), n - math_or_code);
    // Of the 120 math and code documents, nearly all are named so (most were trained on).
    assert!((115..=125).contains(&math_or_code), "{math_or_code}");
    let low = sql_count(
        &run,
        "select count(*) from decisions where step = 'teaching' and rule = 'teaching' and score < 1.5",
    );
    assert_eq!(sql_count(&run, "select count(*) from rejected where step = 'teaching'"), low);
    assert_eq!(sql_count(&run, "select count(*) from kept"), math_or_code - low);
}

#[test]
fn classifier_options_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"id\": \"a\", \"text\": \"hello\"}\n").unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[[steps]]\nfilter = \"classifier\"\n").unwrap();
    let out = curate(&stage_args(
        "pretrain",
        input.to_str().unwrap(),
        dir.path().join("run").to_str().unwrap(),
        &["--config", config.to_str().unwrap()],
    ));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("`model` is required"), "{stderr}");
    // Labels the judge gave one value only teach nothing: said, not trained.
    let texts: Vec<(String, &str, &str)> =
        stdlib_texts("sotu", 10).into_iter().map(|t| (t, "speech", "1")).collect();
    write_labels(dir.path(), &texts);
    let out = curate(&[
        "train-classifier",
        "--labels",
        dir.path().to_str().unwrap(),
        "--dimension",
        "source",
        "--output",
        dir.path().join("m.bin").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("nothing to learn"), "{stderr}");
    let out = curate(&[
        "train-classifier",
        "--labels",
        dir.path().to_str().unwrap(),
        "--dimension",
        "nope",
        "--output",
        dir.path().join("m.bin").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("no column `nope`"), "{stderr}");
}

#[test]
#[cfg_attr(not(feature = "embedded-judge"), ignore = "needs the embedded-judge feature")]
fn annotate_labels_a_stable_sample_and_a_rerun_asks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let texts: Vec<String> =
        [stdlib_texts("sotu", 15), stdlib_texts("moby-dick", 10), stdlib_texts("spam-assassin", 10)].concat();
    let write = |name: &str, reversed: bool| {
        let path = dir.path().join(name);
        let mut file = std::fs::File::create(&path).unwrap();
        let mut rows: Vec<(usize, &String)> = texts.iter().enumerate().collect();
        if reversed {
            rows.reverse();
        }
        for (i, text) in rows {
            writeln!(file, "{}", serde_json::json!({ "id": format!("d{i}"), "text": text })).unwrap();
        }
        path
    };
    let (forward, backward) = (write("forward.jsonl", false), write("backward.jsonl", true));
    let model = data_dir().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let cache = dir.path().join("verdicts.redb");
    let annotate = |input: &Path, out: &str| {
        curate_ok(&[
            "annotate",
            "--input",
            input.to_str().unwrap(),
            "--model",
            model.to_str().unwrap(),
            "--dimension",
            "educational_value",
            "--dimension",
            "pretrain_domain",
            "--sample",
            "8",
            "--max-chars",
            "300",
            "--output",
            dir.path().join(out).to_str().unwrap(),
            "--cache",
            cache.to_str().unwrap(),
        ])
    };
    let first = annotate(&forward, "a");
    assert!(first.contains("0 answers from the verdict cache, 16 asked"), "{first}");
    // The same documents sampled from the input in the other order: all answers from the cache.
    let second = annotate(&backward, "b");
    assert!(second.contains("16 answers from the verdict cache, 0 asked"), "{second}");
    let read = |out: &str| {
        let file = std::fs::File::open(dir.path().join(out).join("labels.parquet")).unwrap();
        ParquetReader::new(file).finish().unwrap()
    };
    let (a, b) = (read("a"), read("b"));
    assert_eq!(a.height(), 8);
    // The same documents and labels (their lines differ: the files are in opposite orders).
    let answers = |df: &DataFrame| df.drop_many(["source_file", "source_line"]);
    assert!(answers(&a).equals_missing(&answers(&b)), "{a}\n{b}");
    let labels = ["0", "1", "2", "3", "4", "5"];
    for i in 0..a.height() {
        let label = a.column("educational_value").unwrap().str().unwrap().get(i).unwrap().to_string();
        let p = a.column("educational_value_probability").unwrap().f64().unwrap().get(i).unwrap();
        let expected = a.column("educational_value_expected").unwrap().f64().unwrap().get(i).unwrap();
        let all: serde_json::Value = serde_json::from_str(
            a.column("educational_value_probabilities").unwrap().str().unwrap().get(i).unwrap(),
        )
        .unwrap();
        let probs: Vec<f64> = labels.iter().map(|l| all[l].as_f64().unwrap()).collect();
        let sum: f64 = probs.iter().sum();
        assert!(sum > 0.0 && sum <= 1.0 + 1e-9, "{probs:?}");
        assert_eq!(probs.iter().cloned().fold(0.0, f64::max), p);
        assert_eq!(all[&label].as_f64().unwrap(), p);
        assert!((0.0..=5.0).contains(&expected), "{expected}");
        let domain = a.column("pretrain_domain").unwrap().str().unwrap().get(i).unwrap();
        assert!(
            ["math", "code", "science", "humanities", "news", "fiction", "forum", "other"].contains(&domain)
        );
    }
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("a/annotate.json")).unwrap()).unwrap();
    assert_eq!(report["documents_read"], texts.len());
    let counted: u64 =
        report["dimensions"][0]["counts"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(counted, 8);
}

#[test]
#[cfg_attr(not(feature = "embedded-judge"), ignore = "needs the embedded-judge feature")]
fn a_classifier_reproduces_a_real_judges_labels_better_than_the_majority() {
    // SmolLM2-135M labels the domain of 120 real texts (30 each: MATH problems, Moby-Dick,
    // speeches, spam; their first 200 characters): mechanics, not wisdom, but its labels follow
    // the text, so a classifier trained on them must reproduce them on held-out documents.
    let dir = tempfile::tempdir().unwrap();
    let texts = labelled_texts(30);
    let input = dir.path().join("docs.jsonl");
    let mut file = std::fs::File::create(&input).unwrap();
    for (i, (text, source, _)) in texts.iter().enumerate() {
        if *source != "code" {
            writeln!(file, "{}", serde_json::json!({ "id": format!("x{i}"), "text": text })).unwrap();
        }
    }
    let model = data_dir().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let labels = dir.path().join("labels");
    curate_ok(&[
        "annotate",
        "--input",
        input.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--dimension",
        "pretrain_domain",
        "--sample",
        "120",
        "--max-chars",
        "200",
        "--output",
        labels.to_str().unwrap(),
        "--cache",
        dir.path().join("verdicts.redb").to_str().unwrap(),
    ]);
    let out = curate_ok(&[
        "train-classifier",
        "--labels",
        labels.to_str().unwrap(),
        "--dimension",
        "pretrain_domain",
        "--holdout",
        "0.3",
        "--output",
        dir.path().join("domain.bin").to_str().unwrap(),
    ]);
    eprintln!("{out}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("domain.json")).unwrap()).unwrap();
    let held = &report["held_out"];
    let (accuracy, baseline) =
        (held["accuracy"].as_f64().unwrap(), held["majority_baseline"].as_f64().unwrap());
    // Measured: 0.933 on 30 held out against a majority baseline of 0.433 (the same texts by
    // hand with seeds 1, 2: 0.857 / 0.548, 0.800 / 0.425). The stated margin: 0.2 above the
    // majority label.
    assert!(accuracy >= baseline + 0.2, "{report}");
    assert_eq!(
        report["judge"]["judge"].as_str().unwrap().split(':').nth(1),
        Some("SmolLM2-135M-Instruct.Q4_1.gguf")
    );
}
