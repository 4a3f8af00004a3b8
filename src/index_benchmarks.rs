//! `curate index-benchmarks`: an n-gram index of benchmark items, for contamination checks.

use std::io::BufRead;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use curate_filters::contamination::{NgramIndex, NgramParams};
use curate_sources::arrow_ipc::ArrowBatches;
use curate_sources::jsonl::BatchLimits;
use curate_sources::open::ByteCount;
use curate_sources::parquet::ParquetBatches;
use curate_sources::{FieldNames, Format, InputFile, RawItem};
use serde_json::Value;

use crate::cli::IndexArgs;

/// The value at a dotted path (`doc.question`), if any.
fn at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, key| v.get(key))
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn default_name(input: &InputFile) -> String {
    let base = input.name.rsplit('/').next().unwrap_or(&input.name);
    base.split('.').next().unwrap_or(base).to_string()
}

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

/// Builds and saves the index; prints what went in.
pub fn run(args: &IndexArgs) -> Result<()> {
    let inputs = curate_sources::input::expand(&args.input)?;
    let mut index = NgramIndex::new(NgramParams { n: args.ngram.max(1), ..Default::default() });
    let tmp = tempfile_dir()?;
    let mut seen = std::collections::HashSet::new();
    let mut per_benchmark: std::collections::BTreeMap<String, usize> = Default::default();
    for input in &inputs {
        let fallback = args.name.clone().unwrap_or_else(|| default_name(input));
        let text_field = args.fields.first().map_or("text", String::as_str);
        for (line, record) in records(input, text_field, &args.id_field, &tmp)? {
            let name = args
                .name_field
                .as_deref()
                .and_then(|f| at(&record, f))
                .and_then(as_text)
                .unwrap_or_else(|| fallback.clone());
            let id = at(&record, &args.id_field)
                .and_then(as_text)
                .unwrap_or_else(|| curate_sources::parse::derived_id(&input.name, line));
            // Evaluation files often repeat an item (one request per answer choice).
            if !seen.insert((Arc::<str>::from(name.as_str()), id.clone())) {
                continue;
            }
            let text: Vec<String> =
                args.fields.iter().filter_map(|f| at(&record, f)).filter_map(as_text).collect();
            if text.is_empty() {
                bail!("{}:{line}: none of the fields {:?} is present", input.name, args.fields);
            }
            if index.add(&name, &id, &text.join("\n")) {
                *per_benchmark.entry(name).or_default() += 1;
            }
        }
    }
    index.save(&args.output).map_err(anyhow::Error::msg)?;
    let _ = std::fs::remove_dir_all(&tmp);
    let items: usize = per_benchmark.values().sum();
    println!(
        "indexed {items} items ({} distinct {}-grams) into {}",
        index.len(),
        args.ngram,
        args.output.display()
    );
    for (name, n) in per_benchmark {
        println!("  {name:<40} {n:>7} items");
    }
    Ok(())
}

/// A scratch folder for downloads, removed by the caller.
pub fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("curate-index-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
