//! Progress on stderr: tasks done, records/s, MB/s and the kept share. Hidden when stderr is
//! not a terminal (indicatif draws nothing then).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::counts::TaskCounts;

/// Live counters of a run, shown as one progress line.
pub struct Progress {
    bar: ProgressBar,
    start: Instant,
    records: AtomicU64,
    kept: AtomicU64,
    /// Bytes read so far, shared with the readers.
    pub bytes: Arc<AtomicU64>,
}

impl Progress {
    /// A progress line for a run of `tasks` tasks.
    pub fn new(tasks: usize) -> Self {
        let bar = ProgressBar::with_draw_target(Some(tasks as u64), ProgressDrawTarget::stderr_with_hz(4));
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] shards {pos}/{len} {msg}")
                .expect("valid template"),
        );
        Self {
            bar,
            start: Instant::now(),
            records: AtomicU64::new(0),
            kept: AtomicU64::new(0),
            bytes: Arc::default(),
        }
    }

    /// Counts a processed batch.
    pub fn batch_done(&self, counts: &TaskCounts) {
        let records = self.records.fetch_add(counts.input, Ordering::Relaxed) + counts.input;
        let kept = self.kept.fetch_add(counts.kept, Ordering::Relaxed) + counts.kept;
        if self.bar.is_hidden() {
            return;
        }
        let secs = self.start.elapsed().as_secs_f64().max(1e-3);
        let mb = self.bytes.load(Ordering::Relaxed) as f64 / 1e6;
        self.bar.set_message(format!(
            "{records} records ({:.0}/s), {mb:.1} MB ({:.1} MB/s), kept {:.1}%",
            records as f64 / secs,
            mb / secs,
            100.0 * kept as f64 / records.max(1) as f64
        ));
    }

    /// Counts a finished task; `counts` are added when the task was finished by an earlier run.
    pub fn task_done(&self, counts: &TaskCounts) {
        self.records.fetch_add(counts.input, Ordering::Relaxed);
        self.kept.fetch_add(counts.kept, Ordering::Relaxed);
        self.bar.inc(1);
    }

    /// Removes the progress line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
