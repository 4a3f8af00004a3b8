//! Input records as JSON objects, for the commands that look at records whole
//! (`curate index-benchmarks`, `curate judge`) rather than streaming them through a stage.

use std::io::BufRead;

use anyhow::{bail, Context, Result};
use curate_sources::arrow_ipc::ArrowBatches;
use curate_sources::jsonl::BatchLimits;
use curate_sources::open::ByteCount;
use curate_sources::parquet::ParquetBatches;
use curate_sources::{FieldNames, Format, InputFile, RawItem};
use serde_json::Value;

/// Records of one input file as JSON objects, with their line (or row) numbers. Columnar files
/// need to know which column is the text (`text_field`) and the id.
pub fn records(
    input: &InputFile,
    text_field: &str,
    id_field: &str,
    tmp: &std::path::Path,
) -> Result<Vec<(u64, Value)>> {
    let mut out = Vec::new();
    match input.format {
        Format::Jsonl(_) => {
            let reader = curate_sources::open::open_jsonl(input, ByteCount::default())
                .with_context(|| format!("opening {}", input.name))?;
            for (i, line) in reader.lines().enumerate() {
                let line = line.with_context(|| format!("{}:{}", input.name, i + 1))?;
                if line.trim().is_empty() {
                    continue;
                }
                let value: Value = serde_json::from_str(&line)
                    .with_context(|| format!("{}:{}: not JSON", input.name, i + 1))?;
                out.push((i as u64 + 1, value));
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
                        RawItem::Quarantined(q) => bail!("{}", q.error),
                        RawItem::Line(_) => unreachable!("Parquet yields documents"),
                    }
                }
            }
        }
    }
    Ok(out)
}

/// A scratch folder for downloads, removed by the caller.
pub fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("curate-index-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
