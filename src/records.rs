//! Helpers for the commands that read records whole (`curate index-benchmarks`,
//! `curate judge`, the outputs written after a stage); the reading itself is
//! [`curate_sources::records::records`].

pub use curate_sources::records::records;

/// A scratch folder for downloads, removed by the caller.
pub fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("curate-index-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A run table's `meta` column (the record's other fields, as JSON text) as a JSON value;
/// `Null` when absent or not JSON.
pub fn meta_json(raw: Option<&str>) -> serde_json::Value {
    raw.and_then(|m| serde_json::from_str(m).ok()).unwrap_or(serde_json::Value::Null)
}
