//! The dataflow: tasks in parallel, each streaming its input through the steps in batches.
//!
//! Per task, a reader thread decompresses and cuts the input into batches; the task's thread
//! takes windows of batches, parses and filters them in parallel on the rayon pool, and writes
//! the results in input order, so outputs are the same for the same input and config whatever
//! the thread count. Memory per task is bounded by the channel, the window and the row-group
//! buffers, never by the input's size.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context, Result};
use curate_filters::dedup::{DedupMethod, Signature};
use curate_schemas::output::{
    self, BandTable, DecisionTable, DocumentTable, QuarantineTable, SignatureTable,
};
use curate_schemas::{DecisionRow, Document, QuarantineRow};
use curate_sources::jsonl::{BatchLimits, LineBatches};
use curate_sources::open::ByteCount;
use curate_sources::parquet::ParquetBatches;
use curate_sources::writer::ParquetShard;
use curate_sources::{parse, FieldNames, Format, RawItem};
use rayon::prelude::*;

use crate::config::{BuiltSteps, Step};
use crate::counts::TaskCounts;
use crate::cpu_time::thread_cpu_seconds;
use crate::engine::apply::DedupStepInfo;
use crate::engine::row_groups::flush;
use crate::engine::run_dir::{RunDir, Task};
use crate::progress::Progress;

/// A step ready to run, with the names its decisions carry.
struct RunStep {
    name: Arc<str>,
    version: Arc<str>,
    step: Step,
}

/// The quarantine row of a record that `step` could not judge.
fn quarantine_row(doc: &Document, step: &str, message: &str) -> QuarantineRow {
    let record = serde_json::json!({"id": doc.id, "text": doc.text, "meta": doc.meta});
    QuarantineRow {
        source_file: doc.source.to_string(),
        line: doc.line,
        byte_offset: None,
        error: format!("step `{step}`: {message}"),
        raw: Some(QuarantineRow::raw_excerpt(record.to_string().as_bytes())),
    }
}

/// A stage ready to run over tasks.
pub struct Pipeline {
    stage: Arc<str>,
    steps: Vec<RunStep>,
    dedup: Vec<(Arc<str>, DedupMethod)>,
    fields: FieldNames,
    limits: BatchLimits,
    window: usize,
    /// Tasks of the buckets phase (0: no near-duplicate dedup step); band files are sorted by
    /// bucket when a filter task ends.
    buckets: usize,
    /// Counts every record's tokens, when the run names a tokenizer.
    tokenizer: Option<Arc<crate::tokens::Tokenizer>>,
    /// The workers that parse and filter batches. A pool of our own: libraries (lingua) may
    /// have set up rayon's global pool with another size before the run starts.
    pool: rayon::ThreadPool,
}

/// What one batch became.
struct BatchOutput {
    kept: Vec<Document>,
    /// Per kept document, its signature for each dedup step.
    signatures: Vec<Vec<Signature>>,
    rejected: Vec<(Document, DecisionRow)>,
    decisions: Vec<DecisionRow>,
    quarantined: Vec<QuarantineRow>,
    /// Records of the batch that parsed (the others are the first quarantine rows).
    parsed: usize,
    counts: TaskCounts,
}

