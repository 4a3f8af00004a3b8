//! A run directory whose home is an object store (`--output s3://bucket/run/`): the run works
//! in a local mirror of it (`$CURATE_S3_CACHE`, else `~/.cache/curate/s3/<bucket>/<key>`),
//! pulled from the store when the run is opened and pushed to it before every completion
//! marker, so the store keeps every promise of a local run directory:
//!
//! - a task's outputs are in the store before its marker: files are uploaded whole (one PUT,
//!   or a multipart upload that appears only when complete), then the marker, last;
//! - a run killed mid-way resumes from the store on any machine: what has a marker is pulled
//!   and kept, what has none is redone;
//! - removals (a task redone, intermediates dropped) are removals in the store too, so a pull
//!   never brings back what the run forgot;
//! - each task process (on a cluster, each node) pulls only what its phase reads (see
//!   [`Pull`]) and its mirror lacks or holds in another version (ETag), and pushes only files
//!   it changed.
//!
//! Scratch space (`tmp/`), locks and temp files stay local. A lock is per host: the store has
//! no locks, so two hosts must not run the same task at once (the executors never do).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::UNIX_EPOCH;

use anyhow::{Context, Result};
use curate_sources::s3::{Bucket, S3Url};
use serde::{Deserialize, Serialize};

/// Folders and files that stay in the local mirror.
const LOCAL_ONLY: [&str; 3] = ["tmp/", "locks/", ".s3-state.json"];

/// What a process pulls of a run into its mirror.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pull {
    /// Everything (a run resumed by the local executor, which may redo any phase).
    All,
    /// All but the dedup intermediates (`curate sql`, `report`, `status`, the finish phase).
    Outputs,
    /// The run's control files (plan, invocation, markers, failures) and the folders (`x/`)
    /// and files named (a task of one phase: what that phase reads).
    Reads(&'static [&'static str]),
}

/// The dedup intermediates, which only some phases read.
const INTERMEDIATES: [&str; 7] =
    ["pending/", "signatures/", "bands/", "candidates/", "attached/", "edges/", "duplicates.parquet"];

impl Pull {
    /// Whether a process pulling this wants the run's file `relative`.
    fn wants(self, relative: &str) -> bool {
        match self {
            Pull::All => true,
            Pull::Outputs => !INTERMEDIATES.iter().any(|p| relative.starts_with(p)),
            Pull::Reads(read) => {
                let control = ["done/", "failed/"].iter().any(|p| relative.starts_with(p))
                    || (!relative.contains('/') && relative != "duplicates.parquet");
                control || read.iter().any(|p| relative.starts_with(p))
            }
        }
    }
}

/// What the mirror knows of one file: its local size and time when last pulled or pushed, and
/// the store's ETag of that version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Synced {
    size: u64,
    modified: u64,
    etag: Option<String>,
}

/// A run directory in an object store and its local mirror.
pub struct RemoteRun {
    url: S3Url,
    bucket: Arc<Bucket>,
    local: PathBuf,
    state: Mutex<HashMap<String, Synced>>,
    /// The run's files in the store (as listed when opened, then as pushed and removed):
    /// what a removal must remove there, whether this mirror pulled it or not.
    in_store: Mutex<std::collections::HashSet<String>>,
}

/// Whether `arg` (an `--output` or `--run`) names a run in an object store.
pub fn is_remote(arg: &Path) -> bool {
    S3Url::is(&arg.to_string_lossy())
}

/// The local mirror of `url`.
fn mirror_path(url: &S3Url) -> Result<PathBuf> {
    let base = match std::env::var_os("CURATE_S3_CACHE") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let home = std::env::var_os("HOME").context("HOME is not set (or set CURATE_S3_CACHE)")?;
            PathBuf::from(home).join(".cache/curate/s3")
        }
    };
    Ok(base.join(&url.bucket).join(url.key.trim_matches('/')))
}

/// A temp name next to `path` for this process: tasks on one host share its mirror, so each
/// writes under a name of its own and renames into place.
fn tmp_beside(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!("{name}.{}.s3-tmp", std::process::id()))
}

