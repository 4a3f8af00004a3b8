use std::path::PathBuf;

use thiserror::Error;

/// Errors that stop a run before or outside the per-record flow (bad arguments, output I/O).
/// Problems with the content of an input are never errors: they become quarantine rows.
#[derive(Debug, Error)]
pub enum SourceError {
    /// An input path does not exist.
    #[error("input `{0}` does not exist")]
    NotFound(String),
    /// A dataset folder has no such split, or several and none was chosen.
    #[error("{dir}: {}", no_split(.split, .splits))]
    NoSplit {
        /// The dataset folder.
        dir: String,
        /// The split asked for (empty when none was).
        split: String,
        /// The splits it has.
        splits: Vec<String>,
    },
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
    /// Reading or writing a file failed. (The I/O error is part of the message, not a
    /// separate cause, so that error chains do not say it twice.)
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// Writing Parquet failed.
    #[error("{path}: writing Parquet failed: {message}")]
    ParquetWrite {
        /// The file.
        path: PathBuf,
        /// What polars said.
        message: String,
    },
    /// A request to an object store failed (after its retries).
    #[error("{url}: {message}")]
    S3 {
        /// The bucket and key, as `s3://bucket/key`.
        url: String,
        /// What failed: the S3 error code and the store's message.
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
        Self::Io { path: path.into(), error: source }
    }
}

fn no_split(split: &str, splits: &[String]) -> String {
    let what = if split.is_empty() {
        "several splits and none chosen".to_string()
    } else {
        format!("no split `{split}`")
    };
    if splits.is_empty() {
        format!("{what}: it is not a dataset folder with splits")
    } else {
        format!("{what}; its splits: {} (choose one with --split)", splits.join(", "))
    }
}
