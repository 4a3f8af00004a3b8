//! Parquet outputs that appear only when complete: rows go to `<name>.tmp`, which is renamed
//! to `<name>` by [`ParquetShard::commit`]. A crash leaves at most a `.tmp` behind.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use polars::prelude::*;

use crate::SourceError;

/// One Parquet output file being written.
pub struct ParquetShard {
    tmp: PathBuf,
    path: PathBuf,
    writer: polars::io::parquet::write::BatchedWriter<SharedFile>,
    file: SharedFile,
    rows: u64,
}

/// A buffered file that the Parquet writer and [`ParquetShard::commit`] share, so that the
/// commit can flush and sync it and see the errors (a drop would swallow them).
#[derive(Clone)]
struct SharedFile(Arc<Mutex<BufWriter<File>>>);

impl Write for SharedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.flush()
    }
}

/// The temp name of an output path.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

impl ParquetShard {
    /// Starts writing the output `path` with `schema`, zstd-compressed: files people keep.
    pub fn create(path: &Path, schema: &Schema) -> Result<Self, SourceError> {
        Self::create_with(path, schema, ParquetCompression::Zstd(None))
    }

    /// Starts writing the intermediate `path` with `schema`, LZ4-compressed: files the run
    /// reads back once and removes (records waiting for dedup, signatures), where zstd's
    /// smaller files are not worth its time (about 4x LZ4's to compress).
    pub fn scratch(path: &Path, schema: &Schema) -> Result<Self, SourceError> {
        Self::create_with(path, schema, ParquetCompression::Lz4Raw)
    }

    fn create_with(
        path: &Path,
        schema: &Schema,
        compression: ParquetCompression,
    ) -> Result<Self, SourceError> {
        let tmp = tmp_path(path);
        let file = File::create(&tmp).map_err(|e| SourceError::io(&tmp, e))?;
        let file = SharedFile(Arc::new(Mutex::new(BufWriter::with_capacity(1 << 20, file))));
        let writer = ParquetWriter::new(file.clone())
            .with_compression(compression)
            .set_parallel(false)
            .batched(schema)
            .map_err(|e| SourceError::ParquetWrite { path: tmp.clone(), message: e.to_string() })?;
        Ok(Self { tmp, path: path.to_path_buf(), writer, file, rows: 0 })
    }

    /// Appends `frame` as one or more row groups.
    pub fn write(&mut self, frame: &DataFrame) -> Result<(), SourceError> {
        if frame.height() == 0 {
            return Ok(());
        }
        self.rows += frame.height() as u64;
        self.writer
            .write_batch(frame)
            .map_err(|e| SourceError::ParquetWrite { path: self.tmp.clone(), message: e.to_string() })
    }

    /// Writes the footer, syncs, and renames the file into place. Returns the rows written.
    pub fn commit(mut self) -> Result<u64, SourceError> {
        let err =
            |e: PolarsError| SourceError::ParquetWrite { path: self.tmp.clone(), message: e.to_string() };
        self.writer.finish().map_err(err)?;
        self.file.flush().map_err(|e| SourceError::io(&self.tmp, e))?;
        let synced = match self.file.0.lock() {
            Ok(guard) => guard.get_ref().sync_all(),
            Err(_) => Err(std::io::Error::other("writer lock poisoned")),
        };
        synced.map_err(|e| SourceError::io(&self.tmp, e))?;
        drop(self.writer);
        std::fs::rename(&self.tmp, &self.path).map_err(|e| SourceError::io(&self.path, e))?;
        Ok(self.rows)
    }
}

/// Rows in a Parquet file, from its footer.
pub fn parquet_rows(path: &Path) -> Result<u64, SourceError> {
    let file = File::open(path).map_err(|e| SourceError::io(path, e))?;
    let mut reader = ParquetReader::new(file);
    reader
        .num_rows()
        .map(|n| n as u64)
        .map_err(|e| SourceError::ParquetWrite { path: path.to_path_buf(), message: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appears_only_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.parquet");
        let schema: Schema = [Field::new("a".into(), DataType::Int64)].into_iter().collect();
        let mut shard = ParquetShard::create(&path, &schema).unwrap();
        let df = DataFrame::new(2, vec![Column::new("a".into(), vec![1i64, 2])]).unwrap();
        shard.write(&df).unwrap();
        shard.write(&df).unwrap();
        assert!(!path.exists() && tmp_path(&path).exists());
        assert_eq!(shard.commit().unwrap(), 4);
        assert!(path.exists() && !tmp_path(&path).exists());
        assert_eq!(parquet_rows(&path).unwrap(), 4);
    }

    #[test]
    fn scratch_files_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scratch.parquet");
        let schema: Schema = [Field::new("a".into(), DataType::String)].into_iter().collect();
        let mut shard = ParquetShard::scratch(&path, &schema).unwrap();
        let text: Vec<String> = (0..1000).map(|i| format!("row {i} of some repeated text")).collect();
        let df = DataFrame::new(1000, vec![Column::new("a".into(), text.clone())]).unwrap();
        shard.write(&df).unwrap();
        assert_eq!(shard.commit().unwrap(), 1000);
        let mut reader = ParquetReader::new(File::open(&path).unwrap());
        let codecs: Vec<String> = reader.get_metadata().unwrap().row_groups[0]
            .parquet_columns()
            .iter()
            .map(|c| format!("{:?}", c.compression()))
            .collect();
        assert_eq!(codecs, ["Lz4Raw"]);
        assert!(reader.finish().unwrap().equals(&df));
    }

    #[test]
    fn empty_files_have_a_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("empty.parquet");
        let schema: Schema = [Field::new("a".into(), DataType::String)].into_iter().collect();
        ParquetShard::create(&path, &schema).unwrap().commit().unwrap();
        assert_eq!(parquet_rows(&path).unwrap(), 0);
    }
}
