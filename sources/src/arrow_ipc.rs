//! Arrow IPC inputs (`.arrow`): the files Hugging Face `datasets` saves (stream format; the
//! file format is read too), record batch by record batch.
//!
//! Strings are taken as they are; other columns go into `meta` as JSON: numbers and booleans
//! as themselves, anything else (lists, structs) as Arrow's display string.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::sync::Arc;

use arrow_array::{Array, RecordBatch, RecordBatchReader};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_schema::DataType;
use curate_schemas::{Document, QuarantineRow};

use crate::jsonl::BatchLimits;
use crate::open::ByteCount;
use crate::parse::{derived_id, FieldNames};
use crate::{InputFile, Location, RawItem};

/// Reads an Arrow IPC input into batches of documents.
pub struct ArrowBatches {
    source: Arc<str>,
    fields: FieldNames,
    reader: Option<Box<dyn RecordBatchReader + Send>>,
    failed: Option<QuarantineRow>,
    next_row: u64,
    limits: BatchLimits,
    pending: std::vec::IntoIter<RawItem>,
}

fn open(path: &std::path::Path) -> Result<Box<dyn RecordBatchReader + Send>, String> {
    let mut file = File::open(path).map_err(|e| format!("could not open: {e}"))?;
    let mut magic = [0u8; 6];
    let is_file_format = file.read_exact(&mut magic).is_ok() && &magic == b"ARROW1";
    file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
    if is_file_format {
        arrow_ipc::reader::FileReader::try_new(file, None)
            .map(|r| Box::new(r) as Box<dyn RecordBatchReader + Send>)
            .map_err(|e| format!("unreadable Arrow IPC file: {e}"))
    } else {
        arrow_ipc::reader::StreamReader::try_new(BufReader::new(file), None)
            .map(|r| Box::new(r) as Box<dyn RecordBatchReader + Send>)
            .map_err(|e| format!("unreadable Arrow IPC stream: {e}"))
    }
}

impl ArrowBatches {
    /// Opens a local Arrow IPC file (URLs are not supported for this format).
    pub fn open(input: &InputFile, fields: &FieldNames, limits: BatchLimits, counter: ByteCount) -> Self {
        let source: Arc<str> = Arc::from(input.name.as_str());
        let mut this = Self {
            source: source.clone(),
            fields: fields.clone(),
            reader: None,
            failed: None,
            next_row: 1,
            limits,
            pending: Vec::new().into_iter(),
        };
        let result = match &input.location {
            Location::Local(path) => open(path),
            Location::Url(_) | Location::S3(_) => {
                Err("Arrow IPC over HTTP or S3 is not supported; download it first".into())
            }
        };
        match result {
            Ok(reader) => {
                counter.add(input.size.unwrap_or(0));
                this.reader = Some(reader);
            }
            Err(e) => {
                this.failed = Some(QuarantineRow {
                    source_file: source.to_string(),
                    line: 0,
                    byte_offset: None,
                    error: e.to_string(),
                    raw: None,
                })
            }
        }
        this
    }

    fn documents(&mut self, batch: &RecordBatch) -> Result<Vec<RawItem>, String> {
        let schema = batch.schema();
        let text_name = self.fields.text.as_str();
        let text_index = schema.index_of(text_name).map_err(|_| {
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            format!("column `{text_name}` is missing (columns present: {})", names.join(", "))
        })?;
        let id_index = schema.index_of(&self.fields.id).ok();
        let options = FormatOptions::default();
        let formatters: Vec<ArrayFormatter> = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).map_err(|e| e.to_string()))
            .collect::<Result<_, _>>()?;
        let text_col = batch.column(text_index);
        if !matches!(text_col.data_type(), DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) {
            return Err(format!("column `{text_name}` is {}, expected a string", text_col.data_type()));
        }
        let mut items = Vec::with_capacity(batch.num_rows());
        for row in 0..batch.num_rows() {
            let line = self.next_row;
            self.next_row += 1;
            if text_col.is_null(row) {
                items.push(RawItem::Quarantined(QuarantineRow {
                    source_file: self.source.to_string(),
                    line,
                    byte_offset: None,
                    error: format!("field `{text_name}` is null, expected a string"),
                    raw: None,
                }));
                continue;
            }
            let text = formatters[text_index].value(row).to_string();
            let id = match id_index {
                Some(i) if !batch.column(i).is_null(row) => formatters[i].value(row).to_string(),
                _ => derived_id(&self.source, line),
            };
            let mut meta = serde_json::Map::new();
            for (i, field) in schema.fields().iter().enumerate() {
                if i == text_index || Some(i) == id_index {
                    continue;
                }
                let col = batch.column(i);
                let value = if col.is_null(row) {
                    serde_json::Value::Null
                } else {
                    let shown = formatters[i].value(row).to_string();
                    match col.data_type() {
                        DataType::Boolean => serde_json::Value::Bool(shown == "true"),
                        t if t.is_numeric() => {
                            serde_json::from_str(&shown).unwrap_or(serde_json::Value::String(shown))
                        }
                        _ => serde_json::Value::String(shown),
                    }
                };
                meta.insert(field.name().clone(), value);
            }
            let mut doc = Document::new(id, text, self.source.clone(), line);
            if !meta.is_empty() {
                doc.meta = Some(serde_json::Value::Object(meta).to_string());
            }
            items.push(RawItem::Document(doc));
        }
        Ok(items)
    }
}

impl Iterator for ArrowBatches {
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
            let next = self.reader.as_mut()?.next()?;
            let items = match next.map_err(|e| e.to_string()).and_then(|b| self.documents(&b)) {
                Ok(items) => items,
                Err(e) => {
                    // The rest of the stream cannot be trusted after a bad batch.
                    self.reader = None;
                    vec![RawItem::Quarantined(QuarantineRow {
                        source_file: self.source.to_string(),
                        line: self.next_row,
                        byte_offset: None,
                        error: format!(
                            "{}:{}: unreadable record batch, the rest is unread: {e}",
                            self.source, self.next_row
                        ),
                        raw: None,
                    })]
                }
            };
            self.pending = items.into_iter();
        }
    }
}
