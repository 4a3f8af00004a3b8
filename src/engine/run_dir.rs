//! The layout of a run directory, its plan, and the completion markers that make runs resumable.
//!
//! ```text
//! RUN/
//!   plan.json              what this run does: stage config and tasks (checked on resume)
//!   manifest.json          what it did: counts per step, inputs, timings (written at the end)
//!   kept/<task>.parquet    kept records
//!   rejected/<task>.parquet
//!   decisions/<task>.parquet
//!   quarantine/<task>.parquet
//!   done/<task>.json       completion marker with the task's counts
//!   tmp/                   downloads of remote Parquet files, DuckDB spill files
//! ```
//! A task's outputs are written as `.tmp` files and renamed into place; its marker is written
//! last. A task without a marker is redone from scratch on resume.
//!
//! With dedup steps, a task writes the records its filters kept to `pending/<task>.parquet`
//! with their signatures (`signatures/`, `bands/`); once every task is done, the buckets phase
//! writes candidate pairs (`candidates/<k>.parquet`, and pairs found whole as
//! `edges/bucket-<k>.parquet`; markers `done/buckets/<k>.json`), the attach and verify phases turn
//! MinHash candidates into edges (`attached/<task>.parquet`, `edges/<task>.parquet`; markers
//! `done/attach/<i>.json`, `done/verify/<i>.json`), the
//! duplicates of the whole run are found (`duplicates.parquet`, marker `done/dedup.json`), and each task
//! splits its pending records into `kept/<task>.parquet` and `rejected/<task>.dedup.parquet`
//! (marker `done/<task>.final.json`). `pending/` stays, so that the dedup can be redone when a
//! task's filter results are redone.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use curate_sources::InputFile;
use serde::{Deserialize, Serialize};

use crate::config::StageConfig;
use crate::counts::TaskCounts;
use crate::engine::remote_run::{self, Pull, RemoteRun};
use crate::engine::run_lock::RunLock;

/// The tables every run has.
pub const TABLES: [&str; 4] = ["kept", "rejected", "decisions", "quarantine"];

/// Marker: a finished run removed its intermediates (see [`RunDir::remove_intermediates`]).
const INTERMEDIATES_REMOVED: &str = "intermediates-removed.json";

/// Folders of a task's intermediate files when a stage has dedup steps.
const DEDUP_DIRS: [&str; 6] = ["pending", "signatures", "bands", "candidates", "attached", "edges"];

/// The phases of dedup that run before the clusters, each with a marker per task under
/// `done/<phase>/`.
pub const DEDUP_PART_PHASES: [&str; 3] = ["buckets", "attach", "verify"];

/// One independent unit of work: one input shard. Tasks share nothing, so any subset can run
/// anywhere (threads here, or nodes of a cluster).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Names the task's output files: the input's position and a sanitized file name.
    pub id: String,
    /// The input shard.
    pub input: InputFile,
}

/// What a run is asked to do; stored as `plan.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The effective stage configuration.
    pub config: StageConfig,
    /// The tasks, in input order.
    pub tasks: Vec<Task>,
    /// The format of dedup signatures the run stores (see [`SIGNATURE_FORMAT`]).
    #[serde(default)]
    pub signature_format: u32,
}

/// Version of the dedup signatures stored in run directories: a run whose pending signatures
/// were made by another format cannot be resumed (its duplicates would not be found). 2: 32-bit
/// MinHash functions. 3: the records' source lines, so a duplicate names the line it repeats.
pub const SIGNATURE_FORMAT: u32 = 3;

impl Plan {
    /// Plans one task per input file.
    pub fn new(config: StageConfig, inputs: Vec<InputFile>) -> Self {
        let tasks = inputs
            .into_iter()
            .enumerate()
            .map(|(i, input)| Task { id: task_id(i, &input.name), input })
            .collect();
        Self { config, tasks, signature_format: SIGNATURE_FORMAT }
    }

    /// Tasks of the buckets phase (0 without dedup steps).
    pub fn buckets(&self) -> usize {
        self.config.dedup_buckets(self.tasks.len())
    }

    /// Whether the stage has MinHash dedup steps (and so the attach and verify phases).
    pub fn has_minhash(&self) -> bool {
        self.config.steps.iter().any(|s| s.filter == "minhash_dedup")
    }

