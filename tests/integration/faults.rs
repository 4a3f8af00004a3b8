//! Faults that once gave wrong outputs or hangs: an http(s) input whose server stalls
//! mid-body, two processes on one run directory, an input edited between a kill and a resume,
//! a dangling symlink among real shards. (Command rules that answer out of step or stop reading
//! are in `rules.rs`.)

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// Real documents as JSONL: State of the Union speeches, Moby-Dick chapters, SpamAssassin mail.
fn corpus(per_source: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for source in ["sotu", "moby-dick", "spam-assassin"] {
        for (i, t) in stdlib_texts(source, per_source).into_iter().enumerate() {
            out.extend(
                format!("{}\n", serde_json::json!({"id": format!("{source}-{i}"), "text": t})).into_bytes(),
            );
        }
    }
    out
}

fn pretrain(inputs: &[&str], run: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_curate"));
    cmd.args(["--stage", "pretrain", "--output", run.to_str().unwrap()])
        .args(extra)
        .arg("--input")
        .args(inputs);
    cmd
}

/// Waits until `path` exists (at most a minute).
fn wait_for(path: &Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Answers HEAD at once; a GET gets the headers for the whole `body` and its first half, then
/// nothing for ten minutes (the connection stays open).
fn stalling_server(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let body = body.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
                let _ = stream.write_all(head.as_bytes());
                if buf[..n].starts_with(b"GET") {
                    let _ = stream.write_all(&body[..body.len() / 2]);
                    let _ = stream.flush();
                    std::thread::sleep(Duration::from_secs(600));
                }
            });
        }
    });
    format!("http://{addr}/stalls.jsonl")
}

#[test]
fn a_stalled_http_input_is_quarantined_at_the_stall_limit() {
    let dir = tempfile::tempdir().unwrap();
    let body = corpus(20);
    let url = stalling_server(body.clone());
    let local = dir.path().join("local.jsonl");
    std::fs::write(&local, &body).unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[run]\nhttp_stall_seconds = 2\n").unwrap();
    let run = dir.path().join("run");
    let start = Instant::now();
    let out = pretrain(&[local.to_str().unwrap(), &url], &run, &["--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(elapsed < Duration::from_secs(60), "{elapsed:?}");
    // The records that arrived before the stall are decided; the stall is one quarantine row.
    let from_url = format!("source_file = '{url}'");
    let decided = sql_count(
        &run,
        &format!("select (select count(*) from kept where {from_url}) + (select count(*) from rejected where {from_url})"),
    );
    assert!(decided > 0, "records before the stall");
    let rows = sql(&run, &format!("select error from quarantine where {from_url}"));
    assert!(!rows.is_empty(), "the stall is quarantined");
    assert!(rows.iter().any(|r| r[0].contains("timed out") || r[0].contains("stalled")), "{rows:?}");
    // The local file was read whole.
    let local_name = local.to_str().unwrap();
    assert_eq!(
        sql_count(&run, &format!("select count(*) from quarantine where source_file = '{local_name}'")),
        0
    );
}

#[test]
fn a_second_process_on_a_run_directory_is_refused_and_the_first_finishes_alone() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("corpus.jsonl");
    std::fs::write(&input, corpus(400)).unwrap();
    let input = input.to_str().unwrap();

    let run = dir.path().join("run");
    let mut first = pretrain(&[input], &run, &["--threads", "1"]).stdout(Stdio::null()).spawn().unwrap();
    wait_for(&run.join("locks/run.lock"));
    std::thread::sleep(Duration::from_millis(200));
    let second = pretrain(&[input], &run, &["--threads", "1"]).output().unwrap();
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(!second.status.success(), "the second process ran");
    assert!(err.contains("in use by another curate process"), "{err}");
    assert!(err.contains(&format!("pid {}", first.id())), "{err}");
    assert!(first.wait().unwrap().success());

    // The first run's outputs are those of a lone run.
    let lone = dir.path().join("lone");
    assert!(pretrain(&[input], &lone, &["--threads", "1"]).output().unwrap().status.success());
    for table in ["kept", "rejected", "decisions"] {
        let q = format!("select * exclude (source_file) from {table} order by all");
        assert_eq!(sql(&run, &q), sql(&lone, &q), "{table}");
    }
    let check = curate_ok(&["sql", run.to_str().unwrap(), "select count(*) from kept"]);
    assert!(!check.is_empty());
}

#[test]
fn resuming_after_an_input_changed_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<PathBuf> = (0..3).map(|i| dir.path().join(format!("shard-{i}.jsonl"))).collect();
    let body = corpus(150);
    for p in &inputs {
        std::fs::write(p, &body).unwrap();
    }
    let names: Vec<&str> = inputs.iter().map(|p| p.to_str().unwrap()).collect();
    let run = dir.path().join("run");
    let mut child = pretrain(&names, &run, &["--threads", "1"]).stdout(Stdio::null()).spawn().unwrap();
    wait_for(&run.join("plan.json"));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!run.join("done/dedup.json").exists(), "the run was not interrupted");

    // The last shard is cut to half its lines, as an upstream job rewriting it would.
    let text = String::from_utf8(body).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&inputs[2], lines[..lines.len() / 2].join("\n") + "\n").unwrap();
    let out = pretrain(&names, &run, &[]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a resume over a changed input ran");
    assert!(err.contains("shard-2.jsonl") && err.contains("changed") && err.contains("size"), "{err}");
    assert!(err.contains("another") && err.contains("--output"), "says how to start over: {err}");
}

#[test]
fn a_dangling_symlink_among_real_shards_is_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let shards = dir.path().join("shards");
    std::fs::create_dir(&shards).unwrap();
    std::fs::write(shards.join("a.jsonl"), corpus(10)).unwrap();
    std::fs::write(shards.join("b.jsonl"), corpus(5)).unwrap();
    std::os::unix::fs::symlink(dir.path().join("moved-away.jsonl"), shards.join("c.jsonl")).unwrap();
    let run = dir.path().join("run");
    let out = pretrain(&[shards.to_str().unwrap()], &run, &[]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = sql(&run, "select source_file, error from quarantine");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(rows[0][0].ends_with("c.jsonl"), "{rows:?}");
    let error = &rows[0][1];
    assert_eq!(error.matches("No such file or directory").count(), 1, "said once: {error}");
    assert_eq!(sql_count(&run, "select count(distinct source_file) from decisions"), 2);
}
