//! Running a code response against its tests, in a sandbox: a separate process in a temporary
//! directory (removed afterwards), with a wall-time limit (a timeout is a failure), an address-
//! space limit (`prlimit`), no network (a new network namespace through `unshare`, where the
//! kernel allows unprivileged user namespaces), a clean environment and no stdin.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use regex::Regex;

/// How code is run.
#[derive(Debug, Clone)]
pub struct Sandbox {
    /// The Python interpreter.
    pub python: PathBuf,
    /// Wall-clock limit of one run.
    pub timeout: Duration,
    /// Address-space limit of one run, in MiB.
    pub memory_mib: u64,
}

/// What a run of the tests gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every test passed (exit status 0).
    Passed,
    /// A test failed or the code crashed: the end of its stderr.
    Failed(String),
    /// It ran past the time limit and was killed.
    TimedOut,
}

/// Whether `unshare -rn` works here (unprivileged user and network namespaces).
fn can_unshare() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        Command::new("unshare")
            .args(["-rn", "true"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Whether the sandbox cuts the network off on this machine.
pub fn network_isolated() -> bool {
    can_unshare()
}

/// The code of a response: its last fenced code block (```python or plain), else all of it.
pub fn code_of(response: &str) -> String {
    static FENCE: OnceLock<Regex> = OnceLock::new();
    let fence =
        FENCE.get_or_init(|| Regex::new(r"(?s)```[A-Za-z0-9_+-]*[ \t]*\n(.*?)```").expect("valid regex"));
    match fence.captures_iter(response).last() {
        Some(c) => c[1].to_string(),
        None => response.to_string(),
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Self { python: PathBuf::from("python3"), timeout: Duration::from_secs(10), memory_mib: 1024 }
    }
}

impl Sandbox {
    /// Runs `code` followed by `tests` as one Python program.
    pub fn run(&self, code: &str, tests: &str) -> std::io::Result<Outcome> {
        let dir = tempfile::tempdir()?;
        let program = dir.path().join("solution.py");
        std::fs::write(&program, format!("{code}\n\n{tests}\n"))?;
        let stderr_path = dir.path().join("stderr");
        let mut cmd = if can_unshare() {
            let mut c = Command::new("unshare");
            c.args(["-rn", "--", "prlimit"]);
            c
        } else {
            Command::new("prlimit")
        };
        let bytes = self.memory_mib * 1024 * 1024;
        cmd.arg(format!("--as={bytes}"))
            .arg(format!("--cpu={}", self.timeout.as_secs() + 1))
            .arg("--")
            .arg(&self.python)
            .args(["-I", "-B"])
            .arg(&program)
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr_path)?);
        let mut child = cmd.spawn()?;
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break Some(status);
            }
            if start.elapsed() > self.timeout {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let outcome = match status {
            None => Outcome::TimedOut,
            Some(s) if s.success() => Outcome::Passed,
            // SIGXCPU or SIGKILL: the CPU-time limit.
            Some(s) if matches!(std::os::unix::process::ExitStatusExt::signal(&s), Some(9 | 24)) => {
                Outcome::TimedOut
            }
            Some(_) => {
                let err = std::fs::read_to_string(&stderr_path).unwrap_or_default();
                let tail: Vec<&str> = err.lines().rev().take(3).collect();
                Outcome::Failed(tail.into_iter().rev().collect::<Vec<_>>().join(" | "))
            }
        };
        drop(dir);
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox() -> Sandbox {
        Sandbox { timeout: Duration::from_secs(3), ..Sandbox::default() }
    }

    #[test]
    fn passing_failing_and_looping_code() {
        let s = sandbox();
        let add = "```python\ndef add(a, b):\n    return a + b\n```";
        assert_eq!(s.run(&code_of(add), "assert add(2, 3) == 5").unwrap(), Outcome::Passed);
        match s.run(&code_of(add), "assert add(2, 3) == 6").unwrap() {
            Outcome::Failed(e) => assert!(e.contains("AssertionError"), "{e}"),
            other => panic!("{other:?}"),
        }
        let start = Instant::now();
        assert_eq!(s.run("while True: pass", "").unwrap(), Outcome::TimedOut);
        assert!(start.elapsed() < Duration::from_secs(6));
    }

    #[test]
    fn memory_and_network_are_limited() {
        let s = Sandbox { memory_mib: 256, ..sandbox() };
        assert!(
            matches!(s.run("x = bytearray(1024 * 1024 * 1024)", "").unwrap(), Outcome::Failed(e) if e.contains("MemoryError"))
        );
    }

    /// A listener on the loopback address outside the sandbox: reachable from a plain process
    /// (so the test can tell), not from sandboxed code wherever user namespaces work.
    #[test]
    fn sandboxed_code_cannot_reach_a_listener_outside() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let net = format!("import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)");
        let plain = Command::new("python3").args(["-c", &net]).status().unwrap();
        assert!(plain.success(), "the listener must be reachable outside the sandbox");
        // Checked here by hand, not through the sandbox's own detector.
        let namespaces = Command::new("unshare").args(["-rn", "true"]).status().is_ok_and(|s| s.success());
        let outcome = sandbox().run(&net, "").unwrap();
        if namespaces {
            match outcome {
                Outcome::Failed(e) => assert!(e.contains("Error") || e.contains("error"), "{e}"),
                other => panic!("sandboxed code reached the network: {other:?}"),
            }
        } else {
            eprintln!("no user namespaces on this machine: the sandbox cannot cut the network");
            assert_eq!(outcome, Outcome::Passed);
        }
    }
}
