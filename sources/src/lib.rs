//! Where records come from and where results go.
//!
//! - [`input`]: turning `--input` arguments (paths, globs, directories, URLs) into [`InputFile`]s.
//! - [`open`]: byte streams from local files and `http(s)://` URLs, decompressed on the fly.
//! - [`jsonl`]: JSONL streams cut into bounded batches of raw lines.
//! - [`parse`]: one raw JSONL line into a [`curate_schemas::Document`], or a quarantine row.
//! - [`parquet`]: Parquet shards read row group by row group.
//! - [`arrow_ipc`]: Arrow IPC files (as Hugging Face `datasets` saves them), batch by batch.
//! - [`s3`]: objects in S3 and S3-compatible stores (inputs and run directories).
//! - [`records`]: a whole file's records as JSON objects, for indexes built before a run.
//! - [`writer`]: Parquet outputs written to a temp file and renamed into place when complete.
//!
//! Everything streams: memory depends on the batch size, not on the size of the input.

pub mod arrow_ipc;
mod error;
pub mod hf_layout;
pub mod input;
pub mod jsonl;
pub mod open;
pub mod parquet;
pub mod parse;
pub mod records;
pub mod s3;
pub mod writer;

pub use error::SourceError;
pub use input::{Compression, Format, InputFile, Location};
pub use parse::FieldNames;

use curate_schemas::{Document, QuarantineRow};

/// One item read from an input: a line still to be parsed, a parsed document, or something
/// that could not be read.
#[derive(Debug)]
pub enum RawItem {
    /// A JSONL line, parsed later (in parallel) by [`parse::parse_line`].
    Line(jsonl::RawLine),
    /// A document read from a columnar source.
    Document(Document),
    /// Input that could not be read.
    Quarantined(QuarantineRow),
}
