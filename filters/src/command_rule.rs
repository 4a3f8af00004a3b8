//! `command`: a user's rule as an external program, in any language. It reads records as JSON
//! lines on stdin (`id`, `text`, `language`, `language_score` and the record's other fields) and
//! answers one JSON line per record on stdout, in order, naming the record it answers:
//! `{"id": "...", "keep": bool, "score": number, "reason": str}`.
//! The process is started once and kept alive across batches (one batch at a time). A crash, a
//! timeout (writing the batch or reading its answers), an answer that names another record, a
//! malformed answer, or more answers than records is an error naming the rule; that batch's
//! records go to quarantine with it and the next batch starts a fresh process.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::{Check, Document, Filter, FilterConfig, FilterError};

/// Options of `command`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CommandRuleConfig {
    /// The rule's version, written into decisions.
    pub version: String,
    /// The program and its arguments, e.g. `["python3", "rules/short_lines.py"]`.
    pub command: Vec<String>,
    /// Seconds the program may take to answer one batch.
    pub timeout_seconds: u64,
}

impl Default for CommandRuleConfig {
    fn default() -> Self {
        Self { version: "1".into(), command: Vec::new(), timeout_seconds: 60 }
    }
}

fn invalid(message: String) -> FilterError {
    FilterError::Invalid { filter: CommandRuleConfig::NAME.into(), message }
}

/// Whether `program` can be run: a path to an executable file, or a name found on PATH.
fn executable(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let runnable =
        |p: &std::path::Path| p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if program.contains('/') {
        return runnable(std::path::Path::new(program));
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| runnable(&d.join(program))))
}

impl FilterConfig for CommandRuleConfig {
    const NAME: &'static str = "command";
    const DESCRIPTION: &'static str =
        "A rule as an external program: records as JSONL on stdin, decisions as JSONL on stdout";

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        let Some(program) = self.command.first() else {
            return Err(invalid(
                "`command` is missing: the program and its arguments, e.g. [\"python3\", \"rule.py\"]".into(),
            ));
        };
        if !executable(program) {
            return Err(invalid(format!(
                "`command`: {program:?} is not an executable file or a program on PATH"
            )));
        }
        if self.timeout_seconds == 0 {
            return Err(invalid("`timeout_seconds` must be at least 1".into()));
        }
        Ok(Box::new(CommandRule { config: self.clone(), process: Mutex::new(None) }))
    }
}