    /// Whether the stage has dedup steps (and so the cluster and apply phases).
    pub fn has_dedup(&self) -> bool {
        self.config.steps.iter().any(|s| curate_filters::dedup::DedupMethod::is_dedup(&s.filter))
    }
}

/// The first thing that differs between the configuration of a run (`there`) and the one
/// asked for now (`here`), in words.
fn config_difference(there: &StageConfig, here: &StageConfig) -> String {
    if there.stage != here.stage {
        return format!("stage `{}` there, `{}` here", there.stage, here.stage);
    }
    if there.fields != here.fields {
        return format!(
            "fields text = `{}`, id = `{}` there; `{}`, `{}` here",
            there.fields.text, there.fields.id, here.fields.text, here.fields.id
        );
    }
    let names = |c: &StageConfig| c.steps.iter().map(|s| s.name().to_string()).collect::<Vec<_>>();
    if names(there) != names(here) {
        return format!("steps there: {}; here: {}", names(there).join(", "), names(here).join(", "));
    }
    for (a, b) in there.steps.iter().zip(&here.steps) {
        let keys: std::collections::BTreeSet<&String> = a.options.keys().chain(b.options.keys()).collect();
        for key in keys {
            let (x, y) = (a.options.get(key), b.options.get(key));
            if x != y {
                let show = |v: Option<&toml::Value>| v.map_or("unset".to_string(), ToString::to_string);
                return format!("step `{}`: `{key}` = {} there, {} here", a.name(), show(x), show(y));
            }
        }
        if a.filter != b.filter {
            return format!("step `{}` runs `{}` there, `{}` here", a.name(), a.filter, b.filter);
        }
    }
    "the configurations differ".into()
}

fn task_id(index: usize, name: &str) -> String {
    let base = name.trim_end_matches('/').rsplit('/').next().unwrap_or(name);
    let clean: String = base
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' { c } else { '_' })
        .take(80)
        .collect();
    format!("{index:05}-{clean}")
}

/// A run directory.
pub struct RunDir {
    root: PathBuf,
    /// Held while this process writes the directory (none when opened for reading).
    _lock: Option<RunLock>,
    /// The object store the directory mirrors, for runs there (`--output s3://...`).
    remote: Option<Arc<RemoteRun>>,
}

/// The local directory of the run `arg` names: itself, or for a run in an object store
/// (`s3://bucket/run/`) its local mirror, with what `pull` asks for pulled from the store.
pub fn locate(arg: &Path, pull: Pull) -> Result<(PathBuf, Option<Arc<RemoteRun>>)> {
    if remote_run::is_remote(arg) {
        let remote = RemoteRun::open(arg, pull)?;
        Ok((remote.local().to_path_buf(), Some(remote)))
    } else {
        Ok((arg.to_path_buf(), None))
    }
}

impl RunDir {
    /// Opens `root` for `plan`: creates it, or checks that an existing run was made with the
    /// same plan (so that a resume never mixes two configurations).
    pub fn prepare(root: &Path, plan: &Plan) -> Result<Self> {
        std::fs::create_dir_all(root).with_context(|| format!("creating {}", root.display()))?;
        let lock = RunLock::acquire(root, "run")?;
        let dir = Self { root: root.to_path_buf(), _lock: Some(lock), remote: None };
        for sub in TABLES.iter().chain(&DEDUP_DIRS).chain(&["done", "tmp"]) {
            std::fs::create_dir_all(root.join(sub))
                .with_context(|| format!("creating {}", root.join(sub).display()))?;
        }
        let plan_path = root.join("plan.json");
        if plan_path.exists() {
            let old: Plan = serde_json::from_slice(&std::fs::read(&plan_path)?)
                .with_context(|| format!("reading {}", plan_path.display()))?;
            let same = |a: &StageConfig, b: &StageConfig| {
                a.stage == b.stage && a.fields == b.fields && a.steps == b.steps
            };
            if !same(&old.config, &plan.config) {
                bail!(
                    "{} holds a run with another configuration ({}); resume it with the same \
                     options, or choose another --output",
                    root.display(),
                    config_difference(&old.config, &plan.config)
                );
            }
            if plan.has_dedup() && old.signature_format != plan.signature_format {
                bail!(
                    "{} holds a run made by another curate version, whose dedup signatures differ \
                     (format {} here, {} there); rerun into a new --output",
                    root.display(),
                    plan.signature_format,
                    old.signature_format
                );
            }
            let names =
                |p: &Plan| p.tasks.iter().map(|t| (t.id.clone(), t.input.name.clone())).collect::<Vec<_>>();
            if names(&old) != names(plan) {
                bail!(
                    "{} holds a run over other inputs; resume it with the same --input list, \
                     or choose another --output",
                    root.display()
                );
            }
            for (before, now) in old.tasks.iter().zip(&plan.tasks) {
                if let Some(change) = before.input.changed(&now.input) {
                    bail!(
                        "input {} changed since the run in {} started ({change}): its outputs would \
                         mix the old and new content. Restore the input, or start over into another \
                         --output (or delete {} first)",
                        now.input.name,
                        root.display(),
                        root.display()
                    );
                }
            }
        } else {
            write_atomic(&plan_path, &serde_json::to_vec_pretty(plan)?)?;
        }
        Ok(dir)
    }

