//! Progress of a run on stderr, from work done: input bytes whose records went through the
//! steps (out of the plan's total), records, the kept share, shards done, the phase, and an
//! estimate of the time left. On a terminal it is one live line; otherwise (a file, a pipe: a
//! batch job under Slurm, nohup, CI) one log line every `interval`, as text or as JSON.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::counts::TaskCounts;

/// How progress is written when stderr is not a terminal (and, for JSON, always).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// A live line on a terminal, else a text line every interval.
    Text,
    /// A JSON object per line every interval, terminal or not.
    Json,
}

/// The counters a progress line shows.
#[derive(Default)]
struct Counters {
    records: AtomicU64,
    kept: AtomicU64,
    bytes_done: AtomicU64,
    shards_done: AtomicU64,
}

/// One progress report, as the JSON log writes it.
#[derive(Debug, Serialize)]
struct Report<'a> {
    elapsed_s: f64,
    phase: &'a str,
    shards_done: u64,
    shards: u64,
    records: u64,
    records_per_s: f64,
    kept: u64,
    bytes_done: u64,
    bytes_total: u64,
    mb_per_s: f64,
    percent: Option<f64>,
    eta_s: Option<f64>,
}

/// Live progress of a run.
pub struct Progress {
    bar: ProgressBar,
    start: Instant,
    counters: Arc<Counters>,
    shards: u64,
    bytes_total: u64,
    phase: Arc<Mutex<String>>,
    stop: Arc<AtomicBool>,
    logger: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl Progress {
    /// Progress of a run of `shards` tasks over `bytes_total` input bytes (0 when unknown).
    pub fn new(shards: usize, bytes_total: u64, format: LogFormat, interval: Duration) -> Self {
        let terminal = console_is_terminal();
        let live = terminal && format == LogFormat::Text;
        let bar = if live {
            let bar = ProgressBar::with_draw_target(
                Some(bytes_total.max(1)),
                ProgressDrawTarget::stderr_with_hz(4),
            );
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar:.cyan/blue} {percent:>3}% eta {eta} {msg}",
                )
                .expect("valid template"),
            );
            bar
        } else {
            ProgressBar::hidden()
        };
        let this = Self {
            bar,
            start: Instant::now(),
            counters: Arc::default(),
            shards: shards as u64,
            bytes_total,
            phase: Arc::new(Mutex::new("filter".into())),
            stop: Arc::default(),
            logger: Mutex::new(None),
        };
        if !live {
            this.start_logger(format, interval);
        }
        this
    }

    fn start_logger(&self, format: LogFormat, interval: Duration) {
        let (counters, phase, stop) = (self.counters.clone(), self.phase.clone(), self.stop.clone());
        let (start, shards, bytes_total) = (self.start, self.shards, self.bytes_total);
        let handle = std::thread::spawn(move || {
            let mut next = Instant::now() + interval;
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(50).min(interval));
                if Instant::now() < next {
                    continue;
                }
                next += interval;
                let phase = phase.lock().map(|p| p.clone()).unwrap_or_default();
                let line = render(&report(&counters, start, &phase, shards, bytes_total), format);
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
        });
        *self.logger.lock().expect("logger lock") = Some(handle);
    }

    /// Names what the run is doing now (e.g. "dedup: clustering").
    pub fn set_phase(&self, phase: &str) {
        if let Ok(mut p) = self.phase.lock() {
            *p = phase.to_string();
        }
        self.bar.set_message(phase.to_string());
    }

    /// Counts a processed batch whose records came from `bytes` more input bytes.
    pub fn batch_done(&self, counts: &TaskCounts, bytes: u64) {
        let c = &self.counters;
        c.records.fetch_add(counts.input, Ordering::Relaxed);
        c.kept.fetch_add(counts.kept, Ordering::Relaxed);
        c.bytes_done.fetch_add(bytes, Ordering::Relaxed);
        self.redraw();
    }

    /// Counts a finished task: `bytes` input bytes not yet counted by its batches, and `counts`
    /// when the task was finished by an earlier run (resumed).
    pub fn task_done(&self, counts: &TaskCounts, bytes: u64) {
        let c = &self.counters;
        c.records.fetch_add(counts.input, Ordering::Relaxed);
        c.kept.fetch_add(counts.kept, Ordering::Relaxed);
        c.bytes_done.fetch_add(bytes, Ordering::Relaxed);
        c.shards_done.fetch_add(1, Ordering::Relaxed);
        self.redraw();
    }

    fn redraw(&self) {
        if self.bar.is_hidden() {
            return;
        }
        let phase = self.phase.lock().map(|p| p.clone()).unwrap_or_default();
        let r = report(&self.counters, self.start, &phase, self.shards, self.bytes_total);
        self.bar.set_position(r.bytes_done);
        self.bar.set_message(r.counts());
    }

    /// Stops the live line and the log.
    pub fn finish(&self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(handle) = self.logger.lock().ok().and_then(|mut l| l.take()) {
            let _ = handle.join();
        }
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

fn console_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

fn report<'a>(c: &Counters, start: Instant, phase: &'a str, shards: u64, bytes_total: u64) -> Report<'a> {
    let elapsed = start.elapsed().as_secs_f64().max(1e-3);
    let (records, bytes_done) = (c.records.load(Ordering::Relaxed), c.bytes_done.load(Ordering::Relaxed));
    let fraction = (bytes_total > 0).then(|| (bytes_done as f64 / bytes_total as f64).min(1.0));
    Report {
        elapsed_s: elapsed,
        phase,
        shards_done: c.shards_done.load(Ordering::Relaxed),
        shards,
        records,
        records_per_s: records as f64 / elapsed,
        kept: c.kept.load(Ordering::Relaxed),
        bytes_done,
        bytes_total,
        mb_per_s: bytes_done as f64 / 1e6 / elapsed,
        percent: fraction.map(|f| 100.0 * f),
        eta_s: fraction.filter(|&f| f > 0.0).map(|f| elapsed * (1.0 - f) / f),
    }
}

