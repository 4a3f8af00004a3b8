//! `curate mix`: Qwen3's pretraining stages from real curated runs (tokens counted by a real
//! GGUF tokenizer, domains and a quality from the `classifier` step), with token targets met
//! within 1%, shares per domain and language, upsampling recorded as epochs, a curriculum
//! order, shards of a chosen size, and the same shards from the same seed.

use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::common::*;

/// Real texts with their domain and a 0–2 quality, as in the annotate tests: MATH problems,
/// HumanEval prompts, Moby-Dick, speeches, spam.
fn sources() -> Vec<(String, &'static str, &'static str)> {
    texts_by_source(80)
        .into_iter()
        .map(|(text, source)| match source {
            "fiction" => (text, "fiction", "1"),
            "speech" => (text, "news", "1"),
            "spam" => (text, "other", "0"),
            other => (text, other, "2"),
        })
        .collect()
}

/// Trains the two classifiers on the sources' labels; returns their model files.
fn classifiers(dir: &Path, texts: &[(String, &str, &str)]) -> (PathBuf, PathBuf) {
    let n = texts.len();
    let mut df = DataFrame::new(
        n,
        vec![
            Column::new("id".into(), (0..n).map(|i| format!("d{i}")).collect::<Vec<_>>()),
            Column::new("text".into(), texts.iter().map(|t| t.0.as_str()).collect::<Vec<_>>()),
            Column::new("pretrain_domain".into(), texts.iter().map(|t| t.1).collect::<Vec<_>>()),
            Column::new("teaching".into(), texts.iter().map(|t| t.2).collect::<Vec<_>>()),
        ],
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(dir.join("labels.parquet")).unwrap()).finish(&mut df).unwrap();
    let train = |dimension: &str| {
        let model = dir.join(format!("{dimension}.bin"));
        curate_ok(&[
            "train-classifier",
            "--labels",
            dir.to_str().unwrap(),
            "--dimension",
            dimension,
            "--output",
            model.to_str().unwrap(),
        ]);
        model
    };
    (train("pretrain_domain"), train("teaching"))
}

/// A pretrain run of `texts` with tokens counted and both classifiers applied.
fn curated_run(dir: &Path, name: &str, texts: &[&String], models: &(PathBuf, PathBuf)) -> PathBuf {
    let input = dir.join(format!("{name}.jsonl"));
    let mut file = std::fs::File::create(&input).unwrap();
    for (i, text) in texts.iter().enumerate() {
        writeln!(file, "{}", serde_json::json!({ "id": format!("{name}-{i}"), "text": text })).unwrap();
    }
    let config = dir.join(format!("{name}.toml"));
    std::fs::write(
        &config,
        format!(
            "[[steps]]\nfilter = \"language_id\"\n\n\
             [[steps]]\nname = \"domain\"\nfilter = \"classifier\"\nmodel = \"{}\"\ndimension = \"pretrain_domain\"\n\n\
             [[steps]]\nname = \"teaching\"\nfilter = \"classifier\"\nmodel = \"{}\"\ndimension = \"teaching\"\n",
            models.0.display(),
            models.1.display()
        ),
    )
    .unwrap();
    let run = dir.join(name);
    let tokenizer = data_dir().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    curate_ok(&stage_args(
        "pretrain",
        input.to_str().unwrap(),
        run.to_str().unwrap(),
        &["--config", config.to_str().unwrap(), "--tokenizer", tokenizer.to_str().unwrap()],
    ));
    run
}

/// Rows of a Parquet file or folder through `curate sql`-free polars.
fn frame(path: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap()).finish().unwrap()
}

