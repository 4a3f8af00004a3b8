//! Runs on a real Slurm cluster (`scripts/slurm-local.sh start`: slurmctld and three slurmd
//! nodes on this machine, MaxArraySize 5): the pretrain stage over seven shards of real text with
//! near-duplicates across shards, submitted with `curate submit slurm`, gives the local run's
//! outputs; a cancelled array element and a failed task are resubmitted alone.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::*;

/// Seven shards of State of the Union speeches and Moby-Dick chapters, with exact copies and
/// edited copies of documents placed in other shards than their originals.
fn shards(dir: &Path) -> Vec<String> {
    let mut docs = Vec::new();
    for (i, t) in stdlib_texts("sotu", 60).into_iter().enumerate() {
        docs.push((format!("sotu-{i}"), t));
    }
    for (i, t) in stdlib_texts("moby-dick", 40).into_iter().enumerate() {
        docs.push((format!("moby-{i}"), t));
    }
    let mut lines: Vec<String> =
        docs.iter().map(|(id, t)| serde_json::json!({"id": id, "text": t}).to_string()).collect();
    for (i, (id, text)) in docs.iter().enumerate().filter(|(i, _)| i % 4 == 0) {
        let copy = if i % 8 == 0 { text.clone() } else { crate::dedup::change_a_sentence(text) };
        lines.push(serde_json::json!({"id": format!("{id}-copy"), "text": copy}).to_string());
    }
    let mut paths = Vec::new();
    for shard in 0..7 {
        let path = dir.join(format!("shard-{shard}.jsonl"));
        let part: Vec<&str> =
            lines.iter().enumerate().filter(|(i, _)| i % 7 == shard).map(|(_, l)| l.as_str()).collect();
        std::fs::write(&path, part.join("\n") + "\n").unwrap();
        paths.push(path.to_string_lossy().into_owned());
    }
    paths
}

fn slurm_ready() {
    let conf = std::env::var("SLURM_CONF").unwrap_or_default();
    assert!(
        !conf.is_empty() && Command::new("sinfo").arg("-h").output().is_ok_and(|o| o.status.success()),
        "these tests need a Slurm cluster: eval \"$(scripts/slurm-local.sh start)\" (scripts/test.sh does)"
    );
}

/// The pretrain stage with `buckets` tasks in the buckets phase of its MinHash dedup.
fn config(dir: &Path, buckets: usize) -> String {
    let path = dir.join(format!("pretrain-{buckets}.toml"));
    std::fs::write(&path, format!("stage = \"pretrain\"\n[run]\ndedup_buckets = {buckets}\n")).unwrap();
    path.to_string_lossy().into_owned()
}

fn stage_args<'a>(config: &'a str, inputs: &'a [String], run: &'a str) -> Vec<&'a str> {
    let mut args = vec!["--config", config, "--output", run, "--input"];
    args.extend(inputs.iter().map(String::as_str));
    args
}

