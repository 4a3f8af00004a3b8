//! Parquet inputs, read one row group at a time so memory stays bounded.
//!
//! A file that cannot be opened or whose footer is unreadable becomes one quarantine row (line
//! 0); a row group that cannot be decoded becomes one quarantine row naming its first row, and
//! reading goes on with the next group. A row whose text is null is quarantined by itself.

use std::fs::File;
use std::io::{self, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use curate_schemas::{Document, QuarantineRow};
use polars::prelude::*;

use crate::jsonl::BatchLimits;
use crate::open::ByteCount;
use crate::parse::{derived_id, FieldNames};
use crate::{InputFile, Location, RawItem};

/// Reads a Parquet input into batches of documents.
pub struct ParquetBatches {
    source: Arc<str>,
    fields: FieldNames,
    limits: BatchLimits,
    file: Option<File>,
    metadata: Option<polars::io::parquet::metadata::FileMetadataRef>,
    group: usize,
    first_row: usize,
    pending: std::vec::IntoIter<RawItem>,
    failed: Option<QuarantineRow>,
    // Keeps a downloaded copy of a remote file alive until reading is done.
    _download: Option<tempfile_guard::TempPath>,
}

mod tempfile_guard {
    /// A file deleted on drop.
    pub struct TempPath(pub std::path::PathBuf);
    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

fn guarded<T>(f: impl FnOnce() -> PolarsResult<T>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(e.to_string()),
        Err(p) => Err(format!("reader panicked: {}", panic_message(p))),
    }
}

/// Streams a URL to a temporary file in `tmp_dir`, since Parquet needs random access.
fn download(
    input: &InputFile,
    tmp_dir: &std::path::Path,
    counter: &ByteCount,
) -> io::Result<tempfile_guard::TempPath> {
    std::fs::create_dir_all(tmp_dir)?;
    let name = &input.name;
    let path = tmp_dir.join(format!("download-{:016x}.parquet", xxhash_rust::xxh3::xxh3_64(name.as_bytes())));
    let guard = tempfile_guard::TempPath(path.clone());
    let url = match &input.location {
        // An object: its ranges read in parallel (a Parquet reader needs the footer first).
        Location::S3(url) => {
            let address = crate::s3::S3Url::parse(url).map_err(io::Error::other)?;
            let size = crate::s3::size_of(&address, input.size).map_err(io::Error::other)?;
            let bucket = crate::s3::bucket(&address.bucket).map_err(io::Error::other)?;
            let n = bucket.download(&address.key, size, &path).map_err(io::Error::other)?;
            counter.add(n);
            return Ok(guard);
        }
        Location::Url(url) => url,
        Location::Local(_) => return Err(io::Error::other("a local file needs no download")),
    };
    let mut response = crate::open::Stalls(crate::open::get(url)?);
    let mut out = io::BufWriter::new(File::create(&path)?);
    let n = io::copy(&mut response, &mut out)?;
    out.flush()?;
    counter.add(n);
    Ok(guard)
}

impl ParquetBatches {
    /// Opens `input`; remote files are first streamed to `tmp_dir`.
    pub fn open(
        input: &InputFile,
        fields: &FieldNames,
        limits: BatchLimits,
        tmp_dir: &std::path::Path,
        counter: ByteCount,
    ) -> Self {
        let source: Arc<str> = Arc::from(input.name.as_str());
        let mut this = Self {
            source: source.clone(),
            fields: fields.clone(),
            limits,
            file: None,
            metadata: None,
            group: 0,
            first_row: 0,
            pending: Vec::new().into_iter(),
            failed: None,
            _download: None,
        };
        let whole_file = |error: String| QuarantineRow {
            source_file: source.to_string(),
            line: 0,
            byte_offset: None,
            error,
            raw: None,
        };
        let path = match &input.location {
            Location::Local(p) => p.clone(),
            Location::Url(_) | Location::S3(_) => match download(input, tmp_dir, &counter) {
                Ok(guard) => {
                    let p = guard.0.clone();
                    this._download = Some(guard);
                    p
                }
                Err(e) => {
                    this.failed = Some(whole_file(format!("could not fetch: {e}")));
                    return this;
                }
            },
        };
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) => {
                this.failed = Some(whole_file(format!("could not open: {e}")));
                return this;
            }
        };
        if let Location::Local(_) = input.location {
            counter.add(input.size.unwrap_or(0));
        }
        let metadata = guarded(|| {
            let mut reader = ParquetReader::new(file.try_clone()?);
            Ok(reader.get_metadata()?.clone())
        });
        match metadata {
            Ok(m) => {
                this.metadata = Some(m);
                this.file = Some(file);
            }
            Err(e) => this.failed = Some(whole_file(format!("unreadable Parquet: {e}"))),
        }
        this
    }

    fn read_group(&mut self) -> Option<Vec<RawItem>> {
        let metadata = self.metadata.clone()?;
        let file = self.file.as_ref()?;
        let group = metadata.row_groups.get(self.group)?;
        let rows = group.num_rows();
        let offset = self.first_row;
        self.group += 1;
        self.first_row += rows;
        let frame = guarded(|| {
            let mut reader = ParquetReader::new(file.try_clone()?);
            reader.set_metadata(metadata.clone());
            reader.with_slice(Some((offset, rows))).finish()
        });
        Some(match frame.and_then(|df| self.documents(&df, offset)) {
            Ok(items) => items,
            Err(e) => vec![RawItem::Quarantined(QuarantineRow {
                source_file: self.source.to_string(),
                line: offset as u64 + 1,
                byte_offset: None,
                error: format!(
                    "{}:{}: row group {} ({rows} rows from row {}) unreadable: {e}",
                    self.source,
                    offset + 1,
                    self.group - 1,
                    offset + 1
                ),
                raw: None,
            })],
        })
    }

    fn documents(&self, df: &DataFrame, offset: usize) -> Result<Vec<RawItem>, String> {
        let text_name = self.fields.text.as_str();
        let text_col = df.column(text_name).map_err(|_| {
            let names: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
            format!("column `{text_name}` is missing (columns present: {})", names.join(", "))
        })?;
        let texts = text_col
            .str()
            .map_err(|_| format!("column `{text_name}` is {}, expected a string", text_col.dtype()))?;
        let ids = match df.column(&self.fields.id) {
            Ok(c) => {
                Some(c.cast(&DataType::String).map_err(|e| format!("column `{}`: {e}", self.fields.id))?)
            }
            Err(_) => None,
        };
        let ids = ids.as_ref().map(|c| c.str()).transpose().map_err(|e| e.to_string())?;
        let others: Vec<&Column> = df
            .columns()
            .iter()
            .filter(|c| c.name().as_str() != text_name && c.name().as_str() != self.fields.id)
            .collect();
        let mut items = Vec::with_capacity(df.height());
        for i in 0..df.height() {
            let row = (offset + i + 1) as u64;
            let Some(text) = texts.get(i) else {
                items.push(RawItem::Quarantined(QuarantineRow {
                    source_file: self.source.to_string(),
                    line: row,
                    byte_offset: None,
                    error: format!("field `{text_name}` is null, expected a string"),
                    raw: None,
                }));
                continue;
            };
            let id =
                ids.and_then(|ids| ids.get(i)).map_or_else(|| derived_id(&self.source, row), str::to_string);
            let mut doc = Document::new(id, text, self.source.clone(), row);
            if !others.is_empty() {
                let mut meta = serde_json::Map::new();
                for c in &others {
                    let v = c.get(i).map_err(|e| e.to_string())?;
                    meta.insert(c.name().to_string(), any_to_json(&v));
                }
                doc.meta = Some(serde_json::Value::Object(meta).to_string());
            }
            items.push(RawItem::Document(doc));
        }
        Ok(items)
    }
}

