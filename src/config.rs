//! A stage's configuration: the TOML a user writes (`--config`), the preset it starts from
//! (`--stage`), and the effective result that `--print-config` prints and the manifest records.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use curate_filters::dedup::DedupMethod;
use curate_filters::Filter;
use curate_sources::FieldNames;
use serde::{Deserialize, Serialize};

use crate::stages;
use crate::step_config::line_of;
pub use crate::step_config::StepConfig;

/// How a run uses the machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RunOptions {
    /// Worker threads; 0 uses every core.
    pub threads: usize,
    /// Most records in a batch.
    pub batch_records: usize,
    /// Most bytes of input in a batch.
    pub batch_bytes: usize,
    /// Memory DuckDB may use for the global dedup before spilling to disk (e.g. "2GB");
    /// empty leaves DuckDB's default (80% of RAM).
    pub dedup_memory: String,
    /// Tasks of the buckets phase of near-duplicate dedup (MinHash, SimHash): the join of
    /// documents sharing a band is split by band hash into this many parts, each a task that
    /// another machine can run. Any number gives the same duplicates.
    pub dedup_buckets: usize,
    /// Seconds to wait for a connection to an http(s) input.
    pub http_connect_seconds: u64,
    /// Seconds an http(s) input may send nothing (headers, then each read of the body) before
    /// it counts as stalled: the records read so far are kept and the stall is quarantined.
    pub http_stall_seconds: u64,
    /// The endpoint of an S3-compatible store (MinIO, R2, Ceph) for `s3://` inputs and run
    /// directories; `AWS_ENDPOINT_URL` when unset, AWS itself when neither is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_endpoint: Option<String>,
    /// Allow an `http://` S3 endpoint (`AWS_ALLOW_HTTP=true` does too); TLS otherwise.
    pub s3_allow_http: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            threads: 0,
            batch_records: 1024,
            batch_bytes: 8 << 20,
            dedup_memory: String::new(),
            dedup_buckets: 0,
            http_connect_seconds: 30,
            http_stall_seconds: 60,
            s3_endpoint: None,
            s3_allow_http: false,
        }
    }
}

impl RunOptions {
    /// The limits of http(s) inputs these options set.
    pub fn http_limits(&self) -> curate_sources::open::HttpLimits {
        curate_sources::open::HttpLimits {
            connect: std::time::Duration::from_secs(self.http_connect_seconds),
            stall: std::time::Duration::from_secs(self.http_stall_seconds),
        }
    }

    /// The settings of S3 clients these options set.
    pub fn s3_options(&self) -> curate_sources::s3::S3Options {
        curate_sources::s3::S3Options { endpoint: self.s3_endpoint.clone(), allow_http: self.s3_allow_http }
    }

    /// The number of worker threads to use.
    pub fn threads(&self) -> usize {
        match self.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }
}

/// The effective configuration of a stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageConfig {
    /// The stage preset this configuration started from.
    pub stage: String,
    /// Which input fields hold the text and the id.
    #[serde(default)]
    pub fields: FieldNames,
    /// How the run uses the machine.
    #[serde(default)]
    pub run: RunOptions,
    /// The steps, in order.
    pub steps: Vec<StepConfig>,
    /// How reasoning-rl picks its queries from the eligible ones (only that stage has it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<crate::selection_config::SelectionConfig>,
    /// How records' tokens are counted (`[tokens]`; `--tokenizer`).
    #[serde(default)]
    pub tokens: TokensConfig,
    /// Steps of the preset that a `[[steps]]` list in the config left out (said in the summary).
    #[serde(skip)]
    pub dropped_preset_steps: Vec<String>,
}

/// How records' tokens are counted: every kept and rejected record carries its count (column
/// `tokens`), summed per language, step and rule in the summary and manifest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokensConfig {
    /// A GGUF model whose tokenizer counts (its vocabulary alone is loaded, not its weights);
    /// none: tokens are not counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokenizer: Option<PathBuf>,
}

/// A config file as written: every part optional, steps with their place in the file. `S` is
/// how the file gives its steps: a `[[steps]]` list that replaces the preset's, or `[steps.NAME]`
/// tables that change options of the preset's steps.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile<S> {
    stage: Option<String>,
    fields: Option<FieldNames>,
    run: Option<RunOptions>,
    steps: Option<S>,
    /// Rules files (relative to the config file) whose rules run after the steps.
    rules: Option<Vec<String>>,
    /// The reasoning-rl selection.
    selection: Option<crate::selection_config::SelectionConfig>,
    /// Token counting.
    tokens: Option<TokensConfig>,
}