/// Waits until Slurm holds no job of the run's last submission.
fn wait_for_jobs(run: &Path) {
    let jobs: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(run.join("slurm/jobs.json")).unwrap()).unwrap();
    let ids: Vec<String> = jobs.iter().map(|j| j["job_id"].as_str().unwrap().to_string()).collect();
    let start = Instant::now();
    loop {
        let out = Command::new("squeue").args(["-h", "-o", "%F"]).output().unwrap();
        let queued = String::from_utf8_lossy(&out.stdout).to_string();
        if !queued.lines().any(|l| ids.contains(&l.trim().to_string())) {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(300), "jobs {ids:?} still queued after 5 min");
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn status(run: &Path) -> serde_json::Value {
    serde_json::from_str(&curate_ok(&["status", run.to_str().unwrap(), "--json"])).unwrap()
}

fn assert_finished(run: &Path) {
    let s = status(run);
    for phase in s.as_array().unwrap() {
        assert_eq!(phase["done"], phase["tasks"], "{s}");
    }
}

/// Every row of the run's tables, sorted, as text: what must not differ between executors.
fn outputs(run: &Path) -> Vec<Vec<String>> {
    let mut rows = sql(run, "select 'kept', id, hash(text)::varchar, language from kept");
    rows.extend(sql(
        run,
        "select 'rejected', id, step, rule, reason, coalesce(duplicate_of, '') from rejected",
    ));
    rows.extend(sql(
        run,
        "select 'decision', id, step, rule, coalesce(item, ''), coalesce(score::varchar, ''), kept::varchar from decisions",
    ));
    rows.extend(sql(run, "select 'quarantine', source_file, line::varchar, error from quarantine"));
    rows.sort();
    rows
}

/// How many times a task of the run started (each start appends a line to its log).
fn starts(run: &Path, phase: &str, index: usize) -> usize {
    std::fs::read_to_string(run.join(format!("logs/{phase}-{index}.log")))
        .map(|log| {
            log.lines().filter(|l| l.starts_with("curate task ") && l.contains(" started on ")).count()
        })
        .unwrap_or(0)
}

/// The local run, with one bucket: the Slurm runs use others, and must not differ.
fn local_run(dir: &Path, inputs: &[String]) -> PathBuf {
    let local = dir.join("local");
    let one = config(dir, 1);
    curate_ok(&stage_args(&one, inputs, local.to_str().unwrap()));
    local
}

#[test]
fn a_slurm_run_in_chunked_arrays_equals_the_local_run() {
    slurm_ready();
    let dir = tempfile::tempdir().unwrap();
    let inputs = shards(dir.path());
    let local = local_run(dir.path(), &inputs);
    assert!(
        sql_count(
            &local,
            "select count(*) from rejected where step = 'minhash_dedup' or step = 'exact_dedup'"
        ) >= 15,
        "the corpus has near-duplicates across shards"
    );

    let run = dir.path().join("slurm");
    let run_s = run.to_str().unwrap().to_string();
    let seven = config(dir.path(), 7);
    let mut args = vec!["submit", "slurm", "--mem", "1000", "--dry-run"];
    args.extend(stage_args(&seven, &inputs, &run_s));
    let dry = curate_ok(&args);
    // Seven filter tasks with MaxArraySize 5: a chunk of indices 0-4 and one of 0-1 at offset 5.
    assert!(dry.contains("#SBATCH --array=0-4\n") && dry.contains("#SBATCH --array=0-1\n"), "{dry}");
    assert!(dry.contains("--phase filter --offset 5"), "{dry}");
    assert!(dry.contains("--dependency=afterok:<filter-0>:<filter-5>"), "{dry}");
    // Seven buckets in two chunks too; the cluster task waits for both.
    assert!(dry.contains("--phase buckets --offset 5"), "{dry}");
    assert!(dry.contains("--dependency=afterok:<buckets-0>:<buckets-5>"), "{dry}");
    assert!(!run.join("slurm/jobs.json").exists(), "a dry run submits nothing");

    args.retain(|a| *a != "--dry-run");
    let submitted = curate_ok(&args);
    assert!(submitted.contains("submitted filter tasks [0-4] (offset 0)"), "{submitted}");
    assert!(submitted.contains("submitted filter tasks [0-1] (offset 5)"), "{submitted}");
    wait_for_jobs(&run);
    assert_finished(&run);
    assert_eq!(outputs(&run), outputs(&local), "the Slurm run's tables differ from the local run's");
    // Again: nothing to do.
    assert!(curate_ok(&args).contains("nothing to submit"));
}

#[test]
fn a_cancelled_element_and_a_failed_task_are_resubmitted_alone() {
    slurm_ready();
    let dir = tempfile::tempdir().unwrap();
    let inputs = shards(dir.path());
    let local = local_run(dir.path(), &inputs);
    let run = dir.path().join("slurm");
    let run_s = run.to_str().unwrap().to_string();
    let three = config(dir.path(), 3);
    let mut args = vec!["submit", "slurm", "--mem", "1000"];
    args.extend(stage_args(&three, &inputs, &run_s));

    // Shard 3 changes after the plan: its task must refuse it. Element 1 of the second chunk
    // (task 6) is cancelled; three nodes are busy with tasks 0-2 meanwhile.
    let shard3 = PathBuf::from(&inputs[3]);
    let (content, mtime) =
        (std::fs::read(&shard3).unwrap(), std::fs::metadata(&shard3).unwrap().modified().unwrap());
    curate_ok(&args);
    let mut changed = content.clone();
    changed.extend_from_slice(b"{\"id\": \"late\", \"text\": \"added after the plan\"}\n");
    std::fs::write(&shard3, &changed).unwrap();
    let jobs: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(run.join("slurm/jobs.json")).unwrap()).unwrap();
    let second_chunk = jobs.iter().find(|j| j["phase"] == "filter" && j["offset"] == 5).unwrap();
    let element = format!("{}_1", second_chunk["job_id"].as_str().unwrap());
    assert!(Command::new("scancel").arg(&element).status().unwrap().success());
    wait_for_jobs(&run);

    let s = status(&run);
    let filter = &s[0];
    assert_eq!(
        (filter["done"].as_u64(), filter["failed"].as_u64(), filter["pending"].as_u64()),
        (Some(5), Some(1), Some(1)),
        "{s}"
    );
    let failure = &filter["failures"][0];
    assert_eq!(failure["index"], 3);
    assert!(failure["error"].as_str().unwrap().contains("changed since the run was planned"), "{failure}");
    assert!(failure["log_tail"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l.as_str().unwrap().contains("changed since")));
    for later in &s.as_array().unwrap()[1..] {
        assert_eq!(later["done"], 0, "nothing after a failed filter task runs: {s}");
    }
    let text = curate_ok(&["status", &run_s]);
    assert!(text.contains("failed: filter 3:") && text.contains("rerun the same `curate submit`"), "{text}");

    // Restored, the same command submits only what is not done.
    std::fs::write(&shard3, &content).unwrap();
    std::fs::File::options().write(true).open(&shard3).unwrap().set_modified(mtime).unwrap();
    let again = curate_ok(&args);
    assert!(again.contains("submitted filter tasks [3] (offset 0)"), "{again}");
    assert!(again.contains("submitted filter tasks [1] (offset 5)"), "{again}");
    wait_for_jobs(&run);
    assert_finished(&run);
    assert_eq!(outputs(&run), outputs(&local));
    for i in [0, 1, 2, 4, 5] {
        assert_eq!(starts(&run, "filter", i), 1, "filter task {i} ran more than once");
    }
    assert_eq!(starts(&run, "filter", 3), 2, "the failed task ran again");
}

