//! A query record's fields, read from a document's `meta` (the input record's other fields).

use serde_json::{Map, Value};

use crate::Document;

/// The record as a JSON object: its other fields plus the query under `query`.
pub fn fields(doc: &Document) -> Map<String, Value> {
    let mut map = doc
        .meta
        .as_deref()
        .and_then(|m| serde_json::from_str::<Value>(m).ok())
        .and_then(|v| match v {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .unwrap_or_default();
    map.insert("query".into(), Value::String(doc.text.clone()));
    map
}

/// Writes `fields` (less the query, which is the document's text) back into `doc.meta`.
pub fn store(doc: &mut Document, mut fields: Map<String, Value>) {
    fields.remove("query");
    doc.meta = Some(Value::Object(fields).to_string());
}

/// A field as text: strings as they are, numbers and other values as JSON; `None` when absent,
/// null or empty.
pub fn text(fields: &Map<String, Value>, name: &str) -> Option<String> {
    match fields.get(name)? {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Array(a) if a.is_empty() => None,
        other => Some(other.to_string()),
    }
}

/// What is wrong with the responses field, if anything: it must be absent, or a list of strings
/// or of objects whose `text_key` is a string.
pub fn responses_problem(fields: &Map<String, Value>, name: &str, text_key: &str) -> Option<String> {
    match fields.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => items.iter().enumerate().find_map(|(i, item)| match item {
            Value::String(_) => None,
            Value::Object(o) if o.get(text_key).is_some_and(Value::is_string) => None,
            Value::Object(_) => Some(format!("`{name}`[{i}] has no string `{text_key}`")),
            other => Some(format!("`{name}`[{i}] is {}, not a string or an object", kind(other))),
        }),
        Some(other) => Some(format!("`{name}` is {}, not a list", kind(other))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The candidate responses: a list of strings, or of objects with the text under `text_key`
/// (and the model that wrote it under `model`).
pub fn responses(fields: &Map<String, Value>, name: &str, text_key: &str) -> Vec<(String, Option<String>)> {
    let Some(Value::Array(items)) = fields.get(name) else { return Vec::new() };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => (s.clone(), None),
            Value::Object(o) => (
                o.get(text_key).and_then(Value::as_str).unwrap_or_default().to_string(),
                o.get("model").and_then(Value::as_str).map(String::from),
            ),
            other => (other.to_string(), None),
        })
        .collect()
}
