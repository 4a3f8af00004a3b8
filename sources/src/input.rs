//! Expanding `--input` arguments into the list of input files of a run.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::s3::S3Url;
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
    /// An object in S3 or an S3-compatible store, `s3://bucket/key`, read by ranges.
    S3(String),
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
    /// Its size in bytes, when known before reading (local files; URLs that say).
    pub size: Option<u64>,
    /// Its modification time in nanoseconds since 1970 (local files).
    #[serde(default)]
    pub modified: Option<u64>,
    /// The server's version of a URL's content: its ETag, else its Last-Modified.
    #[serde(default)]
    pub etag: Option<String>,
}

impl InputFile {
    /// This input as it is now: its size and time (local) or the server's version (URLs), read
    /// again, to compare with [`InputFile::changed`].
    pub fn restat(&self) -> Result<InputFile, SourceError> {
        let mut now = match &self.location {
            Location::Local(path) => local(path)?,
            Location::Url(url) => remote(url)?,
            Location::S3(url) => {
                let address = S3Url::parse(url)?;
                let meta = crate::s3::bucket(&address.bucket)?.head(&address.key)?;
                let meta = meta.ok_or_else(|| SourceError::NotFound(url.clone()))?;
                object(&address, &meta)?
            }
        };
        now.name = self.name.clone();
        Ok(now)
    }

    /// What differs between this input as planned and `now`, as a sentence; `None` when
    /// nothing known differs (what was unknown on either side is not compared).
    pub fn changed(&self, now: &InputFile) -> Option<String> {
        let mut what = Vec::new();
        if let (Some(a), Some(b)) = (self.size, now.size) {
            if a != b {
                what.push(format!("size {a} -> {b} bytes"));
            }
        }
        if let (Some(a), Some(b)) = (self.modified, now.modified) {
            if a != b {
                what.push(format!("modified {:.3} s later", (b as f64 - a as f64) / 1e9));
            }
        }
        if let (Some(a), Some(b)) = (&self.etag, &now.etag) {
            if a != b {
                what.push(format!("server version {a} -> {b}"));
            }
        }
        (!what.is_empty()).then(|| what.join(", "))
    }
}

fn is_url(arg: &str) -> bool {
    arg.starts_with("http://") || arg.starts_with("https://")
}

/// A local input. One that cannot be looked at (a dangling link, no permission) is still an
/// input: reading it fails, and that failure is its quarantine row.
fn local(path: &Path) -> Result<InputFile, SourceError> {
    let name = path.to_string_lossy().into_owned();
    let format = Format::from_name(&name).ok_or_else(|| SourceError::UnknownFormat(name.clone()))?;
    let meta = std::fs::metadata(path).ok();
    let modified = meta
        .as_ref()
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as u64);
    Ok(InputFile {
        name,
        location: Location::Local(path.to_path_buf()),
        format,
        size: meta.map(|m| m.len()),
        modified,
        etag: None,
    })
}

/// A URL input, with what its server says of its version (a HEAD request; nothing when the
/// server does not answer it, and then reading the URL decides).
fn remote(url: &str) -> Result<InputFile, SourceError> {
    let format = Format::from_name(url).ok_or_else(|| SourceError::UnknownFormat(url.to_string()))?;
    let head = crate::open::head(url).ok();
    let header = |name: &str| {
        head.as_ref().and_then(|h| h.get(name)).and_then(|v| v.to_str().ok()).map(str::to_string)
    };
    Ok(InputFile {
        name: url.to_string(),
        location: Location::Url(url.to_string()),
        format,
        size: header("content-length").and_then(|v| v.parse().ok()),
        modified: None,
        etag: header("etag").or_else(|| header("last-modified")),
    })
}

/// An object of a store as an input, with its size and version (ETag) from the listing.
fn object(bucket: &S3Url, meta: &object_store::ObjectMeta) -> Result<InputFile, SourceError> {
    let url = format!("s3://{}/{}", bucket.bucket, meta.location);
    let format = Format::from_name(&url).ok_or_else(|| SourceError::UnknownFormat(url.clone()))?;
    Ok(InputFile {
        name: url.clone(),
        location: Location::S3(url),
        format,
        size: Some(meta.size),
        modified: None,
        etag: meta.e_tag.clone(),
    })
}

