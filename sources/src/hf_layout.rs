//! Hugging Face dataset folders, read as their metadata says:
//!
//! - `save_to_disk` of a `DatasetDict`: `dataset_dict.json` lists the splits, each a folder whose
//!   `state.json` lists its Arrow files;
//! - `save_to_disk` of a `Dataset`: `state.json` lists the Arrow files;
//! - a Hub repository: the `configs` of its README's YAML header give each split's data files
//!   (globs); without them, splits are told from file and folder names as the Hub does
//!   (`train`, `test`, `validation`, ... between separators).
//!
//! Their metadata files (`dataset_info.json`, `state.json`, `dataset_dict.json`) are never data.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::SourceError;

/// Files that describe a dataset folder and are never read as records.
pub const METADATA_FILES: [&str; 4] =
    ["dataset_info.json", "state.json", "dataset_dict.json", "dataset_infos.json"];

/// The split read when a folder has several and none was chosen.
pub const DEFAULT_SPLIT: &str = "train";

/// The data files of one split of a dataset folder.
#[derive(Debug, Clone, PartialEq)]
pub struct SplitFiles {
    /// The split read.
    pub split: String,
    /// Every split the folder has.
    pub splits: Vec<String>,
    /// Its data files, in order.
    pub files: Vec<PathBuf>,
    /// How the split was found, for messages ("dataset_dict.json", "README.md configs", ...).
    pub from: &'static str,
}

#[derive(Deserialize)]
struct DatasetDict {
    splits: Vec<String>,
}

#[derive(Deserialize)]
struct State {
    #[serde(rename = "_data_files")]
    data_files: Vec<DataFile>,
    #[serde(rename = "_split", default)]
    split: Option<String>,
}

#[derive(Deserialize)]
struct DataFile {
    filename: String,
}

/// A README's YAML header, as far as data files go.
#[derive(Deserialize, Default)]
struct CardData {
    #[serde(default)]
    configs: Vec<ConfigEntry>,
}

#[derive(Deserialize)]
struct ConfigEntry {
    #[serde(default)]
    config_name: Option<String>,
    #[serde(default)]
    default: bool,
    #[serde(default)]
    data_files: Option<DataFilesSpec>,
}

/// `data_files:` is a pattern, a list of patterns, or a list of `{split, path}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum DataFilesSpec {
    One(String),
    Splits(Vec<SplitSpec>),
    Many(Vec<String>),
}

