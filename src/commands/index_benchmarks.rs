//! `curate index-benchmarks`: an n-gram index of benchmark items, for contamination checks.

use std::sync::Arc;

use anyhow::{bail, Result};
use curate_filters::contamination::{NgramIndex, NgramParams};
use curate_sources::InputFile;
use serde_json::Value;

use crate::cli::IndexArgs;
use crate::records::{records, tempfile_dir};

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
    outln!(
        "indexed {items} items ({} distinct {}-grams) into {}",
        index.len(),
        args.ngram,
        args.output.display()
    );
    for (name, n) in per_benchmark {
        outln!("  {name:<40} {n:>7} items");
    }
    Ok(())
}
