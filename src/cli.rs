//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::sql::OutputFormat;

/// curate: curates training data for large language models.
///
/// Run a stage:  curate --stage pretrain --input 'data/*.jsonl.zst' --output runs/r1
#[derive(Debug, Parser)]
#[command(name = "curate", version, args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Cli {
    /// A command other than running a stage.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Running a stage.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Options of a stage run.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The stage preset to run (see `curate stages`).
    #[arg(long)]
    pub stage: Option<String>,
    /// Input shards: files, globs, directories or http(s) URLs (JSONL, .gz, .zst, Parquet,
    /// Arrow IPC).
    #[arg(long, num_args = 1..)]
    pub input: Vec<String>,
    /// How progress is reported: a live line on a terminal and a text line every
    /// --log-interval seconds otherwise (text), or a JSON object per line (json).
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: crate::progress::LogFormat,
    /// Seconds between progress lines when stderr is not a terminal (or with --log-format json).
    #[arg(long, default_value_t = 10.0)]
    pub log_interval: f64,
    /// Keep what only an unfinished run needs (records pending dedup, signatures, clusters,
    /// scratch) after the run succeeds; by default they are removed.
    #[arg(long)]
    pub keep_intermediates: bool,
    /// Do not write RUN/report.html at the end of the run (`curate report RUN` writes it later).
    #[arg(long)]
    pub no_report: bool,
    /// The split to read of Hugging Face dataset folders given as --input (default: their only
    /// split, or `train`).
    #[arg(long)]
    pub split: Option<String>,
    /// The input field that holds the text (default: the config's `[fields] text`, "text").
    #[arg(long)]
    pub text_field: Option<String>,
    /// The input field that holds the record's id (default: the config's `[fields] id`, "id").
    #[arg(long)]
    pub id_field: Option<String>,
    /// The run directory; rerunning the same command there resumes an interrupted run.
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// A TOML file laid over the stage preset (start from `--print-config`).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Print the effective configuration and exit.
    #[arg(long)]
    pub print_config: bool,
    /// Worker threads (default: the config's `run.threads`, 0 = every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// A benchmark n-gram index (from `curate index-benchmarks`): adds a contamination step.
    #[arg(long)]
    pub benchmarks: Option<PathBuf>,
    /// Count every record's tokens under this GGUF model's tokenizer (the config's `[tokens]
    /// tokenizer`): a `tokens` column in kept and rejected, totals in the summary and manifest.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// The model judge of judge steps: a GGUF file (run in-process) or the /v1 URL of an
    /// OpenAI-compatible server.
    #[arg(long)]
    pub judge: Option<String>,
    /// The model name the judge server expects.
    #[arg(long, default_value = "default")]
    pub judge_model_name: String,
    /// Threads of the embedded judge (default: every core; workers wait while it runs).
    #[arg(long)]
    pub judge_threads: Option<usize>,
    /// Requests in flight to each model server (judge, responder, steps' own `judge_model`),
    /// shared by every task of the run. A step's own server can take its own with
    /// `judge_model = "URL#name@N"`.
    #[arg(long, default_value_t = curate_judges::DEFAULT_CONCURRENCY)]
    pub judge_concurrency: usize,
    /// Environment variable holding the judge server's API key.
    #[arg(long)]
    pub judge_api_key_env: Option<String>,
    /// The verdict cache file (default: ~/.cache/curate/verdicts.redb).
    #[arg(long)]
    pub judge_cache: Option<PathBuf>,
    /// A rules file (TOML `[[rules]]`: regex, expr, judge rules): its rules run as steps after
    /// the stage's filters, before dedup. Check one with `curate check-rules FILE`.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// cold-start: sample N responses per query that has none, from --responder;
    /// reasoning-rl: K samples per query from --policy to measure its pass rate (default 8).
    #[arg(long)]
    pub sample: Option<usize>,
    /// cold-start: the model that samples responses: a GGUF file or a /v1 URL.
    #[arg(long)]
    pub responder: Option<String>,
    /// reasoning-rl: the policy (the cold-start model) whose pass rates pick the queries: a
    /// GGUF file or a /v1 URL (samples come from it as from a responder).
    #[arg(long, conflicts_with = "responder")]
    pub policy: Option<String>,
    /// reasoning-rl: data the candidates must not come from (a cold-start run directory, or
    /// JSONL/Parquet files of queries); repeatable.
    #[arg(long, num_args = 1..)]
    pub exclude: Vec<String>,
    /// reasoning-rl: how many queries to select across domains (0: every eligible one).
    #[arg(long)]
    pub target: Option<usize>,
    /// The model name the responder server expects.
    #[arg(long, default_value = "default")]
    pub responder_model_name: String,
    /// Run without a judge: judge questions are skipped and listed in the manifest.
    #[arg(long, conflicts_with = "judge")]
    pub no_judge: bool,
    /// cold-start: most responses per query in the SFT output (0: every passing one).
    #[arg(long, default_value_t = 0)]
    pub keep_per_query: usize,
    /// cold-start: keep passing responses in input order instead of shortest first.
    #[arg(long)]
    pub keep_input_order: bool,
    /// cold-start: most queries per domain in the SFT output (0: no cap).
    #[arg(long, default_value_t = 0)]
    pub max_per_domain: usize,
    /// cold-start: write SFT records in the no-thinking form (empty think block).
    #[arg(long)]
    pub no_think: bool,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the stage presets and their steps, and the registered filters.
    Stages,
    /// Query a run's tables (kept, rejected, decisions, quarantine; and what its stage hands on:
    /// pairs and annotation for cold-start, rl and selection for reasoning-rl) with DuckDB SQL.
    Sql {
        /// The run directory.
        run: PathBuf,
        /// The query, e.g. "select reason, count(*) from rejected group by 1".
        query: String,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
    },
    /// Build the n-gram index of benchmark items that `--benchmarks` checks records against.
    IndexBenchmarks(IndexArgs),
    /// Try a judge rule on a few records: prints label probabilities or completions.
    Judge(JudgeArgs),
    /// Label a sample of documents with a judge along named dimensions (educational value,
    /// domain, ...): OUT/labels.parquet, for `curate train-classifier`.
    Annotate(AnnotateArgs),
    /// Train a fastText classifier on `curate annotate`'s labels of one dimension; reports its
    /// held-out agreement with the judge and writes the model a `classifier` step applies.
    TrainClassifier(TrainArgs),
    /// Build Qwen3's pretraining stages (S1 general, S2 math/code/reasoning as a curriculum, S3
    /// long documents) from curated runs, with targets in tokens: shards and mix.json.
    Mix(MixArgs),
    /// Assemble Qwen3's Stage-3 SFT set: thinking exchanges from cold-start runs, non-thinking
    /// ones from files, single- and multi-turn records with /think and /no_think, every record
    /// validated.
    Fuse(FuseArgs),
    /// Write a run's report: one self-contained HTML page (funnel, rules with their score
    /// histograms and thresholds, languages, lengths, dedup, contamination, the stage's own
    /// outputs, run facts), or two runs compared. Every run writes RUN/report.html at its end.
    Report(crate::report::ReportArgs),
    /// Parse and compile every rule of a rules file; errors name the file, line, rule and key.
    CheckRules {
        /// The rules file.
        file: PathBuf,
    },
    /// Plan a run for another executor: list the inputs into tasks, write RUN/plan.json, print
    /// the phases and their task counts. Takes the options of a stage run.
    Plan(RunArgs),
    /// Run one task of one phase of a planned run (what a cluster scheduler runs).
    Task(TaskArgs),
    /// Per phase, the tasks done, running, failed and pending, with failed tasks' errors and logs.
    Status {
        /// The run directory.
        run: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Plan a run and submit its tasks to a cluster scheduler; again, submits what is not done.
    Submit {
        /// The scheduler.
        #[command(subcommand)]
        to: SubmitTo,
    },
}