/// A running rule program. Its stdin is away in a writer thread while a batch is written.
struct Process {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<std::io::Result<String>>,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a program that closed its pipes ended (waiting up to a second for it to finish).
fn exit_status(child: &mut Child) -> String {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(1) {
        if let Ok(Some(status)) = child.try_wait() {
            return status.to_string();
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    "it closed its output but is still running".into()
}

/// The `command` filter.
pub struct CommandRule {
    config: CommandRuleConfig,
    process: Mutex<Option<Process>>,
}

impl CommandRule {
    fn start(&self) -> Result<Process, String> {
        let mut child = Command::new(&self.config.command[0])
            .args(&self.config.command[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting {:?}: {e}", self.config.command))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Process { child, stdin: Some(stdin), lines })
    }

    /// Sends the batch (from a writer thread, so that a program that stops reading cannot
    /// block curate past the deadline) and reads one answer per record, each naming its record.
    fn ask(&self, process: &mut Process, docs: &[Document]) -> Result<Vec<Check>, String> {
        let mut input = Vec::new();
        for doc in docs {
            let mut record = match doc.meta.as_deref().and_then(|m| serde_json::from_str(m).ok()) {
                Some(Value::Object(m)) => m,
                _ => serde_json::Map::new(),
            };
            record.insert("id".into(), json!(doc.id));
            record.insert("text".into(), json!(doc.text));
            record.insert("language".into(), json!(doc.language));
            record.insert("language_score".into(), json!(doc.language_score));
            serde_json::to_writer(&mut input, &record).map_err(|e| e.to_string())?;
            input.push(b'\n');
        }
        let timeout = Duration::from_secs(self.config.timeout_seconds);
        let deadline = Instant::now() + timeout;
        let mut stdin = process.stdin.take().ok_or("the program's input is closed")?;
        let (written_tx, written) = mpsc::channel();
        std::thread::spawn(move || {
            let result = stdin.write_all(&input).and_then(|()| stdin.flush());
            let _ = written_tx.send((stdin, result));
        });
        let mut checks = Vec::with_capacity(docs.len());
        for (i, doc) in docs.iter().enumerate() {
            let wait = deadline.saturating_duration_since(Instant::now());
            let line = match process.lines.recv_timeout(wait) {
                Ok(Ok(line)) => line,
                Ok(Err(e)) => return Err(format!("reading its answers: {e}")),
                Err(RecvTimeoutError::Timeout) => {
                    let reading = written.try_recv().is_err();
                    return Err(format!(
                        "no answer for record {i} (`{}`) within {} s{}",
                        doc.id,
                        self.config.timeout_seconds,
                        if reading { " (it had not read the whole batch)" } else { "" }
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = exit_status(&mut process.child);
                    return Err(format!(
                        "the program exited ({status}) after answering {i} of {} records",
                        docs.len()
                    ));
                }
            };
            let quote = || line.chars().take(120).collect::<String>();
            let answer: Value = serde_json::from_str(&line)
                .map_err(|e| format!("answer {i} is not JSON ({e}): {:?}", quote()))?;
            match answer.get("id") {
                Some(Value::String(id)) if id == &doc.id => {}
                Some(other) => {
                    return Err(format!(
                        "answer {i} names record {other}, but record {i} of the batch is `{}`: \
                         answers must come one per record, in order",
                        doc.id
                    ))
                }
                None => {
                    return Err(format!(
                        "answer {i} does not name its record: add the record's \"id\" to each \
                         answer, e.g. {{\"id\": \"{}\", \"keep\": true}}",
                        doc.id
                    ))
                }
            }
            let Some(keep) = answer.get("keep").and_then(Value::as_bool) else {
                return Err(format!("answer {i} has no boolean `keep`: {:?}", quote()));
            };
            let score = answer.get("score").and_then(Value::as_f64);
            let reason =
                answer.get("reason").and_then(Value::as_str).unwrap_or("dropped by the program").to_string();
            checks.push(Check::new("verdict", score, None, keep, reason));
        }
        // Every record is answered, so the program has read the batch: its stdin comes back.
        match written.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok((stdin, Ok(()))) => process.stdin = Some(stdin),
            Ok((_, Err(e))) => return Err(format!("writing the batch to the program: {e}")),
            Err(_) => return Err(format!("the batch was not read within {} s", self.config.timeout_seconds)),
        }
        if let Ok(extra) = process.lines.try_recv() {
            let extra = extra.unwrap_or_default();
            return Err(format!(
                "it answered more lines than the batch's {} records (next: {:?})",
                docs.len(),
                extra.chars().take(120).collect::<String>()
            ));
        }
        Ok(checks)
    }
}

impl Filter for CommandRule {
    fn version(&self) -> &str {
        &self.config.version
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        crate::check_alone(self, doc)
    }

    fn check_batch(&self, docs: &mut [Document]) -> Result<Vec<Vec<Check>>, FilterError> {
        let quarantine = |message: String| FilterError::Quarantine {
            filter: CommandRuleConfig::NAME.into(),
            message: format!("command {:?}: {message}", self.config.command),
        };
        let mut slot = self.process.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() {
            *slot = Some(self.start().map_err(quarantine)?);
        }
        let process = slot.as_mut().expect("just started");
        match self.ask(process, docs) {
            Ok(checks) => Ok(checks.into_iter().map(|c| vec![c]).collect()),
            Err(message) => {
                // A fresh process for the next batch.
                *slot = None;
                Err(quarantine(message))
            }
        }
    }
}