/// A built per-record step: its name and its filter.
pub struct Step {
    /// The step's name in decisions.
    pub name: String,
    /// The filter.
    pub filter: Box<dyn Filter>,
}

/// A built dedup step: its name and its method.
pub struct DedupStep {
    /// The step's name in decisions.
    pub name: String,
    /// The dedup method with its options.
    pub method: DedupMethod,
}

/// The built steps of a stage: per-record filters first, then global dedup steps.
pub struct BuiltSteps {
    /// Per-record filters, in order.
    pub filters: Vec<Step>,
    /// Dedup steps, in order, after every filter.
    pub dedup: Vec<DedupStep>,
}

impl StageConfig {
    /// The effective configuration for `stage` (a preset name, or taken from the file) with
    /// the file at `path`, if any, laid over it. Every step is built once here, so a bad option
    /// fails before any work, naming the file, line and key.
    pub fn load(stage: Option<&str>, path: Option<&Path>) -> Result<Self> {
        let (file, source, shown) = match path {
            Some(p) => {
                let text =
                    std::fs::read_to_string(p).with_context(|| format!("reading config {}", p.display()))?;
                let shown = p.display().to_string();
                let bad = |e: toml::de::Error| anyhow::anyhow!("{shown}: {}", e.to_string().trim_end());
                // `[steps.NAME]` tables change the preset's steps; a `[[steps]]` list replaces them.
                let overrides = matches!(
                    toml::from_str::<toml::Table>(&text).map_err(bad)?.get("steps"),
                    Some(toml::Value::Table(_))
                );
                let file = if overrides {
                    let f: ConfigFile<BTreeMap<String, toml::Spanned<toml::Table>>> =
                        toml::from_str(&text).map_err(bad)?;
                    f.map_steps(StepsInFile::Overrides)
                } else {
                    let f: ConfigFile<Vec<toml::Spanned<StepConfig>>> = toml::from_str(&text).map_err(bad)?;
                    f.map_steps(StepsInFile::List)
                };
                (Some(file), text, shown)
            }
            None => (None, String::new(), String::new()),
        };
        let file_stage = file.as_ref().and_then(|f| f.stage.clone());
        let stage = match (stage, file_stage) {
            (Some(a), Some(b)) if a != b => bail!("--stage {a} disagrees with `stage = \"{b}\"` in {shown}"),
            (Some(a), _) => a.to_string(),
            (None, Some(b)) => b,
            (None, None) => {
                bail!("no stage given: pass --stage (see `curate stages`) or set `stage` in the config")
            }
        };
        let preset = stages::find(&stage)?;
        let mut config = StageConfig {
            stage: stage.clone(),
            fields: (preset.fields)(),
            run: RunOptions::default(),
            steps: (preset.steps)(),
            selection: (stage == "reasoning-rl").then(Default::default),
            tokens: TokensConfig::default(),
            dropped_preset_steps: Vec::new(),
        };
        if let Some(file) = file {
            if let Some(selection) = file.selection {
                if config.selection.is_none() {
                    bail!("{shown}: [selection] belongs to stage reasoning-rl, not `{stage}`");
                }
                config.selection = Some(selection);
            }
            if let Some(fields) = file.fields {
                config.fields = fields;
            }
            if let Some(mut tokens) = file.tokens {
                // A relative tokenizer path is the config file's neighbour.
                let base = path.and_then(Path::parent).unwrap_or(Path::new("."));
                if let Some(t) = tokens.tokenizer.take() {
                    let joined = base.join(t);
                    tokens.tokenizer = Some(
                        std::path::absolute(&joined)
                            .with_context(|| format!("{shown}: [tokens] tokenizer"))?,
                    );
                }
                config.tokens = tokens;
            }
            if let Some(run) = file.run {
                config.run = run;
            }
            match file.steps {
                Some(StepsInFile::List(steps)) => {
                    for (i, spanned) in steps.iter().enumerate() {
                        let step = spanned.get_ref();
                        let line = key_line(&source, spanned.span(), check_step(step).err().as_ref());
                        check_step(step).map_err(|e| {
                            anyhow::anyhow!("{shown}:{line}: step {} (`{}`): {e}", i + 1, step.name())
                        })?;
                    }
                    let steps: Vec<StepConfig> = steps.into_iter().map(toml::Spanned::into_inner).collect();
                    config.dropped_preset_steps = config
                        .steps
                        .iter()
                        .filter(|p| !steps.iter().any(|s| s.name() == p.name()))
                        .map(|p| p.name().to_string())
                        .collect();
                    config.steps = steps;
                }
                Some(StepsInFile::Overrides(overrides)) => {
                    for (name, spanned) in overrides {
                        let line = line_of(&source, spanned.span().start);
                        let names: Vec<String> = config.steps.iter().map(|s| s.name().to_string()).collect();
                        let Some(step) = config.steps.iter_mut().find(|s| s.name() == name) else {
                            bail!(
                                "{shown}:{line}: [steps.{name}]: stage `{stage}` has no step `{name}`; \
                                 its steps: {}",
                                names.join(", ")
                            );
                        };
                        merge(&mut step.options, spanned.get_ref());
                        let line = key_line(&source, spanned.span(), check_step(step).err().as_ref());
                        check_step(step)
                            .map_err(|e| anyhow::anyhow!("{shown}:{line}: [steps.{name}]: {e}"))?;
                    }
                }
                None => {}
            }
            let base = path.and_then(Path::parent).unwrap_or(Path::new("."));
            for rules in file.rules.unwrap_or_default() {
                let loaded = crate::rules_file::check(&base.join(rules))?;
                let at = config
                    .steps
                    .iter()
                    .position(|s| DedupMethod::is_dedup(&s.filter))
                    .unwrap_or(config.steps.len());
                for (i, r) in loaded.into_iter().enumerate() {
                    config.steps.insert(at + i, r.step);
                }
            }
        }
        config.validate()?;
        config.expand_defaults()?;
        Ok(config)
    }

