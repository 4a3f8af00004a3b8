//! `expr`: a user's rule as data: a boolean SQL expression over each record's fields and the
//! measurements earlier steps wrote (`language`, `language_score`), e.g.
//! `language = 'zh' AND language_score < 0.8` or `length(text) > 200000`. A batch of records is
//! loaded into an in-memory DuckDB and the expression evaluated over all of it at once.

use std::collections::BTreeMap;

use curate_filters::{Check, Document, Filter, FilterConfig, FilterError};
use duckdb::types::Value as Sql;
use duckdb::{appender_params_from_iter, Connection};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Options of `expr`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExprRuleConfig {
    /// The rule's version, written into decisions.
    pub version: String,
    /// Drop records for which this SQL expression is true.
    pub drop_when: String,
    /// Keep only records for which this SQL expression is true.
    pub keep_when: String,
    /// Fields of the records the expression uses besides `id`, `text`, `source_file`,
    /// `language` and `language_score`, with their DuckDB types, e.g. `{ stars = "DOUBLE" }`.
    /// A value that does not convert is NULL.
    pub fields: BTreeMap<String, String>,
}

impl Default for ExprRuleConfig {
    fn default() -> Self {
        Self {
            version: "1".into(),
            drop_when: String::new(),
            keep_when: String::new(),
            fields: BTreeMap::new(),
        }
    }
}

fn invalid(message: String) -> FilterError {
    FilterError::Invalid { filter: ExprRuleConfig::NAME.into(), message }
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl ExprRuleConfig {
    /// `(expression, drop when true)`.
    fn expression(&self) -> Result<(&str, bool), FilterError> {
        match (self.drop_when.trim(), self.keep_when.trim()) {
            (d, "") if !d.is_empty() => Ok((d, true)),
            ("", k) if !k.is_empty() => Ok((k, false)),
            ("", "") => Err(invalid("give `drop_when` or `keep_when`: a boolean SQL expression".into())),
            _ => Err(invalid("give `drop_when` or `keep_when`, not both".into())),
        }
    }

    /// The SQL that makes the `records` view of a batch.
    fn schema_sql(&self) -> String {
        let raw: Vec<String> = (0..self.fields.len()).map(|i| format!(", f{i} VARCHAR")).collect();
        let typed: Vec<String> = self
            .fields
            .iter()
            .enumerate()
            .map(|(i, (name, ty))| format!(", TRY_CAST(f{i} AS {ty}) AS {}", quote_ident(name)))
            .collect();
        format!(
            "CREATE TABLE raw (row_index BIGINT, id VARCHAR, text VARCHAR, source_file VARCHAR, language VARCHAR, \
             language_score DOUBLE{}); CREATE VIEW records AS SELECT row_index, id, text, source_file, language, \
             language_score{} FROM raw;",
            raw.concat(),
            typed.concat()
        )
    }
}

impl FilterConfig for ExprRuleConfig {
    const NAME: &'static str = "expr";
    const DESCRIPTION: &'static str =
        "A rule as data: a boolean SQL expression over fields and measurements (DuckDB, per batch)";

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        let (expression, drop) = self.expression()?;
        for ty in self.fields.values() {
            if !ty.chars().all(|c| c.is_ascii_alphanumeric() || " (),_[]".contains(c)) {
                return Err(invalid(format!("`fields`: {ty:?} is not a DuckDB type")));
            }
        }
        // Compile once against an empty batch: unknown fields, bad SQL and non-boolean
        // expressions fail here, before any work.
        let conn = Connection::open_in_memory().map_err(|e| invalid(format!("DuckDB: {e}")))?;
        conn.execute_batch(&self.schema_sql()).map_err(|e| invalid(format!("`fields`: {e}")))?;
        let ty: String = conn
            .query_row(&format!("SELECT typeof(({expression})) FROM (SELECT * FROM records UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL{} ) LIMIT 1", ", NULL".repeat(self.fields.len())), [], |r| r.get(0))
            .map_err(|e| {
                let hint = if e.to_string().contains("Referenced column") {
                    "\n(record fields other than id, text, source_file, language, language_score must be declared: \
                     fields = { name = \"DOUBLE\" })"
                } else {
                    ""
                };
                invalid(format!("`{}`: {e}{hint}", if drop { "drop_when" } else { "keep_when" }))
            })?;
        if ty != "BOOLEAN" && ty != "NULL" {
            return Err(invalid(format!(
                "`{}` is {ty}, not a boolean: compare it (e.g. `{expression} > 0`)",
                if drop { "drop_when" } else { "keep_when" }
            )));
        }
        Ok(Box::new(ExprRule { config: self.clone(), expression: expression.to_string(), drop }))
    }
}