/// The objects an `s3://` argument names, listed once: a glob (`s3://b/data/*.jsonl.gz`) lists
/// the prefix before its first wildcard and keeps the matches; a key that is an object is
/// itself; otherwise the key is a folder, and its data files (recursively, names telling a
/// known format, hidden files and dataset metadata left out) are the inputs. Key order.
fn expand_s3(arg: &str) -> Result<Vec<InputFile>, SourceError> {
    let url = S3Url::parse(arg)?;
    let bucket = crate::s3::bucket(&url.bucket)?;
    if let Some(wildcard) = url.key.find(['*', '?', '[']) {
        let pattern = glob::Pattern::new(&url.key)
            .map_err(|e| SourceError::BadGlob { pattern: arg.to_string(), message: e.to_string() })?;
        let listed = bucket.list(&url.key[..wildcard])?;
        let options = glob::MatchOptions { require_literal_separator: true, ..Default::default() };
        let matched: Vec<_> =
            listed.iter().filter(|m| pattern.matches_with(m.location.as_ref(), options)).collect();
        if matched.is_empty() {
            return Err(SourceError::NoMatch(arg.to_string()));
        }
        return matched.into_iter().map(|m| object(&url, m)).collect();
    }
    if !url.key.is_empty() && !url.key.ends_with('/') {
        if let Some(meta) = bucket.head(&url.key)? {
            return Ok(vec![object(&url, &meta)?]);
        }
    }
    let folder =
        if url.key.is_empty() { String::new() } else { format!("{}/", url.key.trim_end_matches('/')) };
    let listed = bucket.list(&folder)?;
    let files: Vec<InputFile> = listed
        .iter()
        .filter(|m| {
            let key = m.location.as_ref();
            let relative = &key[folder.len().min(key.len())..];
            let hidden = relative.split('/').any(|part| part.starts_with('.'));
            let name = relative.rsplit('/').next().unwrap_or("");
            !hidden && !crate::hf_layout::METADATA_FILES.contains(&name) && Format::from_name(key).is_some()
        })
        .map(|m| object(&url, m))
        .collect::<Result<_, _>>()?;
    if files.is_empty() {
        return Err(SourceError::NoMatch(arg.to_string()));
    }
    Ok(files)
}

/// The data files under `dir`, recursively, sorted: files whose names tell a known format,
/// leaving out hidden files and folders (`.git`, `.cache`) and dataset metadata files.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), SourceError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| SourceError::io(dir, e))?
        .map(|e| e.map(|e| e.path()).map_err(|e| SourceError::io(dir, e)))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with('.') || crate::hf_layout::METADATA_FILES.contains(&name.as_str()) {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if Format::from_name(&path.to_string_lossy()).is_some() {
            out.push(path);
        }
    }
    Ok(())
}

/// Expands `--input` arguments, in the order given: a URL is taken as is, an `s3://` address
/// is listed once (see [`expand_s3`]), a glob expands to
/// its matches in sorted order, a directory to the files inside it (recursively, sorted) whose
/// names tell a known format, a path to itself. A file named twice is read once. A Hugging
/// Face dataset folder gives the files of its default split (see [`expand_split`]).
pub fn expand(args: &[String]) -> Result<Vec<InputFile>, SourceError> {
    expand_split(args, None).map(|e| e.files)
}

/// What `--input` arguments expanded to.
#[derive(Debug, Clone)]
pub struct Expanded {
    /// The input files.
    pub files: Vec<InputFile>,
    /// What a user should know of how they were chosen (the split read of a dataset folder).
    pub notes: Vec<String>,
}

/// [`expand`], reading split `split` of Hugging Face dataset folders (their only split, or
/// `train`, when `None`); see [`crate::hf_layout`].
pub fn expand_split(args: &[String], split: Option<&str>) -> Result<Expanded, SourceError> {
    let mut files = Vec::new();
    let mut notes = Vec::new();
    for arg in args {
        if is_url(arg) {
            files.push(remote(arg)?);
        } else if S3Url::is(arg) {
            files.extend(expand_s3(arg)?);
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
                let chosen = match crate::hf_layout::split_files(path, split, &inside)? {
                    Some(found) => {
                        if found.splits.len() > 1 {
                            notes.push(format!(
                                "{arg}: reading split `{}` ({} files; splits by {}: {}; --split chooses)",
                                found.split,
                                found.files.len(),
                                found.from,
                                found.splits.join(", ")
                            ));
                        }
                        found.files
                    }
                    None if split.is_some() => {
                        return Err(SourceError::NoSplit {
                            dir: arg.clone(),
                            split: split.unwrap_or_default().to_string(),
                            splits: Vec::new(),
                        })
                    }
                    None => inside,
                };
                if chosen.is_empty() {
                    return Err(SourceError::NoMatch(arg.clone()));
                }
                for p in chosen {
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
    Ok(Expanded { files, notes })
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
