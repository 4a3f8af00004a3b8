//! Inputs read as documents outside a stage run (`curate annotate`): the readers a run uses,
//! streamed batch by batch, so any input size fits in memory. What a run would quarantine is
//! counted and its first error kept, not returned.

use std::path::Path;
use std::sync::Arc;

use curate_schemas::Document;
use curate_sources::jsonl::{BatchLimits, LineBatches};
use curate_sources::open::ByteCount;
use curate_sources::parquet::ParquetBatches;
use curate_sources::{parse, FieldNames, Format, InputFile, RawItem};

/// Records of an input that could not be read: how many, and the first one's error.
#[derive(Debug, Default)]
pub struct Unreadable {
    /// Records (or row groups, files) skipped.
    pub count: u64,
    /// `file:line: error` of the first.
    pub first: Option<String>,
}

impl Unreadable {
    fn add(&mut self, file: &str, line: u64, error: &str) {
        self.count += 1;
        self.first.get_or_insert_with(|| format!("{file}:{line}: {error}"));
    }
}

/// Calls `each` with every document of `input`, in order; `tmp` holds downloads.
pub fn for_each(
    input: &InputFile,
    fields: &FieldNames,
    tmp: &Path,
    unreadable: &mut Unreadable,
    mut each: impl FnMut(Document),
) {
    let limits = BatchLimits { records: 1024, bytes: 8 << 20 };
    let batches: Box<dyn Iterator<Item = Vec<RawItem>>> = match input.format {
        Format::Jsonl(_) => match curate_sources::open::open_jsonl(input, ByteCount::default()) {
            Ok(reader) => Box::new(LineBatches::new(reader, Arc::from(input.name.as_str()), limits)),
            Err(e) => {
                unreadable.add(&input.name, 0, &format!("could not open: {e}"));
                return;
            }
        },
        Format::Parquet => Box::new(ParquetBatches::open(input, fields, limits, tmp, ByteCount::default())),
        Format::Arrow => Box::new(curate_sources::arrow_ipc::ArrowBatches::open(
            input,
            fields,
            limits,
            ByteCount::default(),
        )),
    };
    for batch in batches {
        for item in batch {
            let parsed = match item {
                RawItem::Line(line) => parse::parse_line(line, fields),
                RawItem::Document(doc) => Ok(doc),
                RawItem::Quarantined(q) => Err(q),
            };
            match parsed {
                Ok(doc) => each(doc),
                Err(q) => unreadable.add(&q.source_file, q.line, &q.error),
            }
        }
    }
}