impl Pipeline {
    /// A pipeline for `stage` running `steps` on `threads` workers.
    pub fn new(
        stage: &str,
        steps: BuiltSteps,
        fields: FieldNames,
        limits: BatchLimits,
        threads: usize,
    ) -> Result<Self> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("curate-worker-{i}"))
            .build()
            .context("starting the worker pool")?;
        let dedup = steps.dedup.into_iter().map(|d| (Arc::from(d.name.as_str()), d.method)).collect();
        let steps = steps
            .filters
            .into_iter()
            .map(|step| RunStep {
                name: Arc::from(step.name.as_str()),
                version: Arc::from(step.filter.version()),
                step,
            })
            .collect();
        Ok(Self {
            stage: Arc::from(stage),
            steps,
            dedup,
            fields,
            limits,
            window: threads.max(2),
            buckets: 0,
            tokenizer: None,
            pool,
        })
    }

    /// Counts every record's tokens with `tokenizer` as it is read.
    pub fn with_tokenizer(mut self, tokenizer: Option<Arc<crate::tokens::Tokenizer>>) -> Self {
        self.tokenizer = tokenizer;
        self
    }

    /// Sets the number of buckets of near-duplicate dedup ([`crate::config::StageConfig::dedup_buckets`]).
    pub fn with_buckets(mut self, buckets: usize) -> Self {
        self.buckets = buckets;
        self
    }

    /// Whether the stage has dedup steps, which run across all shards after the filters.
    pub fn has_dedup(&self) -> bool {
        !self.dedup.is_empty()
    }

    fn empty_counts(&self) -> TaskCounts {
        TaskCounts::for_steps(self.steps.iter().map(|s| &*s.name).chain(self.dedup.iter().map(|(n, _)| &**n)))
    }

    /// Parses and filters one batch.
    fn process_batch(&self, items: Vec<RawItem>) -> Result<BatchOutput> {
        let mut out = BatchOutput {
            kept: Vec::new(),
            signatures: Vec::new(),
            rejected: Vec::new(),
            decisions: Vec::new(),
            quarantined: Vec::new(),
            parsed: 0,
            counts: self.empty_counts(),
        };
        let mut alive = Vec::with_capacity(items.len());
        for item in items {
            match item {
                RawItem::Line(line) => match parse::parse_line(line, &self.fields) {
                    Ok(doc) => alive.push(doc),
                    Err(q) => out.quarantined.push(q),
                },
                RawItem::Document(doc) => alive.push(doc),
                RawItem::Quarantined(q) => out.quarantined.push(q),
            }
        }
        if let Some(tokenizer) = &self.tokenizer {
            let cpu = thread_cpu_seconds();
            for doc in &mut alive {
                doc.tokens = Some(tokenizer.count(&doc.text));
                out.counts.tokens_bytes += doc.text.len() as u64;
            }
            out.counts.tokens_seconds += thread_cpu_seconds() - cpu;
            out.counts.tokenizer = Some(tokenizer.identity().to_string());
        }
        out.parsed = alive.len();
        out.counts.input = (alive.len() + out.quarantined.len()) as u64;
        out.counts.quarantined = out.quarantined.len() as u64;

        for (run_step, step_counts) in self.steps.iter().zip(out.counts.steps.iter_mut()) {
            step_counts.seen += alive.len() as u64;
            let (started, cpu) = (std::time::Instant::now(), thread_cpu_seconds());
            let result = run_step.step.filter.check_batch(&mut alive);
            step_counts.seconds += thread_cpu_seconds() - cpu;
            step_counts.wall_seconds += started.elapsed().as_secs_f64();
            let checks = match result {
                Ok(checks) => checks,
                // The step could not judge these records (an external rule crashed): they go to
                // quarantine with the reason, and the run goes on.
                Err(curate_filters::FilterError::Quarantine { message, .. }) => {
                    for doc in alive.drain(..) {
                        out.quarantined.push(quarantine_row(&doc, &run_step.name, &message));
                    }
                    continue;
                }
                Err(e) => return Err(anyhow::Error::new(e).context(format!("step `{}`", run_step.name))),
            };
            let mut next = Vec::with_capacity(alive.len());
            for (doc, checks) in alive.into_iter().zip(checks) {
                let mut failed: Option<DecisionRow> = None;
                for check in checks {
                    let row = DecisionRow {
                        id: doc.id.clone(),
                        item: check.item.clone(),
                        source_file: doc.source.clone(),
                        stage: self.stage.clone(),
                        step: run_step.name.clone(),
                        rule: Arc::from(check.rule.as_ref()),
                        rule_version: run_step.version.clone(),
                        score: check.score,
                        threshold: check.threshold,
                        kept: check.passed,
                        reason: (!check.passed).then(|| match &check.item {
                            None => format!("{}: {}", run_step.name, check.reason),
                            Some(item) => format!("{}: {item}: {}", run_step.name, check.reason),
                        }),
                    };
                    if !check.passed && failed.is_none() && check.item.is_none() {
                        failed = Some(row.clone());
                    }
                    out.decisions.push(row);
                }
                match failed {
                    None => next.push(doc),
                    Some(decision) => {
                        step_counts.rejected += 1;
                        *step_counts.rules.entry(decision.rule.to_string()).or_default() += 1;
                        out.rejected.push((doc, decision));
                    }
                }
            }
            alive = next;
        }
        out.counts.rejected = out.rejected.len() as u64;
        out.counts.kept = alive.len() as u64;
        for doc in &alive {
            let lang = doc.language.clone().unwrap_or_else(|| "unknown".into());
            *out.counts.languages.entry(lang).or_default() += 1;
        }
        if self.has_dedup() {
            let first_dedup = self.steps.len();
            let mut signatures: Vec<Vec<_>> =
                alive.iter().map(|_| Vec::with_capacity(self.dedup.len())).collect();
            for (i, (_, method)) in self.dedup.iter().enumerate() {
                let (started, cpu) = (std::time::Instant::now(), thread_cpu_seconds());
                for (doc, sigs) in alive.iter().zip(signatures.iter_mut()) {
                    sigs.push(method.signature(&doc.text));
                }
                let step = &mut out.counts.steps[first_dedup + i];
                step.seconds += thread_cpu_seconds() - cpu;
                step.wall_seconds += started.elapsed().as_secs_f64();
            }
            out.signatures = signatures;
        }
        out.counts.quarantined = out.quarantined.len() as u64;
        out.kept = alive;
        Ok(out)
    }

    /// Runs every task of `tasks` that has not finished yet, `threads` at a time. Returns the
    /// counts of all tasks (finished earlier or now) and how many were resumed from markers.
    pub fn run(
        &self,
        tasks: &[Task],
        dir: &RunDir,
        threads: usize,
        progress: &Progress,
    ) -> Result<(TaskCounts, usize)> {
        let mut finished = Vec::new();
        let mut pending = Vec::new();
        for (index, task) in tasks.iter().enumerate() {
            match dir.finished(task)? {
                Some(counts) => finished.push(counts),
                None => pending.push((index, task)),
            }
        }
        if self.has_dedup() && !pending.is_empty() && dir.intermediates_removed() && !finished.is_empty() {
            // The finished tasks' signatures are gone: the dedup needs every task again.
            dir.forget_all(tasks)?;
            pending = tasks.iter().enumerate().collect();
            finished.clear();
        }
        let mut total = self.empty_counts();
        let resumed = finished.len();
        for counts in &finished {
            total.merge(counts);
            progress.task_done(counts, counts.bytes_read);
        }
        let next = AtomicUsize::new(0);
        let abort = AtomicBool::new(false);
        let results: Mutex<Vec<Result<TaskCounts>>> = Mutex::new(Vec::new());
        let runners = threads.min(pending.len()).max(1);
        std::thread::scope(|scope| {
            for _ in 0..runners {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= pending.len() || abort.load(Ordering::SeqCst) {
                        break;
                    }
                    let (index, _) = pending[i];
                    let result = self.filter_task(tasks, index, dir, progress);
                    if result.is_err() {
                        abort.store(true, Ordering::SeqCst);
                    }
                    results.lock().expect("results lock").push(result);
                });
            }
        });
        for result in results.into_inner().expect("results lock") {
            total.merge(&result?);
        }
        Ok((total, resumed))
    }

    /// Runs filter task `index` of `tasks` unless its marker says it is done; returns its counts.
    pub fn filter_task(
        &self,
        tasks: &[Task],
        index: usize,
        dir: &RunDir,
        progress: &Progress,
    ) -> Result<TaskCounts> {
        let task = &tasks[index];
        if let Some(counts) = dir.finished(task)? {
            return Ok(counts);
        }
        // The plan listed the input; a task may start hours later on another host. (Local files:
        // a URL's version is checked when the run is resumed, not per task.)
        let local = matches!(task.input.location, curate_sources::Location::Local(_));
        if let Some(change) =
            local.then(|| task.input.restat().ok()).flatten().and_then(|now| task.input.changed(&now))
        {
            bail!(
                "input {} changed since the run was planned ({change}): its records would not be the ones \
                 the other shards were deduplicated with. Restore it, or plan the run again into another \
                 --output",
                task.input.name
            );
        }
        if self.has_dedup() {
            if dir.intermediates_removed() {
                bail!(
                    "the run finished and removed the other shards' dedup signatures, so shard {} cannot \
                     be redone alone: rerun the stage into this directory on one machine (it redoes every \
                     shard), or into a new --output",
                    task.input.name
                );
            }
            // New filter results: the clusters, and every shard's split by them, are stale.
            dir.invalidate_dedup()?;
        }
        dir.unfinish_run()?;
        self.run_task(task, index, dir, progress)
    }

    /// Runs one task from scratch and marks it finished.
    fn run_task(&self, task: &Task, index: usize, dir: &RunDir, progress: &Progress) -> Result<TaskCounts> {
        dir.clear(task)?;
        let exact: Vec<bool> = self.dedup.iter().map(|(_, m)| matches!(m, DedupMethod::Exact(_))).collect();
        let mut writer = TaskWriter::create(dir, task, index, exact)?;
        let bytes = ByteCount::default();
        let (tx, rx) = sync_channel::<(Vec<RawItem>, u64)>(self.window * 2);
        let mut counts = self.empty_counts();
        let (blank_lines, counted) = std::thread::scope(|scope| -> Result<(u64, u64)> {
            let reader = scope.spawn(|| read_task(task, &self.fields, self.limits, dir, bytes.clone(), tx));
            let processed = self.process_stream(task, &rx, &mut writer, &mut counts, progress);
            drop(rx);
            let blank =
                reader.join().map_err(|_| anyhow::anyhow!("reader of {} panicked", task.input.name))?;
            Ok((blank, processed?))
        })?;
        counts.blank_lines = blank_lines;
        counts.bytes_read = bytes.task.load(Ordering::Relaxed);
        writer.commit()?;
        if self.buckets > 0 {
            crate::engine::buckets::sort_by_bucket(
                &dir.output("bands", task),
                self.buckets,
                &dir.tmp().join(format!("duckdb-sort-{}", task.id)),
            )?;
        }
        if !counts.balanced() {
            bail!(
                "task {}: {} inputs but {} kept + {} rejected + {} quarantined",
                task.id,
                counts.input,
                counts.kept,
                counts.rejected,
                counts.quarantined
            );
        }
        dir.finish(task, &counts)?;
        crate::memory::release_free_memory();
        progress.task_done(&TaskCounts::default(), counts.bytes_read.saturating_sub(counted));
        Ok(counts)
    }

    /// Processes the task's batches as they come; returns the input bytes counted as done.
    fn process_stream(
        &self,
        task: &Task,
        rx: &Receiver<(Vec<RawItem>, u64)>,
        writer: &mut TaskWriter,
        counts: &mut TaskCounts,
        progress: &Progress,
    ) -> Result<u64> {
        let mut first = true;
        let mut counted = 0;
        while let Ok(next) = rx.recv() {
            let mut window = vec![next];
            while window.len() < self.window {
                match rx.try_recv() {
                    Ok(batch) => window.push(batch),
                    Err(_) => break,
                }
            }
            let read_at: Vec<u64> = window.iter().map(|(_, at)| *at).collect();
            let outputs: Vec<BatchOutput> = self.pool.install(|| {
                window.into_par_iter().map(|(b, _)| self.process_batch(b)).collect::<Result<_>>()
            })?;
            for (out, at) in outputs.into_iter().zip(read_at) {
                if std::mem::take(&mut first) {
                    // The whole first batch unreadable for want of the text field: a wrong field
                    // name, not bad records.
                    if let Some(problem) = crate::field_check::problem(
                        &task.input.name,
                        &out.quarantined,
                        out.parsed,
                        &self.fields,
                    ) {
                        bail!("{problem}; then rerun into another --output");
                    }
                }
                progress.batch_done(&out.counts, at.saturating_sub(counted));
                counted = counted.max(at);
                counts.merge(&out.counts);
                writer.append(out)?;
            }
        }
        Ok(counted)
    }
}

