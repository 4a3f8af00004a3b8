//! One writer at a time: an OS file lock (`flock`) on `RUN/locks/<scope>.lock`, taken before
//! anything in the run directory is written and released by the kernel when the process ends,
//! however it ends (a killed process leaves no stale lock). The file names its holder (pid, host,
//! start time) so a refused process can say who has the directory.
//!
//! Scopes: a whole local run takes `run`. The lock is per scope so that executors that run one
//! task of one phase per process (on many hosts sharing the directory) can each take the lock of
//! their own task, `<phase>-<index>`, and never the whole directory.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;

use anyhow::{bail, Context, Result};

/// A held lock; dropping it releases it.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunLock {
    /// Takes the lock of `scope` in the run directory `root`, or fails at once naming the
    /// process that holds it.
    pub fn acquire(root: &Path, scope: &str) -> Result<Self> {
        let dir = root.join("locks");
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let path = dir.join(format!("{scope}.lock"));
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        // `curate status` holds a shared lock for an instant to see whether a task runs: a
        // starter that meets it tries again for a moment before giving up.
        let mut locked = file.try_lock();
        for _ in 0..20 {
            if !matches!(locked, Err(TryLockError::WouldBlock)) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(25));
            locked = file.try_lock();
        }
        match locked {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                bail!(
                    "{} is in use by another curate process ({}); a run directory is written by one \
                     process at a time: wait for that run to end (or stop it; its finished work is \
                     kept and a rerun resumes it), or choose another --output",
                    root.display(),
                    if holder.is_empty() { "holder unknown" } else { holder }
                );
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("locking {}", path.display()));
            }
        }
        let holder = format!(
            "pid {} on host {}, since {} (unix time)",
            std::process::id(),
            hostname(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
        );
        file.set_len(0)?;
        file.rewind()?;
        file.write_all(holder.as_bytes())?;
        file.flush()?;
        Ok(Self { _file: file })
    }
}

impl RunLock {
    /// Whether a process holds the lock of `scope` in `root` now.
    pub fn is_held(root: &Path, scope: &str) -> bool {
        let path = root.join("locks").join(format!("{scope}.lock"));
        let Ok(file) = File::open(&path) else { return false };
        matches!(file.try_lock_shared(), Err(TryLockError::WouldBlock))
    }
}

/// This machine's host name.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_and_named_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = RunLock::acquire(dir.path(), "run").unwrap();
        let err = RunLock::acquire(dir.path(), "run").unwrap_err().to_string();
        assert!(err.contains(&format!("pid {}", std::process::id())), "{err}");
        assert!(err.contains("in use by another curate process"), "{err}");
        // Another scope is another lock.
        let task = RunLock::acquire(dir.path(), "filter-0").unwrap();
        drop(first);
        let _again = RunLock::acquire(dir.path(), "run").unwrap();
        assert!(dir.path().join("locks/run.lock").is_file());
        drop(task);
    }
}
