//! Helpers for the commands that read records whole (`curate index-benchmarks`,
//! `curate judge`); the reading itself is [`curate_sources::records::records`].

pub use curate_sources::records::records;

/// A scratch folder for downloads, removed by the caller.
pub fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("curate-index-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