impl Pipeline {
    /// After every task ran its filters: the buckets, the MinHash pairs verified (attach, then
    /// verify), the duplicates of the whole run, then each task's pending records split into
    /// kept and rejected (each task marks its counts).
    pub fn dedup(&self, tasks: &[Task], dir: &RunDir, threads: usize, memory_limit: &str) -> Result<()> {
        on_threads(self.buckets, threads, |k| self.buckets_task(dir, k, memory_limit))?;
        if !self.minhash_steps().is_empty() {
            on_threads(tasks.len(), threads, |t| self.attach_task(tasks, t, dir, memory_limit))?;
            on_threads(tasks.len(), threads, |t| self.verify_task(tasks, t, dir, memory_limit))?;
        }
        self.cluster(dir, memory_limit, &|_| {})?;
        on_threads(tasks.len(), threads, |i| self.apply_task(tasks, i, dir))?;
        Ok(())
    }

    /// The dedup steps, numbered.
    fn numbered_dedup_steps(&self) -> Vec<(usize, DedupMethod)> {
        self.dedup.iter().enumerate().map(|(i, (_, m))| (i, m.clone())).collect()
    }

    /// The MinHash steps: (index among the dedup steps, threshold).
    fn minhash_steps(&self) -> Vec<(usize, f64)> {
        crate::engine::verify::minhash_steps(&self.numbered_dedup_steps())
    }

