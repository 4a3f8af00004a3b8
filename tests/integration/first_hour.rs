//! What a new user meets first, through the real binary on real text: a wrong text field,
//! progress in a log file, Hugging Face dataset folders written by the real `datasets` library,
//! a config that changes one step, exports, what a finished run leaves on disk.

use std::path::{Path, PathBuf};

use crate::common::*;

/// Real documents with their text under `content`, as many corpora have it.
fn content_corpus(dir: &Path, n: usize) -> PathBuf {
    let path = dir.join("content.jsonl");
    let mut out = String::new();
    for (i, t) in stdlib_texts("sotu", n).into_iter().enumerate() {
        out.push_str(&format!(
            "{}\n",
            serde_json::json!({"id": format!("sotu-{i}"), "content": t, "year": 1790 + i})
        ));
    }
    std::fs::write(&path, out).unwrap();
    path
}

#[test]
fn a_wrong_text_field_fails_at_once_and_text_field_fixes_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = content_corpus(dir.path(), 40);
    let run = dir.path().join("run");
    let args = ["--stage", "pretrain", "--input", input.to_str().unwrap(), "--output", run.to_str().unwrap()];
    let out = curate(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a run that can read no text succeeded");
    assert!(err.contains("text field `text`") && err.contains("--text-field content"), "{err}");
    assert!(err.contains("content.jsonl:1") && err.contains("fields present: content, id, year"), "{err}");
    assert!(!run.join("plan.json").exists(), "nothing written");

    let mut fixed = args.to_vec();
    fixed.extend(["--text-field", "content"]);
    let ok = curate_ok(&fixed);
    assert!(ok.contains("quarantined 0 "), "{ok}");
    assert_eq!(
        sql_count(&run, "select count(*) from kept") + sql_count(&run, "select count(*) from rejected"),
        40
    );
    // The other fields are kept in meta, and exported as JSON, not as a string of JSON.
    let json = curate_ok(&[
        "sql",
        run.to_str().unwrap(),
        "select id, meta from kept order by id limit 1",
        "--format",
        "json",
    ]);
    let row: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert!(row["meta"]["year"].is_number(), "{row}");
}

#[test]
fn progress_is_logged_when_stderr_is_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = content_corpus(dir.path(), 300);
    let run = dir.path().join("run");
    let log = std::fs::File::create(dir.path().join("log.jsonl")).unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_curate"))
        .args(["--stage", "pretrain", "--text-field", "content", "--threads", "1", "--log-format", "json"])
        .args([
            "--log-interval",
            "0.2",
            "--input",
            input.to_str().unwrap(),
            "--output",
            run.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    let reports: Vec<serde_json::Value> =
        text.lines().filter(|l| l.starts_with('{')).map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!reports.is_empty(), "no progress in {text}");
    let size = std::fs::metadata(&input).unwrap().len();
    for r in &reports {
        assert_eq!(r["bytes_total"], size);
        assert!(r["bytes_done"].as_u64().unwrap() <= size, "{r}");
    }
    // Work done only grows.
    let done: Vec<u64> = reports.iter().map(|r| r["bytes_done"].as_u64().unwrap()).collect();
    assert!(done.windows(2).all(|w| w[0] <= w[1]), "{done:?}");
    assert!(text.lines().next().unwrap().contains("1 shard(s)"), "{text}");
}

