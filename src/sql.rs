//! `curate sql`: a run's tables as DuckDB views, queried with SQL.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use duckdb::arrow::array::{Array, ArrayRef};
use duckdb::arrow::datatypes::{DataType as ArrowType, Field, SchemaRef};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::arrow::util::display::{ArrayFormatter, FormatOptions};
use duckdb::Connection;
use polars::prelude::DataType;

use crate::engine::run_dir::{RunDir, TABLES};

/// How `curate sql` prints results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// An aligned text table.
    Table,
    /// CSV with a header line.
    Csv,
    /// One JSON object per line.
    Json,
}

fn sql_type(dtype: &DataType) -> &'static str {
    match dtype {
        DataType::UInt64 => "UBIGINT",
        DataType::Float64 => "DOUBLE",
        DataType::Boolean => "BOOLEAN",
        _ => "VARCHAR",
    }
}

/// `s` as a SQL string literal.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Whether `folder` holds a Parquet file.
pub fn has_parquet(folder: &Path) -> bool {
    std::fs::read_dir(folder)
        .map(|entries| entries.flatten().any(|e| e.path().extension().is_some_and(|x| x == "parquet")))
        .unwrap_or(false)
}

/// Opens the run at `root` in an in-memory DuckDB with one view per table.
pub fn open(root: &Path) -> Result<Connection> {
    let conn = Connection::open_in_memory().context("opening DuckDB")?;
    create_views(&conn, root, "main")?;
    Ok(conn)
}

/// Creates the views of the run at `root` in `schema` of `conn` (`main` for the default
/// schema; another one, e.g. to compare two runs, must exist).
pub fn create_views(conn: &Connection, root: &Path, schema: &str) -> Result<()> {
    let dir = RunDir::open(root)?;
    for table in TABLES {
        let folder = dir.root().join(table);
        let sql = if has_parquet(&folder) {
            let glob = folder.join("*.parquet");
            format!(
                "CREATE VIEW {schema}.{table} AS SELECT * FROM read_parquet({}, union_by_name = true)",
                quote(&glob.to_string_lossy())
            )
        } else {
            let schema_of = match table {
                "kept" => curate_schemas::output::kept_schema(),
                "rejected" => curate_schemas::output::rejected_schema(),
                "decisions" => curate_schemas::output::decisions_schema(),
                _ => curate_schemas::output::quarantine_schema(),
            };
            let cols: Vec<String> =
                schema_of.iter().map(|(n, t)| format!("\"{n}\" {}", sql_type(t))).collect();
            format!("CREATE TABLE {schema}.{table} ({})", cols.join(", "))
        };
        conn.execute_batch(&sql).with_context(|| format!("creating view `{table}`"))?;
    }
    // Runs written before tokens were counted have no `tokens` column, so no such view.
    let has_tokens = |table: &str| -> Result<bool> {
        let sql = format!("SELECT count(*) FROM (DESCRIBE {schema}.{table}) WHERE column_name = 'tokens'");
        Ok(conn.query_row(&sql, [], |r| r.get::<_, u64>(0)).context("reading the columns")? > 0)
    };
    if schema == "main" && has_tokens("kept")? && has_tokens("rejected")? {
        conn.execute_batch(crate::tokens::TOKEN_COUNTS_VIEW).context("creating view `token_counts`")?;
    }
    // What a stage hands on, when it has written it.
    for (view, file) in STAGE_VIEWS {
        let path = dir.root().join(file);
        if path.is_file() {
            let sql = format!(
                "CREATE VIEW {schema}.{view} AS SELECT * FROM read_parquet({})",
                quote(&path.to_string_lossy())
            );
            conn.execute_batch(&sql).with_context(|| format!("creating view `{view}`"))?;
        }
    }
    Ok(())
}

/// The views of what a stage hands on, and their files in the run directory.
pub const STAGE_VIEWS: [(&str, &str); 4] = [
    ("rl", "rl/rl.parquet"),
    ("selection", "rl/selection.parquet"),
    ("pairs", "pairs/pairs.parquet"),
    ("annotation", "annotation/queue.parquet"),
];