/// The `expr` filter.
pub struct ExprRule {
    config: ExprRuleConfig,
    expression: String,
    drop: bool,
}

/// A record field's value as text for DuckDB to cast: strings as they are, others as JSON.
fn field_value(meta: &Option<Value>, name: &str) -> Sql {
    let value = meta.as_ref().and_then(|m| name.split('.').try_fold(m, |v, k| v.get(k)));
    match value {
        None | Some(Value::Null) => Sql::Null,
        Some(Value::String(s)) => Sql::Text(s.clone()),
        Some(other) => Sql::Text(other.to_string()),
    }
}

impl ExprRule {
    /// The expression's value for each document (NULL counts as false).
    fn evaluate(&self, docs: &[Document]) -> Result<Vec<bool>, duckdb::Error> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(&self.config.schema_sql())?;
        {
            let mut appender = conn.appender("raw")?;
            for (i, doc) in docs.iter().enumerate() {
                let meta: Option<Value> = doc.meta.as_deref().and_then(|m| serde_json::from_str(m).ok());
                let mut row = vec![
                    Sql::BigInt(i as i64),
                    Sql::Text(doc.id.clone()),
                    Sql::Text(doc.text.clone()),
                    Sql::Text(doc.source.to_string()),
                    doc.language.clone().map_or(Sql::Null, Sql::Text),
                    doc.language_score.map_or(Sql::Null, Sql::Double),
                ];
                row.extend(self.config.fields.keys().map(|name| field_value(&meta, name)));
                appender.append_row(appender_params_from_iter(row))?;
            }
        }
        let mut stmt = conn.prepare(&format!(
            "SELECT coalesce(({}), false) FROM records ORDER BY row_index",
            self.expression
        ))?;
        let values = stmt.query_map([], |r| r.get::<_, bool>(0))?.collect::<Result<Vec<_>, _>>()?;
        Ok(values)
    }
}

impl Filter for ExprRule {
    fn version(&self) -> &str {
        &self.config.version
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        curate_filters::check_alone(self, doc)
    }

    fn check_batch(&self, docs: &mut [Document]) -> Result<Vec<Vec<Check>>, FilterError> {
        let values =
            self.evaluate(docs).map_err(|e| invalid(format!("evaluating `{}`: {e}", self.expression)))?;
        Ok(values
            .into_iter()
            .map(|v| {
                let passed = v != self.drop;
                let reason = if self.drop {
                    format!("drop_when `{}` is true", self.expression)
                } else {
                    format!("keep_when `{}` is false", self.expression)
                };
                vec![Check::new("expression", Some(f64::from(u8::from(v))), None, passed, reason)]
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn doc(id: &str, text: &str, lang: &str, score: f64, meta: &str) -> Document {
        let mut d = Document::new(id, text, Arc::from("t"), 1);
        d.language = Some(lang.into());
        d.language_score = Some(score);
        d.meta = Some(meta.into());
        d
    }

    #[test]
    fn expressions_decide_over_a_batch() {
        let rule = ExprRuleConfig {
            drop_when: "language = 'zh' AND language_score < 0.8 OR stars < 3".into(),
            fields: [("stars".to_string(), "DOUBLE".to_string())].into(),
            ..Default::default()
        };
        let f = rule.build().unwrap();
        let mut docs = vec![
            doc("a", "hello", "en", 0.99, r#"{"stars": 5}"#),
            doc("b", "你好", "zh", 0.5, r#"{"stars": 5}"#),
            doc("c", "hi", "en", 0.99, r#"{"stars": "2"}"#),
            doc("d", "hi", "en", 0.99, r#"{}"#),
        ];
        let kept: Vec<bool> = f.check_batch(&mut docs).unwrap().iter().map(|c| c[0].passed).collect();
        assert_eq!(kept, [true, false, false, true]);
        let long =
            ExprRuleConfig { keep_when: "length(text) > 3".into(), ..Default::default() }.build().unwrap();
        assert!(!long.check_batch(&mut docs).unwrap()[1][0].passed);
    }

    #[test]
    fn broken_expressions_say_what_to_fix() {
        let unknown = ExprRuleConfig { drop_when: "stars < 3".into(), ..Default::default() };
        let e = unknown.build().err().unwrap().to_string();
        assert!(e.contains("stars"), "{e}");
        let not_bool = ExprRuleConfig { drop_when: "length(text)".into(), ..Default::default() };
        let e = not_bool.build().err().unwrap().to_string();
        assert!(e.contains("not a boolean"), "{e}");
        let bad = ExprRuleConfig { drop_when: "length(text) >".into(), ..Default::default() };
        assert!(bad.build().err().unwrap().to_string().contains("drop_when"));
        assert!(ExprRuleConfig::default().build().err().unwrap().to_string().contains("drop_when"));
    }
}