/// Schedulers `curate submit` submits to.
#[derive(Debug, Subcommand)]
pub enum SubmitTo {
    /// Slurm: one array job per phase, chained with --dependency=afterok.
    Slurm(SlurmArgs),
}

/// The model a command asks (`curate judge`, `curate annotate`).
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// The judge: a GGUF model file (run in-process), or the /v1 URL of an OpenAI-compatible
    /// server (e.g. http://localhost:8080/v1).
    #[arg(long)]
    pub model: String,
    /// Threads of the embedded engine (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// The model name the server expects.
    #[arg(long, default_value = "default")]
    pub model_name: String,
    /// Environment variable holding the server's API key.
    #[arg(long)]
    pub api_key_env: Option<String>,
    /// Requests in flight to a server.
    #[arg(long, default_value_t = curate_judges::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
}

impl ModelArgs {
    /// How to reach the model; `completions` asks /v1/completions with raw prompts.
    pub fn spec(&self, completions: bool) -> crate::judge_backend::JudgeSpec<'_> {
        crate::judge_backend::JudgeSpec {
            model: &self.model,
            model_name: &self.model_name,
            threads: self.threads,
            api_key_env: self.api_key_env.clone(),
            completions,
            concurrency: self.concurrency,
        }
    }
}

/// Options of `curate judge`.
#[derive(Debug, Args)]
pub struct JudgeArgs {
    /// The model asked.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Use /v1/completions with raw prompts instead of /v1/chat/completions.
    #[arg(long)]
    pub completions: bool,
    /// A shipped rule (multi_part, general_text, guessing, inconsistent_reasoning, style_shift,
    /// domain_label, direct_answer) or a rule file.
    #[arg(long)]
    pub rule: String,
    /// Records to judge (JSONL, .gz, .zst, Parquet, Arrow).
    #[arg(long)]
    pub input: String,
    /// Judge at most this many records.
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
    /// Text field of columnar inputs.
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// Id field of the records.
    #[arg(long, default_value = "id")]
    pub id_field: String,
    /// Fill a placeholder of the rule's template from another record field: `--field
    /// query=text` fills `{query}` with the record's `text`. Repeatable.
    #[arg(long = "field", value_name = "PLACEHOLDER=FIELD")]
    pub fields: Vec<String>,
    /// The verdict cache file (default: ~/.cache/curate/verdicts.redb).
    #[arg(long)]
    pub cache: Option<PathBuf>,
}