/// A polars value as JSON: scalars as themselves, anything else as its display string.
fn any_to_json(v: &AnyValue) -> serde_json::Value {
    use serde_json::Value;
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(*b),
        AnyValue::String(s) => Value::String(s.to_string()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::Int8(x) => (*x).into(),
        AnyValue::Int16(x) => (*x).into(),
        AnyValue::Int32(x) => (*x).into(),
        AnyValue::Int64(x) => (*x).into(),
        AnyValue::UInt8(x) => (*x).into(),
        AnyValue::UInt16(x) => (*x).into(),
        AnyValue::UInt32(x) => (*x).into(),
        AnyValue::UInt64(x) => (*x).into(),
        AnyValue::Float32(x) => (*x as f64).into(),
        AnyValue::Float64(x) => (*x).into(),
        other => Value::String(other.to_string()),
    }
}

impl Iterator for ParquetBatches {
    type Item = Vec<RawItem>;

    fn next(&mut self) -> Option<Vec<RawItem>> {
        if let Some(q) = self.failed.take() {
            return Some(vec![RawItem::Quarantined(q)]);
        }
        loop {
            let batch: Vec<RawItem> = self.pending.by_ref().take(self.limits.records).collect();
            if !batch.is_empty() {
                return Some(batch);
            }
            self.pending = self.read_group()?.into_iter();
        }
    }
}

