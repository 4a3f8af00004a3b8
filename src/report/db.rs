//! The run's tables as the report reads them: `curate sql`'s views, and numbers that carry the
//! query they came from (the page shows it, and the browser test reruns it).

use std::path::Path;

use anyhow::{Context, Result};
use duckdb::{Connection, Row};
use serde::Serialize;

pub use crate::sql::{cut, quote};

/// A count on the page with the `curate sql` query that gives it.
#[derive(Debug, Clone, Serialize)]
pub struct Number {
    /// The value.
    pub value: u64,
    /// A query over the run's views whose single cell is `value`.
    pub sql: String,
}

/// The run's views in an in-memory DuckDB.
pub struct Db {
    conn: Connection,
}

impl Db {
    /// Opens the run at `root` (views in the default schema).
    pub fn open(root: &Path) -> Result<Self> {
        Ok(Self { conn: crate::sql::open(root)? })
    }

    /// Adds the views of another run under `schema` (for comparisons).
    pub fn attach(&self, root: &Path, schema: &str) -> Result<()> {
        self.conn.execute_batch(&format!("CREATE SCHEMA {schema}")).context("creating a schema")?;
        crate::sql::create_views(&self.conn, root, schema)
            .with_context(|| format!("opening {} to compare", root.display()))
    }

    /// Runs `sql`, whose result is one count, and keeps the query with it.
    pub fn number(&self, sql: String) -> Result<Number> {
        let value = self
            .conn
            .query_row(&sql, [], |r| r.get::<_, Option<i64>>(0))
            .with_context(|| format!("report query: {sql}"))?
            .unwrap_or(0);
        Ok(Number { value: value.max(0) as u64, sql })
    }

    /// Runs `sql` and maps every row with `f`.
    pub fn rows<T>(&self, sql: &str, mut f: impl FnMut(&Row) -> duckdb::Result<T>) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare(sql).with_context(|| format!("report query: {sql}"))?;
        let rows = stmt.query_map([], |r| f(r)).with_context(|| format!("report query: {sql}"))?;
        rows.collect::<duckdb::Result<Vec<T>>>().with_context(|| format!("report query: {sql}"))
    }

    /// Whether `view` exists in `schema` (stage outputs exist only when the stage wrote them).
    pub fn has_view(&self, schema: &str, view: &str) -> Result<bool> {
        let sql = format!(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = {} AND table_name = {}",
            quote(schema),
            quote(view)
        );
        Ok(self.conn.query_row(&sql, [], |r| r.get::<_, i64>(0)).context("listing views")? > 0)
    }
}

/// `WHERE` condition: `column` equals `value`, or is NULL for `None`.
pub fn equals(column: &str, value: Option<&str>) -> String {
    match value {
        Some(v) => format!("{column} = {}", quote(v)),
        None => format!("{column} IS NULL"),
    }
}