/// Options of `curate index-benchmarks`.
#[derive(Debug, Args)]
pub struct IndexArgs {
    /// Benchmark files (JSONL, .gz, .zst, Parquet, Arrow): paths, globs or directories.
    #[arg(long, num_args = 1.., required = true)]
    pub input: Vec<String>,
    /// The index folder to write.
    #[arg(long)]
    pub output: PathBuf,
    /// Fields whose text is indexed, joined by newlines; dotted paths reach into objects
    /// (e.g. `doc.question,doc.answer`).
    #[arg(long, value_delimiter = ',', default_value = "text")]
    pub fields: Vec<String>,
    /// The field holding an item's id (dotted path); `<file>:<line>` when absent.
    #[arg(long, default_value = "id")]
    pub id_field: String,
    /// A field naming each item's benchmark (dotted path); otherwise `--name` or the file name.
    #[arg(long)]
    pub name_field: Option<String>,
    /// The benchmark name for all inputs (default: each file's name without extensions).
    #[arg(long)]
    pub name: Option<String>,
    /// Tokens per n-gram (characters for unspaced scripts such as Chinese).
    #[arg(long, default_value_t = 13)]
    pub ngram: usize,
}

/// Options of `curate task`.
#[derive(Debug, clap::Args)]
pub struct TaskArgs {
    /// The run directory (made by `curate plan` or `curate submit`).
    #[arg(long)]
    pub run: PathBuf,
    /// The phase.
    #[arg(long, value_enum)]
    pub phase: crate::engine::phase::Phase,
    /// The task number in the phase (default: from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX).
    #[arg(long)]
    pub index: Option<usize>,
    /// Added to the scheduler's task number.
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
}

