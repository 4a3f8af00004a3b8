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
    /// The options parse but make no sense (e.g. an unknown language code).
    #[error("filter `{filter}`: {message}")]
    Invalid {
        /// The filter's registered name.
        filter: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}