#[derive(Deserialize)]
struct SplitSpec {
    split: String,
    path: Patterns,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Patterns {
    One(String),
    Many(Vec<String>),
}

impl Patterns {
    fn list(&self) -> Vec<&str> {
        match self {
            Patterns::One(p) => vec![p.as_str()],
            Patterns::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, SourceError> {
    let bytes = std::fs::read(path).map_err(|e| SourceError::io(path, e))?;
    serde_json::from_slice(&bytes).map_err(|e| SourceError::Record {
        file: path.display().to_string(),
        line: 1,
        message: e.to_string(),
    })
}

fn choose(dir: &Path, splits: &[String], asked: Option<&str>) -> Result<String, SourceError> {
    match asked {
        Some(s) if splits.iter().any(|x| x == s) => Ok(s.to_string()),
        Some(s) => Err(SourceError::NoSplit {
            dir: dir.display().to_string(),
            split: s.to_string(),
            splits: splits.to_vec(),
        }),
        None if splits.len() == 1 => Ok(splits[0].clone()),
        None if splits.iter().any(|x| x == DEFAULT_SPLIT) => Ok(DEFAULT_SPLIT.to_string()),
        None => Err(SourceError::NoSplit {
            dir: dir.display().to_string(),
            split: String::new(),
            splits: splits.to_vec(),
        }),
    }
}

fn state_files(dir: &Path) -> Result<(Vec<PathBuf>, Option<String>), SourceError> {
    let state: State = read_json(&dir.join("state.json"))?;
    Ok((state.data_files.iter().map(|f| dir.join(&f.filename)).collect(), state.split))
}

/// The YAML header of a README.md (between the first two `---` lines), if any.
fn front_matter(readme: &str) -> Option<&str> {
    let rest = readme.strip_prefix("---")?.trim_start_matches(['\r', '\n']);
    let end = rest.find("\n---")?;
    Some(&rest[..end])
}

fn glob_files(dir: &Path, patterns: &[&str]) -> Result<Vec<PathBuf>, SourceError> {
    let mut files = Vec::new();
    for pattern in patterns {
        let full = dir.join(pattern).to_string_lossy().into_owned();
        let paths = glob::glob(&full)
            .map_err(|e| SourceError::BadGlob { pattern: full.clone(), message: e.to_string() })?;
        let mut matched: Vec<PathBuf> = paths.filter_map(Result::ok).filter(|p| p.is_file()).collect();
        matched.sort();
        files.extend(matched);
    }
    Ok(files)
}

/// The split a file belongs to by its path inside the folder, as the Hub tells it: a split
/// keyword between separators in a folder or file name.
fn split_of_name(relative: &Path) -> Option<&'static str> {
    const KEYWORDS: [(&str, &[&str]); 3] = [
        ("train", &["train", "training"]),
        ("test", &["test", "testing", "eval", "evaluation"]),
        ("validation", &["validation", "valid", "dev", "val"]),
    ];
    let text = relative.to_string_lossy().to_ascii_lowercase();
    let words: Vec<&str> = text.split(|c: char| !c.is_ascii_alphanumeric()).collect();
    KEYWORDS.iter().find(|(_, keys)| words.iter().any(|w| keys.contains(w))).map(|(split, _)| *split)
}

/// When `dir` is a Hugging Face dataset folder, the files of the split `asked` (or of the only
/// split, or of `train`); `None` when `dir` has no dataset metadata and no split names, so it is
/// read as a plain folder. `data` lists the folder's data files (by name) for the name-based rule.
pub fn split_files(
    dir: &Path,
    asked: Option<&str>,
    data: &[PathBuf],
) -> Result<Option<SplitFiles>, SourceError> {
    if dir.join("dataset_dict.json").is_file() {
        let dict: DatasetDict = read_json(&dir.join("dataset_dict.json"))?;
        let split = choose(dir, &dict.splits, asked)?;
        let (files, _) = state_files(&dir.join(&split))?;
        return Ok(Some(SplitFiles { split, splits: dict.splits, files, from: "dataset_dict.json" }));
    }
    if dir.join("state.json").is_file() {
        let (files, split) = state_files(dir)?;
        let split = split.unwrap_or_else(|| DEFAULT_SPLIT.to_string());
        let splits = vec![split.clone()];
        let split = choose(dir, &splits, asked)?;
        return Ok(Some(SplitFiles { split, splits, files, from: "state.json" }));
    }
    if let Ok(readme) = std::fs::read_to_string(dir.join("README.md")) {
        if let Some(yaml) = front_matter(&readme) {
            let card: CardData = serde_yaml_ng::from_str(yaml).map_err(|e| SourceError::Record {
                file: dir.join("README.md").display().to_string(),
                line: 1,
                message: format!("YAML header: {e}"),
            })?;
            let config = card
                .configs
                .iter()
                .find(|c| c.default || c.config_name.as_deref() == Some("default"))
                .or(card.configs.first());
            if let Some(spec) = config.and_then(|c| c.data_files.as_ref()) {
                let per_split: Vec<(String, Vec<&str>)> = match spec {
                    DataFilesSpec::One(p) => vec![(DEFAULT_SPLIT.to_string(), vec![p.as_str()])],
                    DataFilesSpec::Many(v) => {
                        vec![(DEFAULT_SPLIT.to_string(), v.iter().map(String::as_str).collect())]
                    }
                    DataFilesSpec::Splits(v) => v.iter().map(|s| (s.split.clone(), s.path.list())).collect(),
                };
                let splits: Vec<String> = per_split.iter().map(|(s, _)| s.clone()).collect();
                let split = choose(dir, &splits, asked)?;
                let patterns = &per_split.iter().find(|(s, _)| *s == split).expect("chosen among them").1;
                let files = glob_files(dir, patterns)?;
                return Ok(Some(SplitFiles { split, splits, files, from: "README.md configs" }));
            }
        }
    }
    // No metadata: splits by name, when the names say.
    let named: Vec<(&'static str, &PathBuf)> =
        data.iter().filter_map(|p| split_of_name(p.strip_prefix(dir).unwrap_or(p)).map(|s| (s, p))).collect();
    if named.is_empty() {
        return Ok(None);
    }
    let mut splits: Vec<String> = named.iter().map(|(s, _)| s.to_string()).collect();
    splits.sort();
    splits.dedup();
    let split = choose(dir, &splits, asked)?;
    let files = named.iter().filter(|(s, _)| *s == split).map(|(_, p)| (*p).clone()).collect();
    Ok(Some(SplitFiles { split, splits, files, from: "file names" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_names_as_the_hub_tells_them() {
        assert_eq!(split_of_name(Path::new("data/train-00000-of-00002.parquet")), Some("train"));
        assert_eq!(split_of_name(Path::new("test.jsonl")), Some("test"));
        assert_eq!(split_of_name(Path::new("dev/part-1.jsonl")), Some("validation"));
        assert_eq!(split_of_name(Path::new("contest/x.jsonl")), None);
        assert_eq!(split_of_name(Path::new("shards/00001.jsonl")), None);
    }

    #[test]
    fn readme_configs_choose_the_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        for f in ["train-0.parquet", "train-1.parquet", "test-0.parquet"] {
            std::fs::write(dir.path().join("data").join(f), b"").unwrap();
        }
        std::fs::write(
            dir.path().join("README.md"),
            "---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data/train-*\n  - split: test\n    path: data/test-*\n---\n# A dataset\n",
        )
        .unwrap();
        let got = split_files(dir.path(), None, &[]).unwrap().unwrap();
        assert_eq!((got.split.as_str(), got.files.len(), got.from), ("train", 2, "README.md configs"));
        let test = split_files(dir.path(), Some("test"), &[]).unwrap().unwrap();
        assert!(test.files[0].ends_with("data/test-0.parquet"));
        let err = split_files(dir.path(), Some("dev"), &[]).unwrap_err().to_string();
        assert!(err.contains("no split `dev`") && err.contains("train, test"), "{err}");
    }
}
