use std::sync::Arc;

use curate_judges::SharedJudge;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{Check, Document, FilterError};

impl BuildContext {
    /// The context of a filter built outside a run (checking a config, tests): no judge, and
    /// judge questions skipped.
    pub fn outside_run() -> Self {
        Self { no_judge: true, ..Default::default() }
    }
}

/// Opens a model by its `--judge`-style spec (a GGUF path, or a /v1 URL with `#model-name`);
/// the same spec gives the same shared instance.
pub type ModelOpener = Arc<dyn Fn(&str) -> Result<Arc<SharedJudge>, String> + Send + Sync>;

/// What the run gives filters that need more than their options: the model judge.
#[derive(Clone, Default)]
pub struct BuildContext {
    /// Opens the models that steps name for themselves (`judge_model`).
    pub open_model: Option<ModelOpener>,
    /// The run's judge (`--judge`), if any.
    pub judge: Option<Arc<SharedJudge>>,
    /// The model that samples responses (`--responder`), if any.
    pub responder: Option<Arc<SharedJudge>>,
    /// `--no-judge`: steps skip their judge questions (recorded as skipped) instead of refusing
    /// to run without a judge.
    pub no_judge: bool,
    /// The judge questions skipped for want of a judge, for the manifest.
    pub skipped: Arc<std::sync::Mutex<Vec<String>>>,
}

/// A step that measures documents and decides whether each is kept.
///
/// Implementations return one [`Check`] per rule they apply; a document is kept by the step when
/// every check passed. A filter may annotate the document (language ID writes `language`).
pub trait Filter: Send + Sync {
    /// Version of this filter's rules; it is written into every decision. Bump it when a rule's
    /// meaning changes, so old and new decisions can be told apart.
    fn version(&self) -> &str;

    /// Measures one document and decides, rule by rule.
    fn check(&self, doc: &mut Document) -> Vec<Check>;

    /// Checks a batch; filters that gain from batching (model judges) override this. An error
    /// (a judge that cannot be reached) stops the run: nothing is decided without its rule.
    fn check_batch(&self, docs: &mut [Document]) -> Result<Vec<Vec<Check>>, FilterError> {
        Ok(docs.iter_mut().map(|d| self.check(d)).collect())
    }
}

/// The options of a filter, as written in a stage's TOML. Registering a filter is implementing
/// this for its config type and adding one line to [`crate::registry`].
pub trait FilterConfig: Serialize + DeserializeOwned + Default + 'static {
    /// The name a stage's TOML uses (`filter = "..."`).
    const NAME: &'static str;
    /// One line for `curate stages`.
    const DESCRIPTION: &'static str;

    /// Builds the filter, validating options that types alone cannot.
    fn build(&self) -> Result<Box<dyn Filter>, FilterError>;

    /// Builds the filter within a run (judge steps take the run's judge); [`Self::build`] by
    /// default.
    fn build_in(&self, _ctx: &BuildContext) -> Result<Box<dyn Filter>, FilterError> {
        self.build()
    }

    /// Validates the options before a run, without the costly part of building when there is
    /// one (loading an index that may be named later on the command line). Builds by default.
    fn check(&self) -> Result<(), FilterError> {
        self.build().map(drop)
    }
}

/// `check` for filters that work on batches: checks `doc` as a batch of one. A failure (a judge or
/// program that cannot answer) is a failed check carrying the error, never a silent pass.
pub fn check_alone(filter: &dyn Filter, doc: &mut Document) -> Vec<Check> {
    match filter.check_batch(std::slice::from_mut(doc)) {
        Ok(mut checks) => checks.pop().unwrap_or_default(),
        Err(e) => vec![Check::new("error", None, None, false, e.to_string())],
    }
}