    /// Buckets task `bucket`: the candidate pairs of its bands and hashes, unless they were found.
    pub fn buckets_task(&self, dir: &RunDir, bucket: usize, memory_limit: &str) -> Result<()> {
        if dir.part_done("buckets", bucket) {
            return Ok(());
        }
        let pairs = crate::engine::buckets::find_candidates(
            dir.root(),
            bucket,
            &self.numbered_dedup_steps(),
            memory_limit,
        )
        .with_context(|| format!("bucket {bucket} of the near-duplicate dedup"))?;
        dir.finish_part("buckets", bucket, pairs)?;
        crate::memory::release_free_memory();
        Ok(())
    }

    /// Attach task `index`: shard `index`'s signatures joined to the MinHash candidate pairs
    /// whose earlier document it holds, unless that was done.
    pub fn attach_task(&self, tasks: &[Task], index: usize, dir: &RunDir, memory_limit: &str) -> Result<()> {
        self.signature_task("attach", crate::engine::verify::attach, tasks, index, dir, memory_limit)
    }

    /// Verify task `index`: the attached pairs whose later document shard `index` holds,
    /// compared; the similar ones written as edges, unless that was done.
    pub fn verify_task(&self, tasks: &[Task], index: usize, dir: &RunDir, memory_limit: &str) -> Result<()> {
        self.signature_task("verify", crate::engine::verify::verify, tasks, index, dir, memory_limit)
    }