    /// Spells out every option of every step, so that two configurations that mean the same
    /// compare equal (on resume) and `--print-config` shows everything.
    fn expand_defaults(&mut self) -> Result<()> {
        for step in &mut self.steps {
            let mut options = if DedupMethod::is_dedup(&step.filter) {
                DedupMethod::defaults(&step.filter)
            } else {
                crate::registry::find(&step.filter)?.defaults()
            };
            merge(&mut options, &step.options);
            step.options = options;
        }
        Ok(())
    }

    /// Checks what single steps cannot: step names are unique, sizes are positive.
    fn validate(&self) -> Result<()> {
        let mut seen = std::collections::HashSet::new();
        for step in &self.steps {
            if !seen.insert(step.name()) {
                bail!("two steps are named `{}`: give one of them another `name`", step.name());
            }
        }
        if self.run.http_connect_seconds == 0 || self.run.http_stall_seconds == 0 {
            bail!("[run] http_connect_seconds and http_stall_seconds must be positive");
        }
        if self.run.batch_records == 0 || self.run.batch_bytes == 0 {
            bail!("[run] batch_records and batch_bytes must be positive");
        }
        if self.fields.text.is_empty() || self.fields.id.is_empty() {
            bail!("[fields] text and id must name a field");
        }
        if let Some(first_dedup) = self.steps.iter().position(|s| DedupMethod::is_dedup(&s.filter)) {
            if let Some(late) = self.steps[first_dedup..].iter().find(|s| !DedupMethod::is_dedup(&s.filter)) {
                bail!(
                    "step `{}` comes after dedup step `{}`: dedup runs across all shards once every \
                     per-record filter has run, so put dedup steps last",
                    late.name(),
                    self.steps[first_dedup].name()
                );
            }
        }
        Ok(())
    }

    /// Builds every step.
    pub fn build_steps(&self, ctx: &curate_filters::BuildContext) -> Result<BuiltSteps> {
        let mut built = BuiltSteps { filters: Vec::new(), dedup: Vec::new() };
        for (i, s) in self.steps.iter().enumerate() {
            let context = || format!("step {} (`{}`)", i + 1, s.name());
            if DedupMethod::is_dedup(&s.filter) {
                let method = DedupMethod::build(&s.filter, s.options.clone()).with_context(context)?;
                built.dedup.push(DedupStep { name: s.name().to_string(), method });
            } else {
                let filter = crate::registry::find(&s.filter)
                    .and_then(|r| r.build_in(s.options.clone(), ctx))
                    .with_context(context)?;
                built.filters.push(Step { name: s.name().to_string(), filter });
            }
        }
        Ok(built)
    }