/// Options of `curate submit slurm`.
#[derive(Debug, clap::Args)]
pub struct SlurmArgs {
    /// The stage run, as for `curate --stage ...`.
    #[command(flatten)]
    pub run: RunArgs,
    /// The partition (`sbatch --partition`).
    #[arg(long)]
    pub partition: Option<String>,
    /// The account to charge (`sbatch --account`).
    #[arg(long)]
    pub account: Option<String>,
    /// CPUs per task; the task's worker threads follow it.
    #[arg(long, default_value_t = 1)]
    pub cpus_per_task: usize,
    /// Memory per task (`sbatch --mem`, e.g. 4G).
    #[arg(long)]
    pub mem: Option<String>,
    /// Time limit per task (`sbatch --time`, e.g. 2:00:00).
    #[arg(long)]
    pub time: Option<String>,
    /// Most tasks of one array running at once (`--array=...%N`).
    #[arg(long)]
    pub max_parallel: Option<usize>,
    /// Another `sbatch` option for every job (repeatable), e.g. `--sbatch-arg=--qos=low`.
    #[arg(long = "sbatch-arg", allow_hyphen_values = true)]
    pub sbatch_args: Vec<String>,
    /// The curate binary the tasks run (default: this one; it must be reachable from the nodes).
    #[arg(long)]
    pub curate_bin: Option<PathBuf>,
    /// Write and print the batch scripts; submit nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Options of `curate annotate`.
#[derive(Debug, Args)]
pub struct AnnotateArgs {
    /// Documents to sample from: files, globs, folders, URLs (a run's `kept/` folder too).
    #[arg(long, num_args = 1.., required = true)]
    pub input: Vec<String>,
    /// The judge.
    #[command(flatten)]
    pub model: ModelArgs,
    /// A dimension to label: a shipped rule (educational_value, pretrain_domain) or a judge
    /// rule file of kind "score" whose template shows the document as {text}. Repeatable.
    #[arg(long = "dimension", default_value = "educational_value")]
    pub dimensions: Vec<String>,
    /// Documents to label: those whose ids hash lowest under --seed.
    #[arg(long, default_value_t = 1000)]
    pub sample: usize,
    /// Seed of the sample.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Characters of each document the judge sees (0: all).
    #[arg(long, default_value_t = 2000)]
    pub max_chars: usize,
    /// The folder to write labels.parquet and annotate.json to.
    #[arg(long)]
    pub output: PathBuf,
    /// Text field of the records.
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// Id field of the records.
    #[arg(long, default_value = "id")]
    pub id_field: String,
    /// The verdict cache file (default: ~/.cache/curate/verdicts.redb).
    #[arg(long)]
    pub cache: Option<PathBuf>,
}

/// Options of `curate train-classifier`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The labels: `curate annotate`'s output folder (or its labels.parquet).
    #[arg(long)]
    pub labels: PathBuf,
    /// The dimension to learn (a column of labels.parquet, e.g. educational_value).
    #[arg(long)]
    pub dimension: String,
    /// The model file to write (fastText .bin); a report (.json) is written next to it.
    #[arg(long)]
    pub output: PathBuf,
    /// Share of the labelled documents held out to measure agreement with the judge.
    #[arg(long, default_value_t = 0.2)]
    pub holdout: f64,
    /// Seed of the held-out split (training itself is fastText's, seeded by it: one thread
    /// gives the same model from the same labels).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Passes over the training documents.
    #[arg(long, default_value_t = 25)]
    pub epoch: i32,
    /// Learning rate.
    #[arg(long, default_value_t = 0.5)]
    pub lr: f64,
    /// Word n-grams (1: words alone).
    #[arg(long, default_value_t = 2)]
    pub word_ngrams: i32,
    /// Size of the word vectors.
    #[arg(long, default_value_t = 64)]
    pub dim: i32,
    /// Characters of each document used (as the `classifier` step reads them; 0: all).
    #[arg(long, default_value_t = 10000)]
    pub max_chars: usize,
    /// Training threads (1 makes training reproducible to the bit).
    #[arg(long, default_value_t = 1)]
    pub threads: i32,
}

/// Options of `curate mix`.
#[derive(Debug, Args)]
pub struct MixArgs {
    /// The mixture: `[s1]`, `[s2]`, `[s3]` with their tokens and shares (see the README).
    #[arg(long)]
    pub config: PathBuf,
    /// A curated run to draw from (its stage run with --tokenizer); repeatable, added to the
    /// config's `runs`.
    #[arg(long = "run")]
    pub runs: Vec<PathBuf>,
    /// The folder to write the stages' shards, mix.json and assignments.parquet to.
    #[arg(long)]
    pub output: PathBuf,
    /// The seed (default: the config's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Options of `curate fuse`.
#[derive(Debug, Args)]
pub struct FuseArgs {
    /// A finished cold-start run whose kept pairs are thinking exchanges; repeatable.
    #[arg(long)]
    pub think: Vec<PathBuf>,
    /// Non-thinking exchanges: a finished `--stage thinking-fusion` run, or a file (JSONL or
    /// Parquet: query, response, task_type, model); repeatable.
    #[arg(long)]
    pub no_think: Vec<PathBuf>,
    /// Shares and sizes (see the README); defaults without one.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// The folder to write fusion.jsonl and fusion.json to.
    #[arg(long)]
    pub output: PathBuf,
    /// Count the thinking budget in this GGUF model's tokens (words without it).
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// The field of the user's message in --no-think files.
    #[arg(long, default_value = "query")]
    pub query_field: String,
    /// The field of the answer in --no-think files.
    #[arg(long, default_value = "response")]
    pub response_field: String,
    /// The field of the task type in --no-think files.
    #[arg(long, default_value = "task_type")]
    pub task_type_field: String,
}