    /// Task `index` of the dedup phase `phase` that reads shard `index`'s signatures against
    /// its share of the pairs (`join`: [`crate::engine::verify::attach`] or `verify`), unless
    /// its marker is written.
    fn signature_task(
        &self,
        phase: &str,
        join: crate::engine::verify::ShardJoin,
        tasks: &[Task],
        index: usize,
        dir: &RunDir,
        memory_limit: &str,
    ) -> Result<()> {
        if dir.part_done(phase, index) {
            return Ok(());
        }
        let task = &tasks[index];
        let signatures = dir.output("signatures", task);
        let rows = join(dir.root(), index, &task.id, &signatures, &self.minhash_steps(), memory_limit)?;
        dir.finish_part(phase, index, rows)?;
        crate::memory::release_free_memory();
        Ok(())
    }

    /// The cluster phase: finds the duplicates across every shard, unless they were found;
    /// tells `note` how long its parts took.
    pub fn cluster(&self, dir: &RunDir, memory_limit: &str, note: &dyn Fn(&str)) -> Result<()> {
        if dir.dedup_done()?.is_none() {
            let per_step = crate::engine::cluster::cluster(dir.root(), self.dedup.len(), memory_limit, note)?;
            dir.finish_dedup(&per_step)?;
            crate::memory::release_free_memory();
        }
        Ok(())
    }