    /// Opens an existing run to do one task of it, holding that task's lock (`scope`:
    /// `<phase>-<index>`), so that other tasks run beside it and the same task does not.
    pub fn open_task(root: &Path, scope: &str) -> Result<Self> {
        let dir = Self::open(root)?;
        Ok(Self { _lock: Some(RunLock::acquire(root, scope)?), ..dir })
    }

    /// The plan of the run.
    pub fn plan(&self) -> Result<Plan> {
        let path = self.root.join("plan.json");
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&bytes).with_context(|| format!("reading {}", path.display()))
    }

    /// Whether the finish phase ran (its marker `done/finish.json`).
    pub fn run_finished(&self) -> bool {
        self.root.join("done").join("finish.json").exists()
    }

    /// Marks the finish phase done.
    pub fn finish_run(&self) -> Result<()> {
        self.mark(&self.root.join("done").join("finish.json"), b"{}")
    }

    /// Forgets that the run finished (a filter task is redone).
    pub fn unfinish_run(&self) -> Result<()> {
        self.remove(&self.root.join("done").join("finish.json"))
    }

    /// Opens an existing run for reading.
    pub fn open(root: &Path) -> Result<Self> {
        if !root.join("plan.json").exists() {
            bail!("{} is not a curate run directory (no plan.json)", root.display());
        }
        Ok(Self { root: root.to_path_buf(), _lock: None, remote: None })
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// This directory as the mirror of a run in an object store: what is written here is
    /// published there (see [`RunDir::publish`]).
    pub fn with_remote(self, remote: Option<Arc<RemoteRun>>) -> Self {
        Self { remote, ..self }
    }

    /// The run's address for messages: its `s3://` address, or its directory.
    pub fn location(&self) -> String {
        match &self.remote {
            Some(remote) => remote.url(),
            None => self.root.display().to_string(),
        }
    }

    /// For a run in an object store, uploads what changed here, then `marker` last (a
    /// completion marker just written); nothing for a local run.
    pub fn publish(&self, marker: Option<&Path>) -> Result<()> {
        if let Some(remote) = &self.remote {
            remote.push(marker).with_context(|| format!("publishing to {}", remote.url()))?;
        }
        Ok(())
    }

    /// Writes the completion marker `path` and publishes it after the files it vouches for.
    fn mark(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        write_atomic(path, bytes)?;
        self.publish(Some(path))
    }

    /// Removes what was at `path` (a file or folder, removed here) from the object store.
    fn forget_remote(&self, path: &Path) -> Result<()> {
        match &self.remote {
            Some(remote) => remote.remove(path),
            None => Ok(()),
        }
    }

    /// Removes `path` (a file, with its temp file), here and in the object store.
    fn remove(&self, path: &Path) -> Result<()> {
        remove_with_tmp(path)?;
        if let Some(remote) = &self.remote {
            remote.remove(path)?;
        }
        Ok(())
    }

    /// Where `table`'s output of `task` goes.
    pub fn output(&self, table: &str, task: &Task) -> PathBuf {
        self.root.join(table).join(format!("{}.parquet", task.id))
    }

    /// Where the dedup pass writes `table`'s rows of `task`.
    pub fn dedup_output(&self, table: &str, task: &Task) -> PathBuf {
        self.root.join(table).join(format!("{}.dedup.parquet", task.id))
    }

    /// Where `task` puts the records its filters kept, while dedup is pending.
    pub fn pending(&self, task: &Task) -> PathBuf {
        self.output("pending", task)
    }

    /// Scratch space for downloads.
    pub fn tmp(&self) -> PathBuf {
        self.root.join("tmp")
    }

    fn marker(&self, task: &Task) -> PathBuf {
        self.root.join("done").join(format!("{}.json", task.id))
    }

    /// The counts of a finished task, or `None` if it has not finished.
    pub fn finished(&self, task: &Task) -> Result<Option<TaskCounts>> {
        read_marker(&self.marker(task))
    }

    /// Removes whatever an interrupted attempt at `task` left behind.
    pub fn clear(&self, task: &Task) -> Result<()> {
        for table in TABLES.iter().chain(&DEDUP_DIRS) {
            self.remove(&self.output(table, task))?;
        }
        self.clear_final(task)
    }

    /// Removes what an interrupted dedup pass over `task` left behind.
    pub fn clear_final(&self, task: &Task) -> Result<()> {
        self.remove(&self.output("kept", task))?;
        self.remove(&self.dedup_output("rejected", task))?;
        self.remove(&self.dedup_output("decisions", task))
    }

    /// The final counts of a task whose dedup pass finished against the current clusters.
    pub fn finished_final(&self, task: &Task) -> Result<Option<TaskCounts>> {
        let Some(clusters) = self.dedup_marker()? else { return Ok(None) };
        let path = self.root.join("done").join(format!("{}.final.json", task.id));
        // A marker of another generation of clusters (or an older curate's) is not done.
        Ok(read_marker::<serde_json::Value>(&path)?
            .and_then(|v| serde_json::from_value::<FinalMarker>(v).ok())
            .filter(|m| m.generation == clusters.generation)
            .map(|m| m.counts))
    }

    /// Marks the dedup pass over `task` finished, with its final counts.
    pub fn finish_final(&self, task: &Task, counts: &TaskCounts) -> Result<()> {
        let generation = self.dedup_marker()?.context("the clusters are gone")?.generation;
        let path = self.root.join("done").join(format!("{}.final.json", task.id));
        self.mark(&path, &serde_json::to_vec_pretty(&FinalMarker { generation, counts: counts.clone() })?)
    }

    /// Forgets the clusters of the run, because some task's filter results changed (it was
    /// redone after an interruption). Every shard's split, made from them, is then stale.
    pub fn invalidate_dedup(&self) -> Result<()> {
        for phase in DEDUP_PART_PHASES {
            match std::fs::remove_dir_all(self.root.join("done").join(phase)) {
                Ok(()) => self.forget_remote(&self.root.join("done").join(phase))?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("forgetting the {phase} phase")),
            }
        }
        self.remove(&self.root.join("done").join("dedup.json"))
    }

    /// Whether task `index` of the dedup phase `phase` (one of [`DEDUP_PART_PHASES`]) is done
    /// (`done/<phase>/<index>.json`).
    pub fn part_done(&self, phase: &str, index: usize) -> bool {
        self.root.join("done").join(phase).join(format!("{index}.json")).exists()
    }

    /// Marks task `index` of the dedup phase `phase` done, with the number of rows it wrote.
    pub fn finish_part(&self, phase: &str, index: usize, rows: u64) -> Result<()> {
        let dir = self.root.join("done").join(phase);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        self.mark(&dir.join(format!("{index}.json")), format!("{{\"rows\": {rows}}}").as_bytes())
    }

    fn dedup_marker(&self) -> Result<Option<DedupMarker>> {
        let path = self.root.join("done").join("dedup.json");
        Ok(match read_marker::<serde_json::Value>(&path)? {
            None => None,
            // Before generations: a bare list of counts.
            Some(serde_json::Value::Array(counts)) => Some(DedupMarker {
                per_step: counts.iter().filter_map(serde_json::Value::as_u64).collect(),
                generation: 0,
            }),
            Some(v) => {
                Some(serde_json::from_value(v).with_context(|| format!("reading {}", path.display()))?)
            }
        })
    }

    /// Duplicates found per dedup step, if the global dedup finished.
    pub fn dedup_done(&self) -> Result<Option<Vec<u64>>> {
        Ok(self.dedup_marker()?.map(|m| m.per_step))
    }

    /// Marks the global dedup finished. Each clustering gets its own generation number, which
    /// the shards' splits record: a split made from older clusters is not done.
    pub fn finish_dedup(&self, per_step: &[u64]) -> Result<()> {
        let generation = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
            .max(1);
        let marker = DedupMarker { per_step: per_step.to_vec(), generation };
        self.mark(&self.root.join("done").join("dedup.json"), &serde_json::to_vec(&marker)?)
    }

    /// Marks `task` finished, with its counts.
    pub fn finish(&self, task: &Task, counts: &TaskCounts) -> Result<()> {
        self.mark(&self.marker(task), &serde_json::to_vec_pretty(counts)?)
    }

    /// Removes what only an unfinished run needs: the records waiting for dedup and their
    /// signatures (`pending/`, `signatures/`, `bands/`), the clusters (`duplicates.parquet`)
    /// and scratch space (`tmp/`). Called once the run finished and its manifest is written; a
    /// rerun of the same command then has nothing to redo and needs none of them. Returns the
    /// bytes freed.
    pub fn remove_intermediates(&self) -> Result<u64> {
        self.mark(&self.root.join("done").join(INTERMEDIATES_REMOVED), b"{}")?;
        let mut freed = 0;
        for name in DEDUP_DIRS.iter().chain(&["tmp", "duplicates.parquet"]) {
            let path = self.root.join(name);
            freed += disk_usage(&path);
            let removed =
                if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
            match removed {
                Ok(()) => self.forget_remote(&path)?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("removing {}", path.display())),
            }
        }
        Ok(freed)
    }

    /// Whether a finished run removed its intermediates: a task redone now cannot be deduped
    /// against the others' signatures, so every task must be redone.
    pub fn intermediates_removed(&self) -> bool {
        self.root.join("done").join(INTERMEDIATES_REMOVED).exists()
    }

    /// Forgets every task's results (for a full redo) and the note that intermediates are gone.
    pub fn forget_all(&self, tasks: &[Task]) -> Result<()> {
        for task in tasks {
            self.remove(&self.marker(task))?;
            self.clear(task)?;
        }
        self.remove(&self.root.join("done").join(INTERMEDIATES_REMOVED))?;
        for sub in DEDUP_DIRS.iter().chain(&["tmp"]) {
            std::fs::create_dir_all(self.root.join(sub))?;
        }
        Ok(())
    }

    /// Writes `manifest.json`.
    pub fn write_manifest(&self, manifest: &impl Serialize) -> Result<()> {
        self.mark(&self.root.join(MANIFEST), &serde_json::to_vec_pretty(manifest)?)
    }
}

