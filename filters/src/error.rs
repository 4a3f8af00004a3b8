use thiserror::Error;

/// Why a filter could not be built from its configuration.
#[derive(Debug, Error)]
pub enum FilterError {
    /// The stage names a filter that is not registered.
    #[error("unknown filter `{name}`; known filters: {known}")]
    Unknown {
        /// The name given.
        name: String,
        /// The registered names, comma-separated.
        known: String,
    },
    /// The filter's options do not parse (unknown key, wrong type).
    #[error("filter `{filter}`: {message}")]
    Config {
        /// The filter's registered name.
        filter: String,
        /// What is wrong, from the TOML parser.
        message: String,
    },
    /// A step needs a judge and the run has none.
    #[error("step `{filter}` asks a model judge: give --judge MODEL.gguf|URL, or --no-judge to skip its judge questions")]
    NoJudge {
        /// The filter's registered name.
        filter: String,
    },
    /// The judge failed while the step asked it (server down after retries, engine error).
    #[error("filter `{filter}`: {source}")]
    Judge {
        /// The filter's registered name.
        filter: String,
        /// What the judge said.
        #[source]
        source: curate_judges::JudgeError,
    },
    /// The step could not judge a batch (an external rule crashed, timed out or answered
    /// garbage): its records go to quarantine with this message, and the run goes on.
    #[error("filter `{filter}`: {message}")]
    Quarantine {
        /// The filter's registered name.
        filter: String,
        /// What went wrong, naming the rule.
        message: String,
    },
    /// The options parse but make no sense (e.g. an unknown language code).
    #[error("filter `{filter}`: {message}")]
    Invalid {
        /// The filter's registered name.
        filter: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}