#[test]
fn hugging_face_folders_are_read_as_their_metadata_says() {
    let data = data_dir();
    let dir = tempfile::tempdir().unwrap();
    // Where scripts/install-test-python.sh put `datasets`.
    let python = hf_python();
    let status = std::process::Command::new(&python)
        .arg(repo_path("scripts/build-hf-sample.py"))
        .args([data.to_str().unwrap(), dir.path().to_str().unwrap()])
        .status()
        .unwrap_or_else(|e| panic!("{python}: {e} (scripts/install-test-python.sh installs it)"));
    assert!(status.success());
    for (folder, how) in
        [("saved", "dataset_dict.json"), ("hub", "README.md configs"), ("named", "file names")]
    {
        let input = dir.path().join(folder);
        for (split, n) in [(None, 80), (Some("test"), 20)] {
            let run = dir.path().join(format!("run-{folder}-{}", split.unwrap_or("default")));
            let mut args =
                vec!["--stage", "pretrain", "--text-field", "content", "--input", input.to_str().unwrap()];
            args.extend(["--output", run.to_str().unwrap()]);
            if let Some(s) = split {
                args.extend(["--split", s]);
            }
            let out = curate(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{folder}: {err}");
            let want = split.unwrap_or("train");
            assert!(err.contains(&format!("reading split `{want}`")) && err.contains(how), "{folder}: {err}");
            // Only that split's records, and no metadata file read as data.
            let all = sql_count(&run, "select (select count(*) from kept) + (select count(*) from rejected) + (select count(*) from quarantine)");
            assert_eq!(all, n, "{folder} {want}");
            assert_eq!(
                sql_count(&run, &format!("select count(*) from decisions where id not like '{want}-%'")),
                0
            );
            assert_eq!(sql_count(&run, "select count(*) from quarantine"), 0, "{folder}");
        }
        let out = curate(&[
            "--stage",
            "pretrain",
            "--input",
            input.to_str().unwrap(),
            "--split",
            "nope",
            "--output",
            dir.path().join("x").to_str().unwrap(),
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("no split `nope`") && err.contains("test"), "{err}");
    }
}

#[test]
fn a_step_table_changes_one_option_and_a_finished_run_is_tidy() {
    let dir = tempfile::tempdir().unwrap();
    let input = content_corpus(dir.path(), 60);
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[fields]\ntext = \"content\"\n\n[steps.gopher_quality]\nmin_words = 5000\n")
        .unwrap();
    let run = dir.path().join("run");
    let out = curate_ok(&[
        "--stage",
        "pretrain",
        "--config",
        config.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        run.to_str().unwrap(),
    ]);
    // Every preset step ran, with the changed threshold.
    let steps = sql(&run, "select distinct step from decisions order by 1");
    let names: Vec<&str> = steps.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["exact_dedup", "gopher_quality", "gopher_repetition", "language_id", "minhash_dedup"]);
    let below = sql_count(
        &run,
        "select count(*) from decisions where rule = 'word_count_min' and threshold = 5000 and not kept",
    );
    assert!(below > 0, "{out}");
    // A finished run keeps its outputs and no intermediates.
    for gone in ["pending", "signatures", "bands", "tmp", "duplicates.parquet"] {
        assert!(!run.join(gone).exists(), "{gone}");
    }
    for kept in ["kept", "rejected", "decisions", "quarantine", "manifest.json", "plan.json", "done"] {
        assert!(run.join(kept).exists(), "{kept}");
    }
    // Exports through DuckDB's json extension, built in (no download).
    let export = dir.path().join("kept.jsonl");
    curate_ok(&[
        "sql",
        run.to_str().unwrap(),
        &format!("copy (select id from kept) to '{}' (format json)", export.display()),
    ]);
    let lines = std::fs::read_to_string(&export).unwrap();
    assert_eq!(lines.lines().count() as u64, sql_count(&run, "select count(*) from kept"));
    // An empty result still shows its columns; long texts are cut in tables.
    let empty = curate_ok(&["sql", run.to_str().unwrap(), "select id, text from kept where false"]);
    assert!(empty.contains("| id") && empty.contains("(0 rows)"), "{empty}");
    let table = curate_ok(&["sql", run.to_str().unwrap(), "select text from kept limit 1"]);
    assert!(table.lines().all(|l| l.chars().count() < 200), "{table}");
}

#[test]
fn repeated_ids_are_named_and_a_duplicate_names_the_line_it_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let speeches = stdlib_texts("sotu", 30);
    // Five records share the id `x`; line 12 repeats line 2's speech word for word.
    let mut lines = Vec::new();
    for (i, t) in speeches.iter().enumerate().take(20) {
        let id = if i < 5 { "x".to_string() } else { format!("s{i}") };
        lines.push(serde_json::json!({"id": id, "text": t}).to_string());
    }
    lines[11] = serde_json::json!({"id": "copy", "text": speeches[1]}).to_string();
    let input = dir.path().join("ids.jsonl");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let run = dir.path().join("run");
    let out = curate_ok(&[
        "--stage",
        "pretrain",
        "--input",
        input.to_str().unwrap(),
        "--output",
        run.to_str().unwrap(),
    ]);
    assert!(out.contains("note: 1 ids are carried by several records (`x` by 5)"), "{out}");
    let dup = sql(&run, "select duplicate_of, reason from rejected where id = 'copy'");
    assert_eq!(dup.len(), 1, "{dup:?}");
    assert_eq!(dup[0][0], "x");
    assert!(dup[0][1].contains(&format!("{}:2)", input.display())), "names the line: {dup:?}");
    // Per step, CPU seconds never exceed wall seconds (thread CPU clocks, not wall time).
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    let steps = manifest["counts"]["steps"].as_array().unwrap();
    assert!(!steps.is_empty());
    for s in steps {
        let (cpu, wall) = (s["seconds"].as_f64().unwrap(), s["wall_seconds"].as_f64().unwrap());
        assert!(cpu > 0.0 && cpu <= wall + 1e-3, "{s}");
    }
}