    /// Apply task `index`: splits the shard's pending records into kept and rejected by the
    /// clusters, unless it was done against these clusters. Returns the shard's final counts.
    pub fn apply_task(&self, tasks: &[Task], index: usize, dir: &RunDir) -> Result<TaskCounts> {
        let task = &tasks[index];
        (|| -> Result<TaskCounts> {
            if let Some(done) = dir.finished_final(task)? {
                return Ok(done);
            }
            let filtered = dir.finished(task)?.context("task has no filter results")?;
            dir.clear_final(task)?;
            let counts =
                crate::engine::apply::apply(dir, task, index, &self.stage, &self.dedup_infos(), &filtered)?;
            dir.finish_final(task, &counts)?;
            crate::memory::release_free_memory();
            Ok(counts)
        })()
        .with_context(|| format!("dedup of {}", task.input.name))
    }

    fn dedup_infos(&self) -> Vec<DedupStepInfo> {
        self.dedup
            .iter()
            .map(|(name, method)| {
                let (rule, threshold) = match method {
                    DedupMethod::Exact(_) => ("exact_duplicate", Some(1.0)),
                    DedupMethod::MinHash(c, _) => ("near_duplicate", Some(c.threshold)),
                    DedupMethod::SimHash(c) => ("near_duplicate", Some(1.0 - c.max_distance as f64 / 64.0)),
                };
                DedupStepInfo {
                    name: name.clone(),
                    rule: Arc::from(rule),
                    version: Arc::from("1"),
                    threshold,
                }
            })
            .collect()
    }
}

/// Runs `task(0..count)` on up to `threads` threads, each taking the next number; the first
/// error, if any, once all ran.
fn on_threads<T>(count: usize, threads: usize, task: impl Fn(usize) -> Result<T> + Sync) -> Result<()> {
    let next = AtomicUsize::new(0);
    let errors: Mutex<Vec<anyhow::Error>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads.min(count).max(1) {
            scope.spawn(|| {
                // The DuckDB databases of this worker's tasks serve its next ones; closed here.
                let _reuse = crate::engine::cluster::DuckdbReuse::enter();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= count {
                        break;
                    }
                    if let Err(e) = task(i) {
                        errors.lock().expect("errors lock").push(e);
                    }
                }
            });
        }
    });
    errors.into_inner().expect("errors lock").into_iter().next().map_or(Ok(()), Err)
}

/// Reads a task's input into batches on `tx`; returns the blank lines it skipped.
fn read_task(
    task: &Task,
    fields: &FieldNames,
    limits: BatchLimits,
    dir: &RunDir,
    bytes: ByteCount,
    tx: SyncSender<(Vec<RawItem>, u64)>,
) -> u64 {
    // Each batch goes with the input bytes read when it was cut: progress counts work done.
    let at = |bytes: &ByteCount| bytes.task.load(Ordering::Relaxed);
    let source: Arc<str> = Arc::from(task.input.name.as_str());
    match task.input.format {
        Format::Jsonl(_) => match curate_sources::open::open_jsonl(&task.input, bytes.clone()) {
            Ok(reader) => {
                let mut batches = LineBatches::new(reader, source, limits);
                for batch in batches.by_ref() {
                    if tx.send((batch, at(&bytes))).is_err() {
                        break;
                    }
                }
                batches.blank_lines
            }
            Err(e) => {
                let _ = tx.send((
                    vec![RawItem::Quarantined(QuarantineRow {
                        source_file: task.input.name.clone(),
                        line: 0,
                        byte_offset: None,
                        error: format!("could not open: {e}"),
                        raw: None,
                    })],
                    0,
                ));
                0
            }
        },
        Format::Parquet => {
            for batch in ParquetBatches::open(&task.input, fields, limits, &dir.tmp(), bytes.clone()) {
                if tx.send((batch, at(&bytes))).is_err() {
                    break;
                }
            }
            0
        }
        Format::Arrow => {
            for batch in
                curate_sources::arrow_ipc::ArrowBatches::open(&task.input, fields, limits, bytes.clone())
            {
                if tx.send((batch, at(&bytes))).is_err() {
                    break;
                }
            }
            0
        }
    }
}