    /// Tasks of the buckets phase of a run over `shards` input shards: 0 without dedup steps;
    /// `[run] dedup_buckets`, or when that is 0, one per shard up to 16.
    pub fn dedup_buckets(&self, shards: usize) -> usize {
        if !self.steps.iter().any(|s| DedupMethod::is_dedup(&s.filter)) {
            0
        } else if self.run.dedup_buckets == 0 {
            shards.clamp(1, 16)
        } else {
            self.run.dedup_buckets
        }
    }

    /// Only the dedup steps: what the cluster and apply phases need (no models, no filters).
    pub fn build_dedup_steps(&self) -> Result<BuiltSteps> {
        let mut built = BuiltSteps { filters: Vec::new(), dedup: Vec::new() };
        for (i, s) in self.steps.iter().enumerate().filter(|(_, s)| DedupMethod::is_dedup(&s.filter)) {
            let method = DedupMethod::build(&s.filter, s.options.clone())
                .with_context(|| format!("step {} (`{}`)", i + 1, s.name()))?;
            built.dedup.push(DedupStep { name: s.name().to_string(), method });
        }
        Ok(built)
    }

    /// Adds the rules of a rules file as steps, after the per-record filters and before dedup.
    pub fn add_rules(&mut self, rules: Vec<crate::rules_file::Rule>) -> Result<()> {
        let at = self.steps.iter().position(|s| DedupMethod::is_dedup(&s.filter)).unwrap_or(self.steps.len());
        for (i, r) in rules.into_iter().enumerate() {
            self.steps.insert(at + i, r.step);
        }
        self.validate()?;
        self.expand_defaults()
    }

    /// The text option `key` of the first step running `filter`, if any.
    pub fn step_option(&self, filter: &str, key: &str) -> Option<&str> {
        self.steps.iter().find(|s| s.filter == filter)?.options.get(key)?.as_str()
    }

    /// Sets option `key` of every step running `filter`; an error when the stage has none.
    pub fn set_option(&mut self, filter: &str, key: &str, value: toml::Value) -> Result<()> {
        let mut found = false;
        for s in self.steps.iter_mut().filter(|s| s.filter == filter) {
            s.options.insert(key.into(), value.clone());
            found = true;
        }
        if !found {
            bail!("stage `{}` has no `{filter}` step for this option", self.stage);
        }
        Ok(())
    }

    /// Adds a contamination step against the index at `index`, after the per-record filters.
    pub fn add_benchmarks(&mut self, index: &Path) {
        let path = toml::Value::String(index.to_string_lossy().into_owned());
        let mut step = StepConfig::of("contamination");
        step.options.insert("index".into(), path.clone());
        self.steps.retain(|s| s.filter != "contamination");
        // Cheap and decisive: right after the verifier in cold-start, else before dedup.
        let at = match self.steps.iter().position(|s| s.filter == "verifier") {
            Some(v) => v + 1,
            None => {
                self.steps.iter().position(|s| DedupMethod::is_dedup(&s.filter)).unwrap_or(self.steps.len())
            }
        };
        self.steps.insert(at, step);
        // Responses are checked against the same index.
        for s in self.steps.iter_mut().filter(|s| s.filter == "responses") {
            s.options.insert("benchmarks".into(), path.clone());
        }
        // Cannot fail: the contamination filter is registered.
        let _ = self.expand_defaults();
    }

    /// This configuration with every option spelled out, as TOML a user can copy and edit.
    pub fn to_toml(&self) -> Result<String> {
        let mut full = self.clone();
        full.expand_defaults()?;
        Ok(format!(
            "# Effective configuration of stage `{}` (curate {}).\n\
             # Edit and pass back with --config; options left out take their defaults.\n\n{}",
            self.stage,
            env!("CARGO_PKG_VERSION"),
            toml::to_string_pretty(&full)?
        ))
    }
}

/// How a config file gives its steps.
enum StepsInFile {
    /// `[[steps]]`: the whole list, replacing the preset's.
    List(Vec<toml::Spanned<StepConfig>>),
    /// `[steps.NAME]`: options laid over the preset's step NAME.
    Overrides(BTreeMap<String, toml::Spanned<toml::Table>>),
}

impl<S> ConfigFile<S> {
    fn map_steps(self, f: impl FnOnce(S) -> StepsInFile) -> ConfigFile<StepsInFile> {
        ConfigFile {
            stage: self.stage,
            fields: self.fields,
            run: self.run,
            steps: self.steps.map(f),
            rules: self.rules,
            selection: self.selection,
            tokens: self.tokens,
        }
    }
}

