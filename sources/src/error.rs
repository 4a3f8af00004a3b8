use std::path::PathBuf;

use thiserror::Error;

/// Errors that stop a run before or outside the per-record flow (bad arguments, output I/O).
/// Problems with the content of an input are never errors: they become quarantine rows.
#[derive(Debug, Error)]
pub enum SourceError {
    /// An input path does not exist.
    #[error("input `{0}` does not exist")]
    NotFound(String),
    /// A glob matched no file.
    #[error("no file matches `{0}`")]
    NoMatch(String),
    /// A glob does not parse.
    #[error("bad glob `{pattern}`: {message}")]
    BadGlob {
        /// The pattern given.
        pattern: String,
        /// What the glob parser said.
        message: String,
    },
    /// The format cannot be told from the name.
    #[error(
        "cannot tell the format of `{0}` from its name; expected .jsonl/.json/.ndjson \
         (optionally .gz or .zst), .parquet or .arrow"
    )]
    UnknownFormat(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Writing Parquet failed.
    #[error("{path}: writing Parquet failed: {message}")]
    ParquetWrite {
        /// The file.
        path: PathBuf,
        /// What polars said.
        message: String,
    },
    /// A record of a file read whole could not be read.
    #[error("{file}:{line}: {message}")]
    Record {
        /// The file.
        file: String,
        /// The line (or row) number, from 1.
        line: u64,
        /// What is wrong.
        message: String,
    },
}

impl SourceError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }
}
