//! End-to-end runs of `curate --stage pretrain` over real text mixed with every kind of
//! malformed input, checked through `curate sql`.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use crate::common::*;

/// Real documents: speeches, novel chapters, emails and sentences in several languages.
fn real_docs() -> Vec<serde_json::Value> {
    let mut docs = Vec::new();
    for (i, t) in stdlib_texts("sotu", 12).into_iter().enumerate() {
        docs.push(serde_json::json!({"id": format!("sotu-{i}"), "text": t, "origin": "sotu"}));
    }
    for (i, t) in stdlib_texts("moby-dick", 12).into_iter().enumerate() {
        docs.push(serde_json::json!({"id": format!("moby-{i}"), "text": t}));
    }
    for (i, t) in stdlib_texts("spam-assassin", 12).into_iter().enumerate() {
        docs.push(serde_json::json!({"id": format!("mail-{i}"), "text": t}));
    }
    for lang in ["german", "chinese", "thai", "russian", "french"] {
        let sentences = lines(&lingua_testdata(lang).join("sentences.txt"));
        for (i, chunk) in sentences.chunks(10).take(3).enumerate() {
            docs.push(serde_json::json!({"id": format!("{lang}-{i}"), "text": chunk.join(" ")}));
        }
    }
    docs
}

fn jsonl(docs: &[serde_json::Value]) -> Vec<u8> {
    docs.iter().flat_map(|d| format!("{d}\n").into_bytes()).collect()
}

/// Serves `body` at `/served.jsonl` (GET and HEAD) and 404 elsewhere, until the test ends.
fn serve(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let found =
                request.starts_with("GET /served.jsonl ") || request.starts_with("HEAD /served.jsonl ");
            let head = if found {
                format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())
            } else {
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
            };
            let _ = stream.write_all(head.as_bytes());
            if found && request.starts_with("GET") {
                let _ = stream.write_all(&body);
            }
        }
    });
    format!("http://{addr}")
}

struct Inputs {
    dir: tempfile::TempDir,
    args: Vec<String>,
    good_lines: usize,
}

fn write_inputs() -> Inputs {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let docs = real_docs();
    let good_lines = docs.len();

    // A plain file with real documents and one bad line of each kind, at known lines.
    let mut mixed = jsonl(&docs);
    mixed.extend_from_slice(b"{\"text\": \"unterminated\n"); // line n+1
    mixed.extend_from_slice(b"{\"id\": \"u\", \"text\": \"caf\xe9\"}\n"); // n+2: Latin-1, not UTF-8
    mixed.extend_from_slice(b"{\"id\": \"m\", \"body\": \"no text field\"}\n"); // n+3
    mixed.extend_from_slice(b"{\"id\": \"n\", \"text\": 42}\n"); // n+4
    mixed.extend_from_slice(b"[\"an\", \"array\"]\n"); // n+5
    mixed.extend_from_slice(b"\n   \n"); // blank lines: not records
    std::fs::write(p("mixed.jsonl"), &mixed).unwrap();

    // Compressed files: one whole, two cut short.
    let body = jsonl(&docs);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&body).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::write(p("whole.jsonl.gz"), &gz).unwrap();
    std::fs::write(p("truncated.jsonl.gz"), &gz[..gz.len() * 6 / 10]).unwrap();
    let zst = zstd::stream::encode_all(&body[..], 3).unwrap();
    std::fs::write(p("truncated.jsonl.zst"), &zst[..zst.len() * 6 / 10]).unwrap();

    // Not Parquet at all, under a Parquet name.
    std::fs::write(p("broken.parquet"), b"PAR1 this is not a parquet file").unwrap();

    let base = serve(body);
    let args = vec![
        p("mixed.jsonl").display().to_string(),
        p("whole.jsonl.gz").display().to_string(),
        p("truncated.jsonl.gz").display().to_string(),
        p("truncated.jsonl.zst").display().to_string(),
        p("broken.parquet").display().to_string(),
        format!("{base}/served.jsonl"),
        format!("{base}/gone.jsonl"),
        "http://127.0.0.1:9/unreachable.jsonl".to_string(),
    ];
    Inputs { dir, args, good_lines }
}