#[test]
#[cfg_attr(not(feature = "embedded-judge"), ignore = "needs the embedded-judge feature")]
fn stages_meet_their_token_targets_and_shares_from_real_runs() {
    let dir = tempfile::tempdir().unwrap();
    let texts = sources();
    let models = classifiers(dir.path(), &texts);
    // Two runs: the problems and code in one, the prose in the other.
    let (technical, prose): (Vec<_>, Vec<_>) = texts.iter().partition(|t| t.1 == "math" || t.1 == "code");
    let runs = [
        curated_run(dir.path(), "technical", &technical.iter().map(|t| &t.0).collect::<Vec<_>>(), &models),
        curated_run(dir.path(), "prose", &prose.iter().map(|t| &t.0).collect::<Vec<_>>(), &models),
    ];
    let pool_tokens: u64 = runs.iter().map(|r| sql_count(r, "select sum(tokens) from kept")).sum();
    // Each run's manifest counts its kept tokens per classifier label (the domains).
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(runs[0].join("manifest.json")).unwrap()).unwrap();
    let labels = &manifest["tokens"]["labels"];
    let labelled: u64 = labels
        .as_object()
        .unwrap()
        .iter()
        .filter(|(l, _)| l.starts_with("pretrain_domain:"))
        .map(|(_, f)| f["kept"]["tokens"].as_u64().unwrap())
        .sum();
    assert_eq!(labelled, sql_count(&runs[0], "select sum(tokens) from kept"));
    let math_tokens = sql_count(
        &runs[0],
        "select sum(k.tokens) from kept k join decisions d using (id) where d.rule = 'pretrain_domain:math'",
    );
    let long_tokens: u64 = runs
        .iter()
        .map(|r| sql_count(r, "select coalesce(sum(tokens), 0) from kept where tokens >= 4000"))
        .sum();
    let other_languages: u64 = runs
        .iter()
        .map(|r| sql_count(r, "select coalesce(sum(tokens), 0) from kept where language <> 'en'"))
        .sum();
    eprintln!("pool {pool_tokens} tokens, math {math_tokens}, long {long_tokens}");
    assert!(math_tokens > 3000 && long_tokens > 20_000, "{math_tokens} {long_tokens}");

    // S2 asks for math at twice what the runs have: upsampled, two epochs. S1 asks English
    // for all but what the other languages have (once each).
    let s2 = 20 * math_tokens / 3;
    let s1 = pool_tokens / 2;
    let en = 1.0 - other_languages as f64 / s1 as f64;
    let config = dir.path().join("mix.toml");
    std::fs::write(
        &config,
        format!(
            "seed = 7\nshard_tokens = 20000\nquality = \"teaching\"\n\n\
             [s1]\ntokens = {s1}\nlanguages = {{ en = {en} }}\n\n\
             [s2]\ntokens = {s2}\ndomains = {{ math = \"30%\", code = \"20%\" }}\nmin_quality = 0.5\ncurriculum = \"teaching\"\n\n\
             [s3]\ntokens = {s3}\nmin_tokens = 4000\n",
            s3 = long_tokens * 3 / 2,
        ),
    )
    .unwrap();
    let out = dir.path().join("mix");
    let mix = |out: &Path| {
        curate_ok(&[
            "mix",
            "--config",
            config.to_str().unwrap(),
            "--run",
            runs[0].to_str().unwrap(),
            "--run",
            runs[1].to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ])
    };
    let printed = mix(&out);
    eprintln!("{printed}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("mix.json")).unwrap()).unwrap();
    for stage in ["s1", "s2", "s3"] {
        let s = &report["stages"][stage];
        let (target, got) = (s["target_tokens"].as_f64().unwrap(), s["selected_tokens"].as_f64().unwrap());
        assert!((got - target).abs() / target <= 0.01, "{stage}: {got} of {target}");
        for b in s["buckets"].as_array().unwrap() {
            let (t, g) = (b["target_tokens"].as_f64().unwrap(), b["selected_tokens"].as_f64().unwrap());
            assert!((g - t).abs() / t <= 0.01, "{stage} {b}");
        }
        // The shards hold what the report says, and what the stage selected.
        let mut tokens = 0;
        for shard in s["shards"].as_array().unwrap() {
            let df = frame(&out.join(shard["file"].as_str().unwrap()));
            let sum: u64 = df.column("tokens").unwrap().u64().unwrap().sum().unwrap();
            assert_eq!(sum, shard["tokens"].as_u64().unwrap());
            assert_eq!(df.height() as u64, shard["documents"].as_u64().unwrap());
            tokens += sum;
        }
        assert_eq!(tokens, s["selected_tokens"].as_u64().unwrap());
        // Shards of about 20,000 tokens: all but the last at least that.
        let shards = s["shards"].as_array().unwrap();
        assert!(shards[..shards.len() - 1].iter().all(|sh| sh["tokens"].as_u64().unwrap() >= 20_000));
    }
    // Per run: what each stage took of it, in epochs; S3's long documents are all prose.
    let s3_sources = report["stages"]["s3"]["sources"].as_array().unwrap();
    assert_eq!(s3_sources.len(), 2);
    let taken: u64 = s3_sources.iter().map(|s| s["selected_tokens"].as_u64().unwrap()).sum();
    assert_eq!(taken, report["stages"]["s3"]["selected_tokens"].as_u64().unwrap());
    let s2b = &report["stages"]["s2"]["buckets"];
    let math = s2b.as_array().unwrap().iter().find(|b| b["name"] == "math").unwrap();
    assert!((math["epochs"].as_f64().unwrap() - 2.0).abs() < 0.05, "{math}");
    // S2: quality at least 0.5 (spam left out), easiest first.
    let mut quality = std::collections::HashMap::new();
    for run in &runs {
        for row in sql(run, "select id, score from decisions where rule = 'teaching'") {
            quality.insert(row[0].clone(), row[1].parse::<f64>().unwrap());
        }
    }
    let mut previous = f64::MIN;
    for shard in report["stages"]["s2"]["shards"].as_array().unwrap() {
        let df = frame(&out.join(shard["file"].as_str().unwrap()));
        let ids = df.column("id").unwrap().str().unwrap().clone();
        for i in 0..df.height() {
            let q = quality[ids.get(i).unwrap()];
            assert!(q >= 0.5 && q >= previous, "{q} after {previous}");
            previous = q;
        }
    }
    let assignments = frame(&out.join("assignments.parquet"));
    assert_eq!(
        assignments.height() as u64,
        ["s1", "s2", "s3"]
            .iter()
            .map(|s| report["stages"][s]["selected_documents"].as_u64().unwrap())
            .sum::<u64>()
    );
    // S3: only documents of at least 4,000 tokens.
    for shard in report["stages"]["s3"]["shards"].as_array().unwrap() {
        let df = frame(&out.join(shard["file"].as_str().unwrap()));
        let tokens = df.column("tokens").unwrap().u64().unwrap().clone();
        assert!((0..df.height()).all(|i| tokens.get(i).unwrap() >= 4000));
    }
    // S1: English at its share, the other languages once.
    let s1_buckets = &report["stages"]["s1"]["buckets"];
    let english = s1_buckets.as_array().unwrap().iter().find(|b| b["name"] == "en").unwrap();
    assert_eq!(english["target_tokens"].as_u64().unwrap(), (en * s1 as f64).round() as u64);
    let others = s1_buckets.as_array().unwrap().iter().find(|b| b["name"] == "other languages").unwrap();
    assert!((others["epochs"].as_f64().unwrap() - 1.0).abs() < 0.01, "{others}");

    // The same seed: the same shards, byte for byte; another seed: another draw.
    let again = dir.path().join("again");
    mix(&again);
    for stage in ["s1", "s2", "s3"] {
        for shard in report["stages"][stage]["shards"].as_array().unwrap() {
            let file = shard["file"].as_str().unwrap();
            assert_eq!(
                std::fs::read(out.join(file)).unwrap(),
                std::fs::read(again.join(file)).unwrap(),
                "{file}"
            );
        }
    }
}

#[test]
fn mix_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, "{\"id\": \"a\", \"text\": \"The quick brown fox jumps over the lazy dog.\"}\n")
        .unwrap();
    let run = dir.path().join("run");
    curate_ok(&stage_args("pretrain", input.to_str().unwrap(), run.to_str().unwrap(), &[]));
    let config = dir.path().join("mix.toml");
    std::fs::write(&config, "[s1]\ntokens = 100\n").unwrap();
    let out = curate(&[
        "mix",
        "--config",
        config.to_str().unwrap(),
        "--run",
        run.to_str().unwrap(),
        "--output",
        dir.path().join("m").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("--tokenizer"), "{stderr}");
    std::fs::write(&config, "[s2]\ntokens = 100\ndomains = { math = \"80%\", code = \"30%\" }\n").unwrap();
    let out = curate(&[
        "mix",
        "--config",
        config.to_str().unwrap(),
        "--run",
        run.to_str().unwrap(),
        "--output",
        dir.path().join("m").to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("110.0%"), "{stderr}");
}