/// Ids that more than one record of the run carries: how many such ids, the most repeated one
/// and how often it occurs. `None` when every id is unique.
pub fn repeated_ids(root: &Path) -> Result<Option<(u64, String, u64)>> {
    let conn = open(root)?;
    let row = conn
        .query_row(
            "SELECT count(*), arg_max(id, n), max(n) FROM \
             (SELECT id, count(*) AS n FROM (SELECT id FROM kept UNION ALL SELECT id FROM rejected) \
              GROUP BY id HAVING count(*) > 1)",
            [],
            |r| Ok((r.get::<_, u64>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<u64>>(2)?)),
        )
        .context("counting repeated ids")?;
    Ok(match row {
        (0, _, _) => None,
        (n, id, times) => Some((n, id.unwrap_or_default(), times.unwrap_or(0))),
    })
}

/// A query's result: its columns (known even when no row came) and its rows in batches.
pub struct QueryResult {
    /// The columns.
    pub schema: SchemaRef,
    /// The rows.
    pub batches: Vec<RecordBatch>,
}

/// Runs `query` and returns its result. SQL errors are DuckDB's own messages.
pub fn query(conn: &Connection, query: &str) -> Result<QueryResult> {
    let mut stmt = conn.prepare(query).map_err(|e| anyhow::anyhow!("{e}"))?;
    let arrow = stmt.query_arrow([]).map_err(|e| anyhow::anyhow!("{e}"))?;
    let schema = arrow.get_schema();
    Ok(QueryResult { schema, batches: arrow.collect() })
}

/// Characters of a cell shown in table output (the rest is cut, marked with `…`): texts can be
/// long. CSV and JSON output give whole values.
pub const TABLE_CELL_CHARS: usize = 120;

/// Writes `result` to `out` in `format`.
pub fn print(result: &QueryResult, format: OutputFormat, out: &mut impl Write) -> Result<()> {
    let batches = &result.batches;
    match format {
        OutputFormat::Table => {
            let mut table = comfy_table::Table::new();
            table.load_preset("||--+-++|    ++++++");
            table.set_header(result.schema.fields().iter().map(|f| f.name().clone()));
            let mut rows = 0;
            for batch in batches {
                let formatters = formatters(batch.columns())?;
                for row in 0..batch.num_rows() {
                    table
                        .add_row(formatters.iter().map(|f| cut(&f.value(row).to_string(), TABLE_CELL_CHARS)));
                    rows += 1;
                }
            }
            writeln!(out, "{table}")?;
            if rows == 0 {
                writeln!(out, "(0 rows)")?;
            }
        }
        OutputFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(result.schema.fields().iter().map(|f| f.name().as_str()))?;
            for batch in batches {
                let formatters = formatters(batch.columns())?;
                for row in 0..batch.num_rows() {
                    let record: Vec<String> = batch
                        .columns()
                        .iter()
                        .zip(&formatters)
                        .map(
                            |(col, f)| {
                                if col.is_null(row) {
                                    String::new()
                                } else {
                                    f.value(row).to_string()
                                }
                            },
                        )
                        .collect();
                    w.write_record(&record)?;
                }
            }
            w.flush()?;
        }
        OutputFormat::Json => {
            for batch in batches {
                let schema = batch.schema();
                let formatters = formatters(batch.columns())?;
                for row in 0..batch.num_rows() {
                    let mut obj = serde_json::Map::new();
                    for ((field, col), f) in schema.fields().iter().zip(batch.columns()).zip(&formatters) {
                        obj.insert(field.name().clone(), json_value(field, col, f, row));
                    }
                    writeln!(out, "{}", serde_json::Value::Object(obj))?;
                }
            }
        }
    }
    Ok(())
}

fn formatters(columns: &[ArrayRef]) -> Result<Vec<ArrayFormatter<'_>>> {
    let options = FormatOptions::default();
    columns.iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options).map_err(Into::into)).collect()
}

/// A cell as JSON. Columns that hold JSON text (`meta`, and DuckDB's JSON type) are written as
/// the JSON they hold, not as a string of it.
fn json_value(field: &Field, col: &ArrayRef, f: &ArrayFormatter, row: usize) -> serde_json::Value {
    use serde_json::Value;
    if col.is_null(row) {
        return Value::Null;
    }
    let text = f.value(row).to_string();
    let holds_json = field.name() == "meta"
        || field.metadata().get("ARROW:extension:name").is_some_and(|n| n == "arrow.json");
    match col.data_type() {
        ArrowType::Boolean => Value::Bool(text == "true"),
        t if t.is_numeric() => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        _ if holds_json => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        _ => Value::String(text),
    }
}

/// `text` cut to `max` characters, marked with `…` when cut.
pub fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}