fn digest(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().map(|e| e.path()).collect();
    files.sort();
    files.into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect()
}

fn run_stage(inputs: &[String], run: &Path, extra: &[&str]) -> String {
    let mut args = vec!["--stage", "pretrain", "--output", run.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.push("--input");
    args.extend(inputs.iter().map(String::as_str));
    curate_ok(&args)
}

#[test]
fn every_record_is_kept_rejected_or_quarantined() {
    let inputs = write_inputs();
    let before = digest(inputs.dir.path());
    let out = tempfile::tempdir().unwrap();
    let run = out.path().join("run");
    let stdout = run_stage(&inputs.args, &run, &[]);

    // Inputs are never modified.
    assert_eq!(before, digest(inputs.dir.path()));

    // The conservation line, and the same numbers from the tables themselves.
    let kept = sql_count(&run, "select count(*) from kept");
    let rejected = sql_count(&run, "select count(*) from rejected");
    let quarantined = sql_count(&run, "select count(*) from quarantine");
    let input = kept + rejected + quarantined;
    assert!(
        stdout.contains(&format!(
            "check: input {input} = kept {kept} + rejected {rejected} + quarantined {quarantined}: ok"
        )),
        "{stdout}"
    );
    assert!(kept > 0 && rejected > 0, "{stdout}");

    // The mixed file: every good line is a record, every bad line a quarantine row that names
    // the file and the line.
    let n = inputs.good_lines;
    let mixed = |table: &str| {
        sql_count(&run, &format!("select count(*) from {table} where source_file like '%/mixed.jsonl'"))
    };
    assert_eq!(mixed("kept") + mixed("rejected"), n as u64);
    let rows =
        sql(&run, "select line, error from quarantine where source_file like '%/mixed.jsonl' order by line");
    let expect = [
        (n + 1, "line is not valid JSON"),
        (n + 2, "invalid UTF-8 at byte"),
        (n + 3, "field `text` is missing (fields present: body, id)"),
        (n + 4, "field `text` is a number, expected a string"),
        (n + 5, "line is JSON but not an object"),
    ];
    assert_eq!(rows.len(), expect.len(), "{rows:?}");
    for (row, (line, msg)) in rows.iter().zip(expect) {
        assert_eq!(row[0], line.to_string());
        // The file and line are their own columns; the error says what is wrong, so that
        // `group by error` counts records by cause.
        assert!(row[1].starts_with(msg), "{row:?}");
    }

    // Whole and served files give every record; truncated ones give a prefix and one row
    // saying where the stream broke.
    for name in ["whole.jsonl.gz", "served.jsonl"] {
        let got = sql_count(
            &run,
            &format!(
                "select (select count(*) from kept where source_file like '%{name}') + \
                 (select count(*) from rejected where source_file like '%{name}')"
            ),
        );
        assert_eq!(got, n as u64, "{name}");
    }
    for name in ["truncated.jsonl.gz", "truncated.jsonl.zst"] {
        let got = sql_count(
            &run,
            &format!(
                "select (select count(*) from kept where source_file like '%{name}') + \
                 (select count(*) from rejected where source_file like '%{name}')"
            ),
        );
        assert!(got > 0 && got < n as u64, "{name}: {got} of {n}");
        let errors = sql(&run, &format!("select error from quarantine where source_file like '%{name}'"));
        assert_eq!(errors.len(), 1, "{name}: {errors:?}");
        assert!(errors[0][0].contains("stream ends in error"), "{errors:?}");
    }
    let whole_file = |pattern: &str| {
        sql(&run, &format!("select line, error from quarantine where source_file like '%{pattern}'"))
    };
    let broken = whole_file("broken.parquet");
    assert_eq!(broken.len(), 1);
    assert!(broken[0][0] == "0" && broken[0][1].contains("unreadable Parquet"), "{broken:?}");
    let gone = whole_file("gone.jsonl");
    assert!(gone[0][1].contains("could not open") && gone[0][1].contains("404"), "{gone:?}");
    let unreachable = whole_file("unreachable.jsonl");
    assert!(unreachable[0][1].contains("could not open"), "{unreachable:?}");

    // Every rejection is explained by a failed decision of the same step and rule.
    let unexplained = sql_count(
        &run,
        "select count(*) from rejected r where not exists (select 1 from decisions d \
         where d.id = r.id and d.source_file = r.source_file and d.step = r.step and d.rule = r.rule and not d.kept)",
    );
    assert_eq!(unexplained, 0);
    // Every kept record passed every rule of all five steps (three filters, two dedup steps).
    assert!(sql_count(&run, "select count(*) from kept") > 0);
    let short = sql_count(
        &run,
        "select count(*) from kept k left join (select id, source_file, count(distinct step) as steps, \
         bool_and(kept) as passed from decisions group by all) d using (id, source_file) \
         where d.steps is distinct from 5 or not d.passed",
    );
    assert_eq!(short, 0, "a kept record without a passing decision of each of the five steps");
    // Language ID wrote the language of real sentences.
    let german = sql(
        &run,
        "select distinct language from kept where id like 'german-%' and source_file like '%mixed.jsonl'",
    );
    assert_eq!(german, [["de"]]);
    // Other fields of the input survive in `meta`.
    let meta = sql(&run, "select meta from kept where id = 'sotu-0' and source_file like '%mixed.jsonl'");
    assert_eq!(meta, [[r#"{"origin":"sotu"}"#]]);

    // The manifest counts what the tables hold.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["counts"]["input"], input);
    assert_eq!(manifest["counts"]["blank_lines"], 2);
    assert_eq!(manifest["inputs"].as_array().unwrap().len(), inputs.args.len());
}

#[test]
fn sql_formats_and_errors() {
    let inputs = write_inputs();
    let out = tempfile::tempdir().unwrap();
    let run = out.path().join("run");
    run_stage(&inputs.args[..1], &run, &[]);
    let r = run.to_str().unwrap();

    let table = curate_ok(&["sql", r, "select step, count(*) as n from rejected group by 1 order by 1"]);
    assert!(table.contains("| step") && table.contains("gopher_quality"), "{table}");
    let json = curate_ok(&[
        "sql",
        r,
        "select count(*) as n, max(language_score) <= 1 as ok from kept",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert!(v["n"].as_u64().unwrap() > 0 && v["ok"] == true, "{json}");

    let bad = curate(&["sql", r, "select nope from kept"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("Binder Error") && err.contains("nope"), "{err}");
    let bad = curate(&["sql", "/nonexistent/run", "select 1"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a curate run directory"));
}

#[test]
fn parquet_outputs_are_valid_inputs_and_runs_are_deterministic() {
    let inputs = write_inputs();
    let out = tempfile::tempdir().unwrap();
    let (a, b) = (out.path().join("a"), out.path().join("b"));
    let local: Vec<String> = inputs.args[..4].to_vec();
    run_stage(&local, &a, &["--threads", "1"]);
    run_stage(&local, &b, &["--threads", "2"]);
    let files = |run: &Path, table: &str| -> Vec<(String, Vec<u8>)> {
        digest(&run.join(table))
            .into_iter()
            .map(|(p, bytes)| (p.file_name().unwrap().to_string_lossy().to_string(), bytes))
            .collect()
    };
    for table in ["kept", "rejected", "quarantine", "decisions"] {
        let query = format!("select * from {table} order by all");
        let (rows_a, rows_b) = (sql(&a, &query), sql(&b, &query));
        let first_diff = rows_a.iter().zip(&rows_b).find(|(x, y)| x != y);
        assert!(rows_a == rows_b, "{table} differs between 1 and 2 threads: {first_diff:?}");
        assert_eq!(files(&a, table), files(&b, table), "{table} files differ between 1 and 2 threads");
    }

    // The kept Parquet of run `a` is the input of run `c`: the same filters keep all of it.
    let c = out.path().join("c");
    let kept_glob = format!("{}/kept/*.parquet", a.display());
    run_stage(&[kept_glob], &c, &[]);
    let kept_a = sql_count(&a, "select count(*) from kept");
    assert_eq!(sql_count(&c, "select count(*) from kept"), kept_a);
    assert_eq!(sql_count(&c, "select count(*) from quarantine"), 0);
    // Ids carry over, and columns other than id/text are kept in meta: run `c`'s meta holds run
    // `a`'s source line and language of the same record.
    let from_a = sql(&a, "select id, source_line::varchar, language from kept order by id");
    let from_c = sql(&c, "select id, meta->>'source_line', meta->>'language' from kept order by id");
    assert!(!from_a.is_empty());
    assert_eq!(from_c, from_a);
}

#[test]
fn interrupted_runs_resume_without_duplicates() {
    let inputs = write_inputs();
    let out = tempfile::tempdir().unwrap();
    let run = out.path().join("run");
    let local: Vec<String> = inputs.args[..4].to_vec();
    run_stage(&local, &run, &["--threads", "1", "--keep-intermediates"]);
    let kept = sql_count(&run, "select count(*) from kept");
    assert!(run.join("pending").is_dir() && run.join("duplicates.parquet").is_file());

    // Simulate a crash in the middle of the second task: no marker, a half-written temp file,
    // and a stale output.
    let done: Vec<PathBuf> = {
        let mut v: Vec<_> =
            std::fs::read_dir(run.join("done")).unwrap().flatten().map(|e| e.path()).collect();
        v.sort();
        v
    };
    let done: Vec<PathBuf> = done
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains(".final"))
        .filter(|p| p.is_file() && !p.ends_with("dedup.json") && !p.ends_with("finish.json"))
        .collect();
    assert_eq!(done.len(), 4);
    let task = done[1].file_stem().unwrap().to_string_lossy().to_string();
    std::fs::remove_file(&done[1]).unwrap();
    let kept_file = run.join("kept").join(format!("{task}.parquet"));
    std::fs::copy(&kept_file, run.join("kept").join(format!("{task}.parquet.tmp"))).unwrap();

    let stdout = run_stage(&local, &run, &[]);
    assert!(stdout.contains("4 shard(s) (3 resumed)"), "{stdout}");
    assert_eq!(sql_count(&run, "select count(*) from kept"), kept);
    assert_eq!(sql_count(&run, "select count(*) - count(distinct (source_file, id)) from kept"), 0);
    assert!(!run.join("kept").join(format!("{task}.parquet.tmp")).exists());
    // That rerun removed the intermediates at its end; a task redone after that redoes every
    // task (the dedup needs all signatures), with the same result.
    for gone in ["pending", "signatures", "bands", "tmp", "duplicates.parquet"] {
        assert!(!run.join(gone).exists(), "{gone} left after a finished run");
    }
    std::fs::remove_file(&done[1]).unwrap();
    let stdout = run_stage(&local, &run, &[]);
    assert!(stdout.contains("4 shard(s) (0 resumed)"), "{stdout}");
    assert_eq!(sql_count(&run, "select count(*) from kept"), kept);
    assert_eq!(sql_count(&run, "select count(*) - count(distinct (source_file, id)) from kept"), 0);

    // A real kill: start a run, kill it as soon as its first task is done, check that it was
    // cut short, rerun; the same records are kept as by the clean run.
    let killed = out.path().join("killed");
    let mut args =
        vec!["--stage", "pretrain", "--threads", "1", "--output", killed.to_str().unwrap(), "--input"];
    args.extend(local.iter().map(String::as_str));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_curate"))
        .args(&args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let markers = |run: &Path| -> Vec<String> {
        std::fs::read_dir(run.join("done"))
            .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().to_string()).collect())
            .unwrap_or_default()
    };
    let start = std::time::Instant::now();
    while markers(&killed).iter().all(|m| m.ends_with(".tmp")) && start.elapsed().as_secs() < 60 {
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the run finished before it was killed");
    let left = markers(&killed);
    assert!(!left.contains(&"dedup.json".to_string()), "the run was not interrupted: {left:?}");
    let resumed = run_stage(&local, &killed, &[]);
    assert!(resumed.contains("4 shard(s) (") && !resumed.contains("(4 resumed)"), "{resumed}");
    let ids = "select source_file, id from kept order by all";
    assert_eq!(sql(&killed, ids), sql(&run, ids));
    assert_eq!(sql_count(&killed, "select count(*) from kept"), kept);

    // Resuming with another configuration is refused.
    let cfg = out.path().join("other.toml");
    std::fs::write(&cfg, "[[steps]]\nfilter = \"gopher_quality\"\n").unwrap();
    let mut args = vec![
        "--stage",
        "pretrain",
        "--config",
        cfg.to_str().unwrap(),
        "--output",
        run.to_str().unwrap(),
        "--input",
    ];
    args.extend(local.iter().map(String::as_str));
    let refused = curate(&args);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("another configuration") && err.contains("steps there: language_id"), "{err}");
}

#[test]
fn bad_configs_fail_before_any_work() {
    let inputs = write_inputs();
    let out = tempfile::tempdir().unwrap();
    let cfg = out.path().join("bad.toml");
    std::fs::write(&cfg, "[[steps]]\nfilter = \"language_id\"\nkeep = [\"de\"]\nmin_confidnce = 0.9\n")
        .unwrap();
    let run = out.path().join("run");
    let result = curate(&[
        "--stage",
        "pretrain",
        "--config",
        cfg.to_str().unwrap(),
        "--output",
        run.to_str().unwrap(),
        "--input",
        &inputs.args[0],
    ]);
    assert!(!result.status.success());
    let err = String::from_utf8_lossy(&result.stderr);
    assert!(err.contains("bad.toml:4: step 1 (`language_id`)") && err.contains("min_confidnce"), "{err}");
    assert!(!run.exists(), "a bad config must fail before any work");

    std::fs::write(&cfg, "[run]\nthreads = \"all\"\n").unwrap();
    let err = curate(&["--stage", "pretrain", "--config", cfg.to_str().unwrap(), "--print-config"]);
    let err = String::from_utf8_lossy(&err.stderr);
    assert!(err.contains("line 2") && err.contains("threads"), "{err}");
}

#[test]
fn custom_fields_and_printed_config_round_trip() {
    let out = tempfile::tempdir().unwrap();
    let printed = curate_ok(&["--stage", "pretrain", "--print-config"]);
    assert!(
        printed.contains("filter = \"gopher_repetition\"") && printed.contains("min_words = 50"),
        "{printed}"
    );
    let text = printed.replace("text = \"text\"", "text = \"body\"");
    let cfg = out.path().join("c.toml");
    std::fs::write(&cfg, text).unwrap();

    let docs: Vec<String> =
        stdlib_texts("sotu", 3).into_iter().map(|t| serde_json::json!({"body": t}).to_string()).collect();
    let input = out.path().join("body.jsonl");
    std::fs::write(&input, docs.join("\n")).unwrap();
    let run = out.path().join("run");
    curate_ok(&[
        "--config",
        cfg.to_str().unwrap(),
        "--output",
        run.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
    ]);
    assert_eq!(sql_count(&run, "select count(*) from kept"), 3);
    // Records without an id get a stable one from their source and line.
    let ids = sql(&run, "select id from kept order by source_line");
    assert!(ids[0][0].ends_with("body.jsonl:1") && ids[2][0].ends_with("body.jsonl:3"), "{ids:?}");

    let stages = curate_ok(&["stages"]);
    assert!(
        stages.contains("pretrain") && stages.contains("language_id -> gopher_quality -> gopher_repetition"),
        "{stages}"
    );
}

#[test]
fn low_accuracy_language_id_runs() {
    // lingua's low accuracy mode starts rayon's global pool while the config is checked; the
    // run must not depend on owning that pool.
    let out = tempfile::tempdir().unwrap();
    let cfg = out.path().join("c.toml");
    std::fs::write(&cfg, "stage = \"pretrain\"\n[[steps]]\nfilter = \"language_id\"\nlow_accuracy = true\n")
        .unwrap();
    let input = out.path().join("in.jsonl");
    let docs: Vec<String> =
        stdlib_texts("sotu", 4).into_iter().map(|t| serde_json::json!({ "text": t }).to_string()).collect();
    std::fs::write(&input, docs.join("\n")).unwrap();
    let run = out.path().join("run");
    curate_ok(&[
        "--config",
        cfg.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--output",
        run.to_str().unwrap(),
    ]);
    assert_eq!(sql(&run, "select distinct language from kept"), [["en"]]);
}

#[test]
fn a_closed_output_pipe_ends_curate_quietly() {
    // `curate stages | head -0`: the reader is gone before curate writes.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_curate"))
        .arg("stages")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "{:?}: {stderr}", out.status);
}