fn render(r: &Report, format: LogFormat) -> String {
    match format {
        LogFormat::Json => serde_json::to_string(r).unwrap_or_default(),
        LogFormat::Text => format!(
            "[{}] {}: {} {}{}",
            clock(r.elapsed_s),
            r.phase,
            r.percent.map_or(String::new(), |p| format!("{p:.1}%,")),
            r.counts(),
            r.eta_s.map_or(String::new(), |s| format!(", eta {}", clock(s)))
        ),
    }
}

impl Report<'_> {
    /// Shards, records, bytes and the kept share, as the live line and the text log show them.
    fn counts(&self) -> String {
        format!(
            "shards {}/{}, {} records ({:.0}/s), {:.1}/{:.1} MB ({:.1} MB/s), kept {:.1}%",
            self.shards_done,
            self.shards,
            self.records,
            self.records_per_s,
            self.bytes_done as f64 / 1e6,
            self.bytes_total as f64 / 1e6,
            self.mb_per_s,
            100.0 * self.kept as f64 / self.records.max(1) as f64
        )
    }
}

/// `h:mm:ss`.
fn clock(seconds: f64) -> String {
    let s = seconds.round() as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_share_done_and_time_left() {
        let c = Counters::default();
        c.records.store(1000, Ordering::Relaxed);
        c.kept.store(250, Ordering::Relaxed);
        c.bytes_done.store(25_000_000, Ordering::Relaxed);
        let start = Instant::now() - Duration::from_secs(10);
        let r = report(&c, start, "filter", 4, 100_000_000);
        assert!((r.percent.unwrap() - 25.0).abs() < 1e-9);
        // A quarter in 10 s: 30 s left.
        assert!((r.eta_s.unwrap() - 30.0).abs() < 0.5, "{:?}", r.eta_s);
        let text = render(&r, LogFormat::Text);
        assert!(
            text.contains("25.0%") && text.contains("kept 25.0%") && text.contains("eta 0:00:30"),
            "{text}"
        );
        let json: serde_json::Value = serde_json::from_str(&render(&r, LogFormat::Json)).unwrap();
        assert_eq!(json["records"], 1000);
        assert_eq!(json["bytes_total"], 100_000_000);
        // Unknown total: no share, no estimate.
        assert!(report(&c, start, "filter", 4, 0).eta_s.is_none());
    }
}