/// The pid of a task's latest start, from its log ("... started on HOST, pid N").
fn task_pid(run: &Path, phase: &str, index: usize) -> Option<i32> {
    let log = std::fs::read_to_string(run.join(format!("logs/{phase}-{index}.log"))).ok()?;
    let line = log.lines().rev().find(|l| l.starts_with("curate task ") && l.contains(" started on "))?;
    line.rsplit("pid ").next()?.trim().parse().ok()
}

/// Every row of a cold-start run's tables, sorted, as text.
fn cold_start_outputs(run: &Path) -> Vec<Vec<String>> {
    let mut rows = sql(run, "select 'kept', id, hash(text)::varchar from kept");
    rows.extend(sql(run, "select 'rejected', id, step, rule, reason from rejected"));
    rows.extend(sql(
        run,
        "select 'decision', id, step, rule, coalesce(item, ''), coalesce(score::varchar, ''), kept::varchar from decisions",
    ));
    rows.sort();
    rows
}

#[test]
#[cfg_attr(not(feature = "embedded-judge"), ignore = "needs the embedded-judge feature")]
fn a_judge_task_killed_mid_run_is_redone_and_the_run_equals_the_local_one() {
    slurm_ready();
    let dir = tempfile::tempdir().unwrap();
    // Real problems with their worked solutions (GSM8K, MATH-500, HumanEval, MBPP), three shards of two.
    let all = dir.path().join("problems.jsonl");
    run_script("build-cold-start-sample.py", &[data_dir().to_str().unwrap(), all.to_str().unwrap(), "6"]);
    let records: Vec<String> = lines(&all).into_iter().filter(|l| !l.contains("\"coqa")).take(6).collect();
    assert_eq!(records.len(), 6);
    let inputs: Vec<String> = (0..3)
        .map(|s| {
            let path = dir.path().join(format!("part-{s}.jsonl"));
            std::fs::write(&path, records[s * 2..s * 2 + 2].join("\n") + "\n").unwrap();
            path.to_string_lossy().into_owned()
        })
        .collect();
    let model = data_dir().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let model = model.to_str().unwrap();
    let args_for = |run: &str, cache: &str| -> Vec<String> {
        let mut args: Vec<String> = ["--stage", "cold-start", "--output", run, "--judge", model]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend(["--judge-threads", "1", "--judge-cache", cache].map(String::from));
        args.push("--input".into());
        args.extend(inputs.iter().cloned());
        args
    };
    let local = dir.path().join("local");
    let local_cache = dir.path().join("local.redb");
    let local_args = args_for(local.to_str().unwrap(), local_cache.to_str().unwrap());
    curate_ok(&local_args.iter().map(String::as_str).collect::<Vec<_>>());

    // On Slurm, with a cache of its own: three tasks on one host share it, so all but one fall
    // back to a cache in the run directory.
    let run = dir.path().join("slurm");
    let cache = dir.path().join("slurm.redb");
    let mut args: Vec<String> = ["submit", "slurm", "--mem", "2000"].map(String::from).to_vec();
    args.extend(args_for(run.to_str().unwrap(), cache.to_str().unwrap()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    curate_ok(&args);

    // Kill -9 the first filter task seen running (it holds its lock and has logged its pid).
    let start = Instant::now();
    let victim = loop {
        let s = status(&run);
        let running: Vec<usize> =
            s[0]["running_tasks"].as_array().unwrap().iter().map(|i| i.as_u64().unwrap() as usize).collect();
        if let Some((index, pid)) = running.iter().find_map(|&i| task_pid(&run, "filter", i).map(|p| (i, p)))
        {
            if Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap().success() {
                break index;
            }
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no filter task seen running: {s}");
        std::thread::sleep(Duration::from_millis(20));
    };
    wait_for_jobs(&run);
    let s = status(&run);
    assert_eq!(s[0]["done"].as_u64(), Some(2), "{s}");
    assert_eq!(s[0]["pending"].as_u64(), Some(1), "the killed task left no marker and no lock: {s}");
    assert_eq!(s.as_array().unwrap().last().unwrap()["done"], 0, "the finish task waits: {s}");

    // The same command again: only the killed task and the finish task.
    let again = curate_ok(&args);
    assert!(again.contains(&format!("submitted filter tasks [{victim}] (offset 0)")), "{again}");
    wait_for_jobs(&run);
    assert_finished(&run);
    for i in 0..3 {
        let expected = if i == victim { 2 } else { 1 };
        assert_eq!(starts(&run, "filter", i), expected, "filter task {i}");
    }
    let judged = sql_count(&run, "select count(*) from decisions where rule like 'judge_%'");
    assert!(judged > 0, "the judge's rules decided on Slurm");
    assert_eq!(cold_start_outputs(&run), cold_start_outputs(&local));
}
