//! Expanding `--input` arguments into the list of input files of a run.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::SourceError;

/// How a JSONL stream is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Plain text.
    None,
    /// gzip (`.gz`), possibly several members.
    Gzip,
    /// Zstandard (`.zst`).
    Zstd,
}

/// The format of an input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "format", content = "compression")]
pub enum Format {
    /// One JSON object per line.
    Jsonl(Compression),
    /// Apache Parquet.
    Parquet,
    /// Arrow IPC (stream or file format), as Hugging Face `datasets` saves it.
    Arrow,
}

impl Format {
    /// Tells the format from a file name or URL path, or `None` if the name says nothing.
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.split(['?', '#']).next().unwrap_or(name).to_ascii_lowercase();
        let (stem, compression) = if let Some(s) = name.strip_suffix(".gz") {
            (s, Compression::Gzip)
        } else if let Some(s) = name.strip_suffix(".zst").or_else(|| name.strip_suffix(".zstd")) {
            (s, Compression::Zstd)
        } else {
            (name.as_str(), Compression::None)
        };
        if [".jsonl", ".json", ".ndjson"].iter().any(|ext| stem.ends_with(ext)) {
            Some(Format::Jsonl(compression))
        } else if compression == Compression::None && (stem.ends_with(".parquet") || stem.ends_with(".pq")) {
            Some(Format::Parquet)
        } else if compression == Compression::None && (stem.ends_with(".arrow") || stem.ends_with(".feather"))
        {
            Some(Format::Arrow)
        } else {
            None
        }
    }
}

/// Where an input lives.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    /// A local file.
    Local(PathBuf),
    /// An `http://` or `https://` URL, streamed.
    Url(String),
}

/// One input file of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// The name records carry as `source_file`: the path or URL as the user gave it.
    pub name: String,
    /// Where to read it.
    pub location: Location,
    /// Its format.
    pub format: Format,
    /// Its size in bytes, when known before reading (local files).
    pub size: Option<u64>,
}

fn is_url(arg: &str) -> bool {
    arg.starts_with("http://") || arg.starts_with("https://")
}

fn local(path: &Path) -> Result<InputFile, SourceError> {
    let name = path.to_string_lossy().into_owned();
    let format = Format::from_name(&name).ok_or_else(|| SourceError::UnknownFormat(name.clone()))?;
    let size = std::fs::metadata(path).map_err(|e| SourceError::io(path, e))?.len();
    Ok(InputFile { name, location: Location::Local(path.to_path_buf()), format, size: Some(size) })
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| SourceError::io(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|e| SourceError::io(dir, e)))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out)?;
        } else if Format::from_name(&path.to_string_lossy()).is_some() {
            out.push(path);
        }
    }
    Ok(())
}

/// Expands `--input` arguments, in the order given: a URL is taken as is, a glob expands to
/// its matches in sorted order, a directory to the files inside it (recursively, sorted) whose
/// names tell a known format, a path to itself. A file named twice is read once.
pub fn expand(args: &[String]) -> Result<Vec<InputFile>, SourceError> {
    let mut files = Vec::new();
    for arg in args {
        if is_url(arg) {
            let format = Format::from_name(arg).ok_or_else(|| SourceError::UnknownFormat(arg.clone()))?;
            files.push(InputFile {
                name: arg.clone(),
                location: Location::Url(arg.clone()),
                format,
                size: None,
            });
        } else if arg.contains(['*', '?', '[']) {
            let paths = glob::glob(arg)
                .map_err(|e| SourceError::BadGlob { pattern: arg.clone(), message: e.to_string() })?;
            let mut matched: Vec<PathBuf> = paths.filter_map(Result::ok).filter(|p| p.is_file()).collect();
            if matched.is_empty() {
                return Err(SourceError::NoMatch(arg.clone()));
            }
            matched.sort();
            for p in matched {
                files.push(local(&p)?);
            }
        } else {
            let path = Path::new(arg);
            if path.is_dir() {
                let mut inside = Vec::new();
                walk(path, &mut inside)?;
                if inside.is_empty() {
                    return Err(SourceError::NoMatch(arg.clone()));
                }
                for p in inside {
                    files.push(local(&p)?);
                }
            } else if path.exists() {
                files.push(local(path)?);
            } else {
                return Err(SourceError::NotFound(arg.clone()));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    files.retain(|f| seen.insert(f.location.clone()));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_names() {
        assert_eq!(Format::from_name("a/b.jsonl"), Some(Format::Jsonl(Compression::None)));
        assert_eq!(Format::from_name("b.json.gz"), Some(Format::Jsonl(Compression::Gzip)));
        assert_eq!(Format::from_name("B.JSONL.ZST"), Some(Format::Jsonl(Compression::Zstd)));
        assert_eq!(Format::from_name("https://x/y.parquet?sig=1"), Some(Format::Parquet));
        assert_eq!(Format::from_name("data-00000-of-00001.arrow"), Some(Format::Arrow));
        assert_eq!(Format::from_name("notes.txt"), None);
        assert_eq!(Format::from_name("x.parquet.gz"), None);
    }

    #[test]
    fn expands_globs_dirs_and_refuses_missing() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["b.jsonl", "a.jsonl.gz", "skip.txt"] {
            std::fs::write(dir.path().join(name), b"").unwrap();
        }
        let d = dir.path().to_string_lossy().to_string();
        let files = expand(&[format!("{d}/*.jsonl*")]).unwrap();
        let names: Vec<_> = files.iter().map(|f| f.name.rsplit('/').next().unwrap().to_string()).collect();
        assert_eq!(names, ["a.jsonl.gz", "b.jsonl"]);
        assert_eq!(expand(&[d.clone(), format!("{d}/b.jsonl")]).unwrap().len(), 2);
        assert!(matches!(expand(&[format!("{d}/nope.jsonl")]), Err(SourceError::NotFound(_))));
        assert!(matches!(expand(&[format!("{d}/skip.txt")]), Err(SourceError::UnknownFormat(_))));
        assert!(matches!(expand(&[format!("{d}/*.parquet")]), Err(SourceError::NoMatch(_))));
    }
}
