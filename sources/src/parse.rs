//! One raw JSONL line into a [`Document`], or a [`QuarantineRow`] that says what is wrong.

use std::collections::BTreeMap;
use std::sync::Arc;

use curate_schemas::{Document, QuarantineRow};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::jsonl::RawLine;

/// Which fields of an input record hold the text and the id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FieldNames {
    /// The field with the text to curate.
    pub text: String,
    /// The field with the record's id; when a record has none, the id is `<source>:<line>`.
    pub id: String,
}

impl Default for FieldNames {
    fn default() -> Self {
        Self { text: "text".into(), id: "id".into() }
    }
}

/// The id of a record that has none: its source and line, stable across reruns.
pub fn derived_id(source: &str, line: u64) -> String {
    format!("{source}:{line}")
}

fn kind_of(raw: &RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        Some(b'"') => "a string",
        Some(b'[') => "an array",
        Some(b'{') => "an object",
        _ => "a number",
    }
}

/// Parses one line. Every failure names the file, the line and what to fix.
pub fn parse_line(line: RawLine, fields: &FieldNames) -> Result<Document, QuarantineRow> {
    let RawLine { source, line, offset, bytes } = line;
    let fail = |error: String, bytes: &[u8]| QuarantineRow {
        source_file: source.to_string(),
        line,
        byte_offset: Some(offset),
        error,
        raw: Some(QuarantineRow::raw_excerpt(bytes)),
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => return Err(fail(format!("invalid UTF-8 at byte {} of the line", e.valid_up_to()), &bytes)),
    };
    let mut map: BTreeMap<String, &RawValue> = match serde_json::from_str(text) {
        Ok(m) => m,
        Err(e) if e.is_data() => return Err(fail("line is JSON but not an object".into(), &bytes)),
        Err(e) => return Err(fail(format!("line is not valid JSON: {e}"), &bytes)),
    };
    let body = match map.remove(&fields.text) {
        None => {
            let present: Vec<&str> = map.keys().map(String::as_str).collect();
            return Err(fail(
                format!("field `{}` is missing (fields present: {})", fields.text, present.join(", ")),
                &bytes,
            ));
        }
        Some(raw) => match serde_json::from_str::<String>(raw.get()) {
            Ok(s) => s,
            Err(_) => {
                return Err(fail(
                    format!("field `{}` is {}, expected a string", fields.text, kind_of(raw)),
                    &bytes,
                ))
            }
        },
    };
    let id = match map.remove(&fields.id) {
        None => derived_id(&source, line),
        Some(raw) => match raw.get().as_bytes().first() {
            Some(b'"') => {
                serde_json::from_str::<String>(raw.get()).map_err(|e| fail(e.to_string(), &bytes))?
            }
            Some(b'n') => derived_id(&source, line),
            Some(b'-' | b'0'..=b'9') => raw.get().to_string(),
            _ => {
                return Err(fail(
                    format!("field `{}` is {}, expected a string or a number", fields.id, kind_of(raw)),
                    &bytes,
                ))
            }
        },
    };
    let meta = if map.is_empty() {
        None
    } else {
        Some(serde_json::to_string(&map).map_err(|e| fail(e.to_string(), &bytes))?)
    };
    let mut doc = Document::new(id, body, Arc::clone(&source), line);
    doc.meta = meta;
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> Result<Document, QuarantineRow> {
        let line = RawLine { source: Arc::from("in.jsonl"), line: 7, offset: 100, bytes: bytes.to_vec() };
        parse_line(line, &FieldNames::default())
    }

    #[test]
    fn good_lines_keep_their_other_fields() {
        let d = parse(br#"{"text":"caf\u00e9","id":42,"url":"http://x","n":[1,2]}"#).unwrap();
        assert_eq!((d.id.as_str(), d.text.as_str(), d.line), ("42", "café", 7));
        assert_eq!(d.meta.as_deref(), Some(r#"{"n":[1,2],"url":"http://x"}"#));
        let d = parse(br#"{"text":"x"}"#).unwrap();
        assert_eq!(d.id, "in.jsonl:7");
        assert_eq!(d.meta, None);
    }

    #[test]
    fn bad_lines_say_what_and_where() {
        let cases: &[(&[u8], &str)] = &[
            (b"{\"text\": \"abc", "line is not valid JSON: EOF while parsing"),
            (b"[1, 2]", "line is JSON but not an object"),
            (b"{\"text\": \"a\xff\"}", "invalid UTF-8 at byte 11 of the line"),
            (br#"{"body": "x", "id": 1}"#, "field `text` is missing (fields present: body, id)"),
            (br#"{"text": 5}"#, "field `text` is a number, expected a string"),
            (br#"{"text": null}"#, "field `text` is null, expected a string"),
            (br#"{"text": "x", "id": [1]}"#, "field `id` is an array, expected a string or a number"),
        ];
        for (bytes, want) in cases {
            let q = parse(bytes).unwrap_err();
            assert!(q.error.starts_with(want), "got {:?}, want {want:?}", q.error);
            assert_eq!((q.line, q.byte_offset), (7, Some(100)));
            assert!(q.raw.is_some());
        }
    }
}
