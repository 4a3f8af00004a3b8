//! Failing fast when the text field is wrong: if the first records of an input all lack the
//! text field (or hold something other than text in it), the run stops with the fields the
//! records do have and the option to choose one, instead of quarantining every record and
//! ending "successfully" with nothing kept.

use std::sync::Arc;

use anyhow::{bail, Result};
use curate_schemas::QuarantineRow;
use curate_sources::jsonl::{BatchLimits, LineBatches};
use curate_sources::open::ByteCount;
use curate_sources::{parse, FieldNames, Format, InputFile, RawItem};

/// Records of an input looked at before the run starts.
const FIRST_RECORDS: usize = 100;

/// Field names that usually hold a record's text, in the order they are suggested.
const LIKELY_TEXT: [&str; 10] = [
    "content",
    "raw_content",
    "body",
    "document",
    "text",
    "question",
    "query",
    "prompt",
    "problem",
    "article",
];

/// The error for `input` when every row of `rows` (its first records, none of which parsed)
/// says the text field is missing or not a string; `None` when any record was readable or any
/// row failed for another cause (that is what quarantine is for).
pub fn problem(input: &str, rows: &[QuarantineRow], parsed: usize, fields: &FieldNames) -> Option<String> {
    if parsed > 0 || rows.is_empty() {
        return None;
    }
    let field = format!("field `{}` is ", fields.text);
    if !rows.iter().all(|r| r.error.starts_with(&field)) {
        return None;
    }
    let first = &rows[0];
    let present: Vec<&str> = first
        .error
        .split_once("fields present: ")
        .map(|(_, rest)| rest.trim_end_matches(')').split(", ").collect())
        .unwrap_or_default();
    let suggestion = LIKELY_TEXT.iter().find(|f| present.contains(f)).copied().unwrap_or("FIELD");
    Some(format!(
        "{input}: none of the first {} records has a text field `{}` ({}:{}: {}). Choose the field \
         that holds the text with --text-field {suggestion} (or [fields] text = \"{suggestion}\" in \
         a config); --id-field names the id field the same way",
        rows.len(),
        fields.text,
        input,
        first.line,
        first.error
    ))
}

/// Reads the first records of the first local JSONL inputs and fails when their text field is
/// wrong, before anything is written.
pub fn check_inputs(inputs: &[InputFile], fields: &FieldNames) -> Result<()> {
    for input in inputs.iter().filter(|i| matches!(i.format, Format::Jsonl(_))).take(3) {
        if !matches!(input.location, curate_sources::Location::Local(_)) {
            continue;
        }
        // Unreadable inputs are the run's to quarantine.
        let Ok(reader) = curate_sources::open::open_jsonl(input, ByteCount::default()) else { continue };
        let limits = BatchLimits { records: FIRST_RECORDS, bytes: 16 << 20 };
        let mut batches = LineBatches::new(reader, Arc::from(input.name.as_str()), limits);
        let Some(batch) = batches.next() else { continue };
        let (mut rows, mut parsed) = (Vec::new(), 0);
        for item in batch {
            match item {
                RawItem::Line(line) => match parse::parse_line(line, fields) {
                    Ok(_) => parsed += 1,
                    Err(row) => rows.push(row),
                },
                RawItem::Document(_) => parsed += 1,
                RawItem::Quarantined(row) => rows.push(row),
            }
        }
        if let Some(message) = problem(&input.name, &rows, parsed, fields) {
            bail!(message);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(error: &str) -> QuarantineRow {
        QuarantineRow {
            source_file: "a.jsonl".into(),
            line: 1,
            byte_offset: Some(0),
            error: error.into(),
            raw: None,
        }
    }

    #[test]
    fn names_the_fields_present_and_the_option() {
        let fields = FieldNames::default();
        let missing = row("field `text` is missing (fields present: content, id, url)");
        let message = problem("a.jsonl", &[missing.clone(), missing.clone()], 0, &fields).unwrap();
        assert!(message.contains("--text-field content") && message.contains("a.jsonl:1"), "{message}");
        // One readable record, or another cause: not a field problem.
        assert!(problem("a.jsonl", std::slice::from_ref(&missing), 1, &fields).is_none());
        assert!(problem("a.jsonl", &[missing, row("line is not valid JSON")], 0, &fields).is_none());
    }
}
