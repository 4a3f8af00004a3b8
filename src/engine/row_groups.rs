//! Buffered table rows written as Parquet row groups, by row count or byte size: what bounds
//! a task's memory whatever the size of its input.

use anyhow::{Context, Result};
use curate_schemas::output::TableBuilder;
use curate_sources::writer::ParquetShard;

/// Rows buffered per table before they are written as a row group.
const FLUSH_ROWS: usize = 64 * 1024;
/// Bytes buffered per table before they are written as a row group. A task holds up to this
/// much in each of its tables, twice while a row group is built, whatever the size of its
/// input file: 8 MB keeps a task near 100 MB (32 MB made it ~190 MB on 100 MB input files).
const FLUSH_BYTES: usize = 8 << 20;

/// Writes `table`'s buffered rows as a row group once they reach the row or byte bound, or
/// whatever is buffered when `force` is set.
pub(crate) fn flush<T: TableBuilder>(table: &mut (T, ParquetShard), force: bool) -> Result<()> {
    let (builder, shard) = table;
    if !builder.is_empty() && (force || builder.len() >= FLUSH_ROWS || builder.bytes() >= FLUSH_BYTES) {
        let frame = builder.take_frame().context("building a row group")?;
        shard.write(&frame)?;
    }
    Ok(())
}
