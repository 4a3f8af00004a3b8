//! Runs whose inputs and run directories live in an S3-compatible store: a real one, `moto` in
//! server mode on the loopback address (it pages listings at 1,000 keys and refuses multipart
//! parts under 5 MiB), with fixtures written and read by boto3, an S3 client independent of
//! curate. What a local run promises must hold on S3: the same outputs, resume after a kill
//! (on another machine: a fresh mirror), `curate sql` / `curate report` over it, requests
//! retried through throttling and server errors with nothing lost.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::common::*;

/// The moto virtual environment (`scripts/install-moto.sh`).
fn moto_venv() -> PathBuf {
    let base = std::env::var("CURATE_PY").unwrap_or_else(|_| format!("{}/.cache/curate-py", env!("HOME")));
    PathBuf::from(base).join("moto")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Waits until something answers HTTP on `port`.
fn wait_for(port: u16) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(30), "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A process killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A moto S3 server of its own, with its buckets `corpus` and `runs`.
struct Moto {
    _server: Server,
    port: u16,
}

impl Moto {
    fn start() -> Self {
        let port = free_port();
        let server = Command::new(moto_venv().join("bin/moto_server"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("moto_server (scripts/install-moto.sh installs it)");
        wait_for(port);
        let moto = Self { _server: Server(server), port };
        moto.fixture(&["make-bucket", "corpus"]);
        moto.fixture(&["make-bucket", "runs"]);
        moto
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs `scripts/s3-fixture.py` against this server; its stdout.
    fn fixture(&self, args: &[&str]) -> String {
        let out = Command::new(moto_venv().join("bin/python"))
            .arg(repo_path("scripts/s3-fixture.py"))
            .arg(self.endpoint())
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "s3-fixture {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// `(key, size, etag)` of the objects under `prefix` of `bucket`.
    fn list(&self, bucket: &str, prefix: &str) -> Vec<(String, u64, String)> {
        self.fixture(&["list", bucket, prefix])
            .lines()
            .map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                (f[0].to_string(), f[1].parse().unwrap(), f[2].to_string())
            })
            .collect()
    }

    /// A `curate` command that talks to `endpoint` with a mirror cache of its own (`cache`).
    fn curate(&self, endpoint: &str, cache: &Path, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_curate"));
        command
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ALLOW_HTTP", "true")
            .env("CURATE_S3_CACHE", cache);
        command
    }

    /// The sorted ids the run at `run` (`s3://...`) kept, read with `curate sql` through a
    /// fresh mirror (`cache`).
    fn kept_ids(&self, cache: &Path, run: &str) -> Vec<String> {
        self.curate_ok(cache, &["sql", run, "SELECT id FROM kept ORDER BY id", "--format", "csv"])
            .lines()
            .skip(1)
            .map(String::from)
            .collect()
    }

    fn curate_ok(&self, cache: &Path, args: &[&str]) -> String {
        succeeded(self.curate(&self.endpoint(), cache, args).output().unwrap(), args)
    }
}

/// The real English sample's lines dealt round-robin into `n` local JSONL files under `dir`,
/// named as the fixture names the objects it uploads from the same file.
fn split_locally(source: &Path, n: usize, dir: &Path) {
    let text = std::fs::read(source).unwrap();
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        let part: Vec<u8> = lines.iter().skip(i).step_by(n).flat_map(|l| l.iter().copied()).collect();
        std::fs::write(dir.join(format!("part-{i:05}.jsonl")), part).unwrap();
    }
}

fn sample_english() -> PathBuf {
    data_dir().join("sample/english.jsonl")
}

/// The sorted ids of a run's `kept` table.
fn kept_ids(run: &Path) -> Vec<String> {
    sql(run, "SELECT id FROM kept ORDER BY id").into_iter().map(|r| r[0].clone()).collect()
}

#[test]
fn a_run_on_s3_lists_1000_plus_objects_once_resumes_after_a_kill_and_equals_a_local_run() {
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let english = sample_english();
    let english = english.to_str().unwrap();
    // More objects than one listing page holds: listed once, into the plan.
    moto.fixture(&["put-lines", "corpus", "many", "1050", english]);
    assert_eq!(moto.list("corpus", "many/").len(), 1_050);
    let out = moto.curate_ok(
        &work.path().join("cache-plan"),
        &["plan", "--stage", "pretrain", "--input", "s3://corpus/many/", "--output", "s3://runs/plan/"],
    );
    assert!(out.contains("(1050 shards)"), "{out}");
    let plan = work.path().join("plan.json");
    moto.fixture(&["get", "runs", "plan/plan.json", plan.to_str().unwrap()]);
    let plan: serde_json::Value = serde_json::from_slice(&std::fs::read(&plan).unwrap()).unwrap();
    let names: Vec<&str> =
        plan["tasks"].as_array().unwrap().iter().map(|t| t["input"]["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 1_050);
    assert_eq!(
        (names[0], names[1_049]),
        ("s3://corpus/many/part-00000.jsonl", "s3://corpus/many/part-01049.jsonl")
    );

    // A glob whose literal part ends inside a file name lists that folder once.
    let out = moto.curate_ok(
        &work.path().join("cache-plan"),
        &[
            "plan",
            "--stage",
            "pretrain",
            "--input",
            "s3://corpus/many/part-0104[0-4].jsonl",
            "--output",
            "s3://runs/glob/",
        ],
    );
    assert!(out.contains("(5 shards)"), "{out}");

    let parts = 60;
    let local_parts = work.path().join("parts");
    split_locally(&sample_english(), parts, &local_parts);
    moto.fixture(&["put-lines", "corpus", "few", &parts.to_string(), english]);

    // The same work on local files: the reference.
    let local_run = work.path().join("local");
    let local_input = local_parts.to_str().unwrap();
    curate_ok(&stage_args(
        "pretrain",
        local_input,
        local_run.to_str().unwrap(),
        &["--no-report", "--threads", "2"],
    ));

    // On S3, killed once some tasks are done, then resumed from another machine's point of
    // view (a fresh mirror).
    let args = stage_args("pretrain", "s3://corpus/few/", "s3://runs/a/", &["--no-report", "--threads", "2"]);
    let first_cache = work.path().join("cache-1");
    let mut first = moto.curate(&moto.endpoint(), &first_cache, &args).spawn().unwrap();
    let start = Instant::now();
    loop {
        let done = moto.list("runs", "a/done/").len();
        if done >= 8 {
            break;
        }
        assert!(first.try_wait().unwrap().is_none(), "the run ended before it could be killed");
        assert!(start.elapsed() < Duration::from_secs(300), "no task finished on S3");
        std::thread::sleep(Duration::from_millis(200));
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let markers_before = moto.list("runs", "a/done/").len();
    assert!(markers_before < parts, "killed mid-way: {markers_before} markers");

    let second_cache = work.path().join("cache-2");
    let out = moto.curate_ok(&second_cache, &args);
    assert!(out.contains("resumed"), "{out}");
    assert!(out.contains(": ok"), "conservation check: {out}");
    assert!(out.contains("explore: curate sql s3://runs/a "), "the run is named by its address: {out}");

    // `curate sql` on the S3 run (a third, fresh mirror) sees what the local run kept.
    let third_cache = work.path().join("cache-3");
    let query = |sql: &str| moto.curate_ok(&third_cache, &["sql", "s3://runs/a", sql, "--format", "csv"]);
    let s3_ids = moto.kept_ids(&third_cache, "s3://runs/a");
    let local_ids = kept_ids(&local_run);
    assert!(local_ids.len() > 100, "{}", local_ids.len());
    assert_eq!(s3_ids, local_ids, "the S3 run keeps what the local run keeps");
    let rejected =
        |run: &str| query(&format!("SELECT step, rule, count(*) FROM {run} GROUP BY ALL ORDER BY ALL"));
    let local_rejected =
        sql(&local_run, "SELECT step, rule, count(*) FROM rejected GROUP BY ALL ORDER BY ALL");
    let s3_rejected: Vec<Vec<String>> =
        rejected("rejected").lines().skip(1).map(|l| l.split(',').map(String::from).collect()).collect();
    assert_eq!(s3_rejected, local_rejected);
    // Intermediates are gone from the store too once the run finished; the report is there.
    assert!(moto.list("runs", "a/pending/").is_empty());
    moto.curate_ok(&third_cache, &["report", "s3://runs/a"]);
    assert_eq!(moto.list("runs", "a/report.html").len(), 1);
}

#[test]
fn outputs_over_5_mib_are_uploaded_in_parts_and_requests_survive_throttling() {
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    // 20 MB of documents that compress badly (hex of hashes): a kept table of several parts.
    let big = work.path().join("big.jsonl");
    let mut text = String::new();
    for i in 0..20_000u64 {
        let words: Vec<String> = (0..60)
            .map(|j| format!("{:016x}", xxhash_rust::xxh3::xxh3_64(&(i * 1000 + j).to_le_bytes())))
            .collect();
        text.push_str(&serde_json::json!({"id": format!("d{i}"), "text": words.join(" ")}).to_string());
        text.push('\n');
    }
    std::fs::write(&big, &text).unwrap();
    moto.fixture(&["put", "corpus", "big/big.jsonl", big.to_str().unwrap()]);
    let config = work.path().join("exact.toml");
    std::fs::write(&config, "[[steps]]\nfilter = \"exact_dedup\"\n").unwrap();
    let config = config.to_str().unwrap();
    let cache = work.path().join("cache");
    moto.curate_ok(
        &cache,
        &[
            "--stage",
            "pretrain",
            "--config",
            config,
            "--input",
            "s3://corpus/big/",
            "--output",
            "s3://runs/big/",
            "--no-report",
        ],
    );
    let kept = moto.list("runs", "big/kept/");
    assert_eq!(kept.len(), 1);
    let (_, size, etag) = &kept[0];
    assert!(*size > curate_sources::s3::PART as u64, "kept is {size} bytes");
    // A multipart object's ETag ends with its number of parts.
    let parts: usize = etag.rsplit_once('-').map(|(_, n)| n.parse().unwrap()).unwrap_or(1);
    assert!(parts >= 2, "kept uploaded in {parts} part(s), ETag {etag}");
    // What the store holds reads back as the run's table.
    let fetched = work.path().join("kept.parquet");
    moto.fixture(&["get", "runs", &kept[0].0, fetched.to_str().unwrap()]);
    assert_eq!(curate_sources::writer::parquet_rows(&fetched).unwrap(), 20_000);

    // The same run through a proxy that throttles and fails one request in three: retried,
    // nothing lost, the same records kept.
    let proxy_port = free_port();
    let counts = work.path().join("injected.txt");
    let proxy = Command::new(moto_venv().join("bin/python"))
        .arg(repo_path("scripts/s3-flaky-proxy.py"))
        .args([&proxy_port.to_string(), &moto.port.to_string(), counts.to_str().unwrap()])
        .spawn()
        .unwrap();
    let proxy = Server(proxy);
    wait_for(proxy_port);
    let small = work.path().join("small");
    split_locally(&sample_english(), 12, &small);
    let small_input = small.to_str().unwrap();
    let local_run = work.path().join("local");
    curate_ok(&stage_args("pretrain", small_input, local_run.to_str().unwrap(), &["--no-report"]));
    moto.fixture(&["put-lines", "corpus", "small", "12", sample_english().to_str().unwrap()]);
    let flaky = format!("http://127.0.0.1:{proxy_port}");
    let args = stage_args("pretrain", "s3://corpus/small/", "s3://runs/flaky/", &["--no-report"]);
    let out = moto.curate(&flaky, &work.path().join("cache-flaky"), &args).output().unwrap();
    let summary = succeeded(out, &args);
    assert!(summary.contains(": ok"), "{summary}");
    terminate(&proxy.0);
    drop(proxy);
    let injected: Vec<u64> =
        std::fs::read_to_string(&counts).unwrap().split_whitespace().map(|n| n.parse().unwrap()).collect();
    assert!(injected[0] >= 10, "failures injected / requests: {injected:?}");
    assert_eq!(moto.kept_ids(&work.path().join("cache-check"), "s3://runs/flaky"), kept_ids(&local_run));
}

/// Sends SIGTERM to `child` and waits for it (the proxy writes its counts on SIGTERM).
fn terminate(child: &Child) {
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let start = Instant::now();
    while Command::new("kill").args(["-0", &child.id().to_string()]).output().unwrap().status.success() {
        if start.elapsed() > Duration::from_secs(10) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn errors_name_the_bucket_key_and_s3_code() {
    let moto = Moto::start();
    let cache = tempfile::tempdir().unwrap();
    let args = stage_args("pretrain", "s3://no-such-bucket/data/", "s3://runs/x/", &[]);
    let out = moto.curate(&moto.endpoint(), cache.path(), &args).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("s3://no-such-bucket/data"), "{stderr}");
    assert!(stderr.contains("NoSuchBucket"), "{stderr}");
    // Missing credentials: the message names the variables read.
    let mut command = moto.curate(&moto.endpoint(), cache.path(), &args);
    command.env_remove("AWS_ACCESS_KEY_ID").env_remove("AWS_SECRET_ACCESS_KEY");
    let out = command.env("AWS_EC2_METADATA_DISABLED", "true").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("AWS_ACCESS_KEY_ID") && stderr.contains("AWS_SECRET_ACCESS_KEY"), "{stderr}");
    // An endpoint that is not a URL is named with where it came from.
    let out = moto.curate("localhost:9", cache.path(), &args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("AWS_ENDPOINT_URL = `localhost:9`"), "{stderr}");
    // Plain HTTP only when asked.
    let mut command = moto.curate(&moto.endpoint(), cache.path(), &args);
    let out = command.env_remove("AWS_ALLOW_HTTP").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.to_lowercase().contains("http"), "{stderr}");
}

#[test]
fn a_slurm_run_uses_the_store_as_its_shared_disk() {
    let conf = std::env::var("SLURM_CONF").unwrap_or_default();
    assert!(
        !conf.is_empty() && Command::new("sinfo").arg("-h").output().is_ok_and(|o| o.status.success()),
        "this test needs a Slurm cluster: eval \"$(scripts/slurm-local.sh start)\" (scripts/test.sh does)"
    );
    let moto = Moto::start();
    let work = tempfile::tempdir().unwrap();
    let english = sample_english();
    moto.fixture(&["put-lines", "corpus", "sl", "6", english.to_str().unwrap()]);
    let local_parts = work.path().join("parts");
    split_locally(&english, 6, &local_parts);
    let local_run = work.path().join("local");
    curate_ok(&stage_args(
        "pretrain",
        local_parts.to_str().unwrap(),
        local_run.to_str().unwrap(),
        &["--no-report"],
    ));
    // Every task is its own process with the submitting host's mirror; the store is where the
    // phases meet.
    let mut args = vec!["submit", "slurm", "--mem", "1000"];
    args.extend(stage_args(
        "pretrain",
        "s3://corpus/sl/",
        "s3://runs/sl/",
        &["--no-report", "--keep-intermediates"],
    ));
    let submitted = moto.curate_ok(&work.path().join("cache-submit"), &args);
    assert!(submitted.contains("submitted filter tasks"), "{submitted}");
    let start = Instant::now();
    while moto.list("runs", "sl/done/finish.json").is_empty() {
        assert!(start.elapsed() < Duration::from_secs(300), "the Slurm run did not finish on S3 in 5 min");
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(moto.kept_ids(&work.path().join("cache-check"), "s3://runs/sl"), kept_ids(&local_run));

    // A task on a host of its own pulls only what its phase reads: control files always, the
    // pending records and clusters for apply, no one's outputs for a filter task.
    let files = |phase: &str| {
        let cache = work.path().join(format!("cache-{phase}"));
        moto.curate_ok(&cache, &["task", "--run", "s3://runs/sl", "--phase", phase, "--index", "0"]);
        let mut found = Vec::new();
        for entry in walk(&cache.join("runs/sl")) {
            found.push(entry);
        }
        found
    };
    let apply = files("apply");
    assert!(
        apply.iter().any(|f| f.starts_with("pending/")) && apply.contains(&"duplicates.parquet".to_string()),
        "{apply:?}"
    );
    assert!(
        apply.contains(&"plan.json".to_string()) && apply.iter().any(|f| f.starts_with("done/")),
        "{apply:?}"
    );
    assert!(!apply.iter().any(|f| f.starts_with("kept/") || f.starts_with("signatures/")), "{apply:?}");
    let filter = files("filter");
    assert!(filter.contains(&"plan.json".to_string()), "{filter:?}");
    assert!(
        !filter
            .iter()
            .any(|f| ["kept/", "pending/", "bands/", "signatures/"].iter().any(|d| f.starts_with(d))),
        "{filter:?}"
    );
}

/// The files under `root`, as paths relative to it.
fn walk(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out
}