/// Size and modification time of a local file.
fn stat(path: &Path) -> Option<(u64, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos() as u64;
    Some((meta.len(), modified))
}

impl RemoteRun {
    /// Opens the run at `url` (`s3://bucket/prefix/`) with its mirror, and pulls what `pull`
    /// asks for.
    pub fn open(url: &Path, pull: Pull) -> Result<Arc<Self>> {
        let url = S3Url::parse(&url.to_string_lossy())?;
        let bucket = curate_sources::s3::bucket(&url.bucket)?;
        let local = mirror_path(&url)?;
        std::fs::create_dir_all(&local).with_context(|| format!("creating {}", local.display()))?;
        let state = std::fs::read(local.join(".s3-state.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let run = Arc::new(Self {
            url,
            bucket,
            local,
            state: Mutex::new(state),
            in_store: Mutex::new(Default::default()),
        });
        run.pull(pull)?;
        Ok(run)
    }

    /// The local mirror.
    pub fn local(&self) -> &Path {
        &self.local
    }

    /// The run's address.
    pub fn url(&self) -> String {
        format!("s3://{}/{}", self.url.bucket, self.url.key.trim_end_matches('/'))
    }

    /// The key of a file of the mirror.
    fn key(&self, relative: &str) -> String {
        self.url.join(relative).key
    }

    /// `path` relative to the mirror, with `/` separators; `None` outside it.
    fn relative(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.local).ok()?;
        Some(rel.to_string_lossy().replace('\\', "/"))
    }

    fn local_only(relative: &str) -> bool {
        LOCAL_ONLY.iter().any(|p| relative.starts_with(p))
            || relative.ends_with(".tmp")
            || relative.contains(".tmp.")
            || relative.ends_with(".s3-tmp")
    }

    fn save_state(&self, state: &HashMap<String, Synced>) -> Result<()> {
        let bytes = serde_json::to_vec(state)?;
        let path = self.local.join(".s3-state.json");
        let tmp = tmp_beside(&path);
        std::fs::write(&tmp, &bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .with_context(|| format!("writing {}", path.display()))
    }

    /// Brings the mirror up to the store: downloads each object `pull` wants that the mirror
    /// lacks or holds in another version. Returns how many were downloaded.
    pub fn pull(&self, pull: Pull) -> Result<usize> {
        let prefix = format!("{}/", self.url.key.trim_end_matches('/'));
        let prefix = if prefix == "/" { String::new() } else { prefix };
        let listed = self.bucket.list(&prefix)?;
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut pulled = 0;
        for meta in listed {
            let relative = meta.location.as_ref()[prefix.len()..].to_string();
            if relative.is_empty() || Self::local_only(&relative) {
                continue;
            }
            self.in_store.lock().unwrap_or_else(|p| p.into_inner()).insert(relative.clone());
            if !pull.wants(&relative) {
                continue;
            }
            let path = self.local.join(&relative);
            let now = stat(&path);
            let known = state.get(&relative);
            let current = match (known, now) {
                (Some(k), Some((size, modified))) => {
                    k.etag == meta.e_tag && k.size == size && k.modified == modified
                }
                _ => false,
            };
            if current {
                continue;
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
            }
            let tmp = tmp_beside(&path);
            self.bucket.download(meta.location.as_ref(), meta.size, &tmp)?;
            std::fs::rename(&tmp, &path).with_context(|| format!("renaming {}", tmp.display()))?;
            let (size, modified) = stat(&path).context("a file just downloaded")?;
            state.insert(relative, Synced { size, modified, etag: meta.e_tag.clone() });
            pulled += 1;
        }
        self.save_state(&state)?;
        Ok(pulled)
    }

    /// Uploads one file of the mirror (whole, or multipart when large); what to record of it
    /// (`None` when it is gone).
    fn upload(&self, relative: &str) -> Result<Option<Synced>> {
        let path = self.local.join(relative);
        let Some((size, modified)) = stat(&path) else { return Ok(None) };
        let etag = self.bucket.upload(&path, &self.key(relative))?;
        Ok(Some(Synced { size, modified, etag }))
    }

    /// Uploads every file of the mirror that changed since it was last pulled or pushed,
    /// except completion markers (`done/`), then `marker` (a path in the mirror), last.
    ///
    /// Tasks of one process push at once: each uploads every changed file it sees (a file
    /// another task is uploading too goes up twice, harmlessly) and records it once uploaded,
    /// so no marker is pushed before the files it vouches for, and no upload waits for
    /// another's.
    pub fn push(&self, marker: Option<&Path>) -> Result<usize> {
        let mut files = Vec::new();
        walk(&self.local, &mut files)?;
        let changed: Vec<String> = {
            let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            files
                .iter()
                .filter_map(|path| {
                    let relative = self.relative(path)?;
                    if Self::local_only(&relative)
                        || relative.starts_with("done/")
                        || relative.starts_with('.')
                    {
                        return None;
                    }
                    let (size, modified) = stat(path)?;
                    let known =
                        state.get(&relative).is_some_and(|s| s.size == size && s.modified == modified);
                    (!known).then_some(relative)
                })
                .collect()
        };
        let mut pushed = 0;
        for relative in
            changed.iter().map(String::as_str).chain(marker.and_then(|m| self.relative(m)).as_deref())
        {
            if let Some(synced) = self.upload(relative)? {
                let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
                state.insert(relative.to_string(), synced);
                self.in_store.lock().unwrap_or_else(|p| p.into_inner()).insert(relative.to_string());
                pushed += 1;
            }
        }
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        self.save_state(&state)?;
        Ok(pushed)
    }

    /// Removes the object of `path` (a file of the mirror, already removed there), or of every
    /// file under it when it is a folder.
    pub fn remove(&self, path: &Path) -> Result<()> {
        let Some(relative) = self.relative(path) else { return Ok(()) };
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let folder = format!("{}/", relative.trim_end_matches('/'));
        // What the store held when the run was opened, and what was pushed since: a file not
        // among them is not there (a task's first attempt clears outputs it never wrote).
        let mut in_store = self.in_store.lock().unwrap_or_else(|p| p.into_inner());
        if in_store.iter().any(|k| k.starts_with(&folder)) {
            for meta in self.bucket.list(&self.key(&folder))? {
                self.bucket.delete(meta.location.as_ref())?;
            }
        }
        if in_store.contains(&relative) {
            self.bucket.delete(&self.key(&relative))?;
        }
        in_store.retain(|k| k != &relative && !k.starts_with(&folder));
        state.retain(|k, _| k != &relative && !k.starts_with(&folder));
        self.save_state(&state)
    }
}