/// The outputs of a task, buffered into row groups.
struct TaskWriter {
    /// Kept records, or pending ones when dedup follows.
    kept: (DocumentTable, ParquetShard),
    rejected: (DocumentTable, ParquetShard),
    decisions: (DecisionTable, ParquetShard),
    quarantine: (QuarantineTable, ParquetShard),
    /// Dedup signatures and bands, when the stage has dedup steps.
    dedup: Option<((SignatureTable, ParquetShard), (BandTable, ParquetShard))>,
    /// `doc` number of the next pending record: task index << 32 | ordinal.
    next_doc: u64,
    /// Per dedup step, whether it is exact dedup, whose text hash goes to the band file as the
    /// step's one band (so the buckets phase finds it by bucket like the LSH bands).
    exact: Vec<bool>,
}

impl TaskWriter {
    fn create(dir: &RunDir, task: &Task, index: usize, exact: Vec<bool>) -> Result<Self> {
        let dedup_steps = exact.len();
        // With dedup, the records kept so far wait in `pending/`, an intermediate.
        let kept = if dedup_steps > 0 {
            ParquetShard::scratch(&dir.pending(task), &output::kept_schema())?
        } else {
            ParquetShard::create(&dir.output("kept", task), &output::kept_schema())?
        };
        let dedup = if dedup_steps > 0 {
            Some((
                (
                    SignatureTable::new(dedup_steps),
                    ParquetShard::scratch(
                        &dir.output("signatures", task),
                        &SignatureTable::schema(dedup_steps),
                    )?,
                ),
                (
                    BandTable::default(),
                    ParquetShard::scratch(&dir.output("bands", task), &BandTable::schema())?,
                ),
            ))
        } else {
            None
        };
        if index >= 1 << 31 {
            bail!("too many input shards for dedup document numbers ({index})");
        }
        Ok(Self {
            dedup,
            next_doc: (index as u64) << 32,
            exact,
            kept: (DocumentTable::kept(), kept),
            rejected: (
                DocumentTable::rejected(),
                ParquetShard::create(&dir.output("rejected", task), &output::rejected_schema())?,
            ),
            decisions: (
                DecisionTable::default(),
                ParquetShard::create(&dir.output("decisions", task), &output::decisions_schema())?,
            ),
            quarantine: (
                QuarantineTable::default(),
                ParquetShard::create(&dir.output("quarantine", task), &output::quarantine_schema())?,
            ),
        })
    }

    fn append(&mut self, out: BatchOutput) -> Result<()> {
        if let Some(((sigs, _), (bands, _))) = &mut self.dedup {
            for (doc, signatures) in out.kept.iter().zip(out.signatures) {
                let number = self.next_doc;
                self.next_doc += 1;
                let keys: Vec<u64> = signatures.iter().map(|s| s.key).collect();
                for (step, s) in signatures.iter().enumerate() {
                    if self.exact[step] {
                        bands.push(number, step as u32, s.key, s.key);
                    }
                    for band in &s.bands {
                        bands.push(number, step as u32, *band, s.key);
                    }
                }
                sigs.push(number, doc, &keys, signatures.into_iter().map(|s| s.sig).collect());
            }
        }
        for doc in out.kept {
            self.kept.0.push(doc);
        }
        for (doc, decision) in out.rejected {
            self.rejected.0.push_rejected(doc, &decision);
        }
        for d in out.decisions {
            self.decisions.0.push(d);
        }
        for q in out.quarantined {
            self.quarantine.0.push(q);
        }
        flush(&mut self.kept, false)?;
        flush(&mut self.rejected, false)?;
        flush(&mut self.decisions, false)?;
        flush(&mut self.quarantine, false)?;
        if let Some((sigs, bands)) = &mut self.dedup {
            flush(sigs, false)?;
            flush(bands, false)?;
        }
        Ok(())
    }

    fn commit(mut self) -> Result<()> {
        flush(&mut self.kept, true)?;
        flush(&mut self.rejected, true)?;
        flush(&mut self.decisions, true)?;
        flush(&mut self.quarantine, true)?;
        if let Some((mut sigs, mut bands)) = self.dedup {
            flush(&mut sigs, true)?;
            flush(&mut bands, true)?;
            sigs.1.commit()?;
            bands.1.commit()?;
        }
        self.kept.1.commit()?;
        self.rejected.1.commit()?;
        self.decisions.1.commit()?;
        self.quarantine.1.commit()?;
        Ok(())
    }
}