/// The file a finished run's manifest is in.
pub const MANIFEST: &str = "manifest.json";

/// The manifest of the run at `root` as JSON, or `None` when it has none (not finished).
pub fn read_manifest(root: &Path) -> Result<Option<serde_json::Value>> {
    let path = root.join(MANIFEST);
    if !path.is_file() {
        return Ok(None);
    }
    let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Some(serde_json::from_slice(&bytes).with_context(|| format!("reading {}", path.display()))?))
}

/// `done/dedup.json`: duplicates per step and the clusters' generation.
#[derive(Serialize, Deserialize)]
struct DedupMarker {
    per_step: Vec<u64>,
    generation: u64,
}

/// `done/<task>.final.json`: a shard's final counts and the clusters it was split by.
#[derive(Serialize, Deserialize)]
struct FinalMarker {
    generation: u64,
    counts: TaskCounts,
}

/// Bytes of the files under `path` (a file or a folder).
fn disk_usage(path: &Path) -> u64 {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::read_dir(path)
            .map(|entries| entries.flatten().map(|e| disk_usage(&e.path())).sum())
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

fn read_marker<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            Ok(Some(serde_json::from_slice(&bytes).with_context(|| format!("reading {}", path.display()))?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Removes `path` and its temp file, if they exist.
fn remove_with_tmp(path: &Path) -> Result<()> {
    for p in [curate_sources::writer::tmp_path(path), path.to_path_buf()] {
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", p.display())),
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temp file and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = curate_sources::writer::tmp_path(path);
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming {}", tmp.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_ids_are_safe_file_names() {
        assert_eq!(task_id(3, "data/shard 1.jsonl.gz"), "00003-shard_1.jsonl.gz");
        assert_eq!(task_id(0, "https://h/x/y.parquet?a=b"), "00000-y.parquet_a_b");
    }
}