/// The files under `dir`, recursively (none when it does not exist).
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("listing {}", dir.display())),
    };
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&entry.path(), out)?;
        } else if kind.is_file() {
            out.push(entry.path());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phase_pulls_its_control_files_and_what_it_reads() {
        let apply = Pull::Reads(&["pending/", "duplicates.parquet"]);
        for wanted in [
            "plan.json",
            "invocation.json",
            "done/dedup.json",
            "failed/apply-0.json",
            "pending/00000-a.parquet",
        ] {
            assert!(apply.wants(wanted), "{wanted}");
        }
        for unwanted in ["kept/00000-a.parquet", "signatures/00000-a.parquet", "usage/filter-0.json"] {
            assert!(!apply.wants(unwanted), "{unwanted}");
        }
        assert!(apply.wants("duplicates.parquet"));
        assert!(!Pull::Reads(&[]).wants("duplicates.parquet"));
        assert!(Pull::Outputs.wants("kept/00000-a.parquet") && Pull::Outputs.wants("usage/filter-0.json"));
        assert!(!Pull::Outputs.wants("bands/00000-a.parquet") && !Pull::Outputs.wants("duplicates.parquet"));
        assert!(Pull::All.wants("edges/bucket-0.parquet"));
        assert!(RemoteRun::local_only("tmp/download-1.parquet") && RemoteRun::local_only("locks/run.lock"));
        assert!(
            RemoteRun::local_only("kept/x.parquet.123.s3-tmp") && !RemoteRun::local_only("kept/x.parquet")
        );
    }
}