/// The line to name for a step's error: the line of the offending key when the error names one
/// (`unknown field \`key\``) and it is written in the step's table (from its header to the next
/// one), else the step's first line.
fn key_line(
    source: &str,
    span: std::ops::Range<usize>,
    error: Option<&curate_filters::FilterError>,
) -> usize {
    let start = line_of(source, span.start);
    let Some(message) = error.map(ToString::to_string) else { return start };
    let Some(key) = message.split_once("unknown field `").and_then(|(_, rest)| rest.split('`').next()) else {
        return start;
    };
    let from = source[..span.start.min(source.len())].rfind('\n').map_or(0, |i| i + 1);
    for (i, line) in source[from..].lines().enumerate() {
        let line = line.trim_start();
        if i > 0 && line.starts_with('[') {
            break;
        }
        if line.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('=')) {
            return start + i;
        }
    }
    start
}

/// Lays `over` on `base`, merging nested tables key by key.
fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Checks one step's options (filters and dedup steps alike) without loading anything big.
fn check_step(step: &StepConfig) -> Result<(), curate_filters::FilterError> {
    if DedupMethod::is_dedup(&step.filter) {
        DedupMethod::build(&step.filter, step.options.clone()).map(drop)
    } else {
        crate::registry::find(&step.filter)?.check(step.options.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> Result<StageConfig> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, text).unwrap();
        StageConfig::load(Some("pretrain"), Some(&path))
    }

    #[test]
    fn printed_config_loads_back_the_same() {
        let config = StageConfig::load(Some("pretrain"), None).unwrap();
        let text = config.to_toml().unwrap();
        let back = load_str(&text).unwrap();
        assert_eq!(back.steps.len(), config.steps.len());
        assert_eq!(back.to_toml().unwrap(), text);
    }

    #[test]
    fn bad_keys_name_the_line() {
        let err = load_str("[[steps]]\nfilter = \"gopher_quality\"\n\n[[steps]]\nfilter = \"language_id\"\nmin_confidense = 0.3\n")
            .unwrap_err()
            .to_string();
        // The line of the unknown key, not of the step's header.
        assert!(err.contains("c.toml:6: step 2 (`language_id`)") && err.contains("min_confidense"), "{err}");
        let err = load_str("[run]\nthreads = \"two\"\n").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("threads"), "{err}");
        let err = load_str("[fields]\ntext = \"body\"\nidd = \"x\"\n").unwrap_err().to_string();
        assert!(err.contains("line 3") && err.contains("idd"), "{err}");
        let err = load_str("stage = \"cold\"\n").unwrap_err().to_string();
        assert!(err.contains("disagrees"), "{err}");
    }

    #[test]
    fn step_tables_change_the_preset_and_a_list_replaces_it() {
        let preset = StageConfig::load(Some("pretrain"), None).unwrap();
        let names = |c: &StageConfig| c.steps.iter().map(|s| s.name().to_string()).collect::<Vec<_>>();
        // [steps.NAME]: every preset step stays, one option changes.
        let changed = load_str(
            "[steps.gopher_quality]
min_words = 30
",
        )
        .unwrap();
        assert_eq!(names(&changed), names(&preset));
        let quality = changed.steps.iter().find(|s| s.name() == "gopher_quality").unwrap();
        assert_eq!(quality.options["min_words"].as_integer(), Some(30));
        assert!(changed.dropped_preset_steps.is_empty());
        let untouched = |c: &StageConfig| {
            c.steps.iter().filter(|s| s.name() != "gopher_quality").cloned().collect::<Vec<_>>()
        };
        assert_eq!(untouched(&changed), untouched(&preset));
        // A step the preset does not have, and a key the step does not have, name their line.
        let err = load_str("\n[steps.gopher]\nmin_words = 30\n").unwrap_err().to_string();
        assert!(
            err.contains("c.toml:2") && err.contains("no step `gopher`") && err.contains("gopher_quality"),
            "{err}"
        );
        let err =
            load_str("[steps.gopher_quality]\nmin_words = 30\nmin_wrods = 3\n").unwrap_err().to_string();
        assert!(err.contains("c.toml:3: [steps.gopher_quality]") && err.contains("min_wrods"), "{err}");
        // [[steps]]: the list replaces the preset's, and what it left out is said.
        let replaced = load_str("[[steps]]\nfilter = \"gopher_quality\"\n").unwrap();
        assert_eq!(names(&replaced), ["gopher_quality"]);
        let mut dropped = names(&preset);
        dropped.retain(|n| n != "gopher_quality");
        assert_eq!(replaced.dropped_preset_steps, dropped);
    }
}