/// Reads back documents that curate wrote (the `kept` schema), one row group at a time.
pub struct DocumentFile {
    path: std::path::PathBuf,
    file: File,
    metadata: polars::io::parquet::metadata::FileMetadataRef,
    group: usize,
    first_row: usize,
}

impl DocumentFile {
    /// Opens a Parquet file of the `kept` schema.
    pub fn open(path: &std::path::Path) -> Result<Self, crate::SourceError> {
        let err = |e: String| crate::SourceError::ParquetWrite { path: path.to_path_buf(), message: e };
        let file = File::open(path).map_err(|e| crate::SourceError::io(path, e))?;
        let metadata = guarded(|| {
            let mut reader = ParquetReader::new(file.try_clone()?);
            Ok(reader.get_metadata()?.clone())
        })
        .map_err(err)?;
        Ok(Self { path: path.to_path_buf(), file, metadata, group: 0, first_row: 0 })
    }

    /// The next row group's documents, or `None` at the end.
    pub fn next_group(&mut self) -> Result<Option<Vec<Document>>, crate::SourceError> {
        let Some(group) = self.metadata.row_groups.get(self.group) else { return Ok(None) };
        let rows = group.num_rows();
        let offset = self.first_row;
        self.group += 1;
        self.first_row += rows;
        let err = |e: String| crate::SourceError::ParquetWrite { path: self.path.clone(), message: e };
        let df = guarded(|| {
            let mut reader = ParquetReader::new(self.file.try_clone()?);
            reader.set_metadata(self.metadata.clone());
            reader.with_slice(Some((offset, rows))).finish()
        })
        .map_err(err)?;
        let str_col = |name: &str| -> Result<StringChunked, crate::SourceError> {
            df.column(name).and_then(|c| c.str().cloned()).map_err(|e| err(e.to_string()))
        };
        let (ids, texts, sources, languages, metas) = (
            str_col("id")?,
            str_col("text")?,
            str_col("source_file")?,
            str_col("language")?,
            str_col("meta")?,
        );
        let lines =
            df.column("source_line").and_then(|c| c.u64().cloned()).map_err(|e| err(e.to_string()))?;
        let scores =
            df.column("language_score").and_then(|c| c.f64().cloned()).map_err(|e| err(e.to_string()))?;
        let tokens = df.column("tokens").and_then(|c| c.u64().cloned()).map_err(|e| err(e.to_string()))?;
        let mut docs = Vec::with_capacity(df.height());
        let mut last_source: Option<Arc<str>> = None;
        for i in 0..df.height() {
            let source = sources.get(i).unwrap_or_default();
            let source = match &last_source {
                Some(s) if &**s == source => s.clone(),
                _ => {
                    let s: Arc<str> = Arc::from(source);
                    last_source = Some(s.clone());
                    s
                }
            };
            let mut doc = Document::new(
                ids.get(i).unwrap_or_default(),
                texts.get(i).unwrap_or_default(),
                source,
                lines.get(i).unwrap_or_default(),
            );
            doc.language = languages.get(i).map(String::from);
            doc.language_score = scores.get(i);
            doc.tokens = tokens.get(i);
            doc.meta = metas.get(i).map(String::from);
            docs.push(doc);
        }
        Ok(Some(docs))
    }
}
