//! Input records as whole JSON objects, for the commands and steps that look at records whole
//! (`curate index-benchmarks`, `curate judge`, the exclusion index of `reasoning-rl`) rather
//! than streaming them through a stage. A malformed record is an error naming file and line.

use std::io::BufRead;
use std::path::Path;

use serde_json::Value;

use crate::arrow_ipc::ArrowBatches;
use crate::jsonl::BatchLimits;
use crate::open::ByteCount;
use crate::parquet::ParquetBatches;
use crate::{FieldNames, Format, InputFile, RawItem, SourceError};

/// Records of one input file as JSON objects, with their line (or row) numbers. Columnar files
/// need to know which column is the text (`text_field`) and the id; `tmp` holds downloads.
pub fn records(
    input: &InputFile,
    text_field: &str,
    id_field: &str,
    tmp: &Path,
) -> Result<Vec<(u64, Value)>, SourceError> {
    let mut out = Vec::new();
    let bad = |line: u64, message: String| SourceError::Record { file: input.name.clone(), line, message };
    match input.format {
        Format::Jsonl(_) => {
            let reader = crate::open::open_jsonl(input, ByteCount::default())
                .map_err(|e| SourceError::io(input.name.clone(), e))?;
            for (i, line) in reader.lines().enumerate() {
                let number = i as u64 + 1;
                let line = line.map_err(|e| bad(number, e.to_string()))?;
                if line.trim().is_empty() {
                    continue;
                }
                let value: Value =
                    serde_json::from_str(&line).map_err(|e| bad(number, format!("not JSON: {e}")))?;
                out.push((number, value));
            }
        }
        Format::Parquet | Format::Arrow => {
            let text = text_field.to_string();
            let fields = FieldNames { text: text.clone(), id: id_field.to_string() };
            let limits = BatchLimits { records: 4096, bytes: 64 << 20 };
            let batches: Box<dyn Iterator<Item = Vec<RawItem>>> = if input.format == Format::Arrow {
                Box::new(ArrowBatches::open(input, &fields, limits, ByteCount::default()))
            } else {
                Box::new(ParquetBatches::open(input, &fields, limits, tmp, ByteCount::default()))
            };
            for batch in batches {
                for item in batch {
                    match item {
                        RawItem::Document(doc) => {
                            let mut obj = match doc.meta.as_deref().map(serde_json::from_str::<Value>) {
                                Some(Ok(Value::Object(m))) => m,
                                _ => serde_json::Map::new(),
                            };
                            obj.insert(text.clone(), Value::String(doc.text));
                            obj.insert(id_field.to_string(), Value::String(doc.id));
                            out.push((doc.line, Value::Object(obj)));
                        }
                        RawItem::Quarantined(q) => return Err(bad(q.line, q.error)),
                        RawItem::Line(_) => unreachable!("Parquet yields documents"),
                    }
                }
            }
        }
    }
    Ok(out)
}
