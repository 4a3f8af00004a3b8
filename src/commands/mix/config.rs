//! The mixture a `curate mix` config asks for: Qwen3's three pretraining stages, each a total
//! in tokens split into shares (`math = "15%"`).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

/// A share of a stage's tokens: `"15%"` or `0.15`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Share(pub f64);

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(f64),
            Text(String),
        }
        let value = match Raw::deserialize(d)? {
            Raw::Number(n) => n,
            Raw::Text(t) => match t.trim().strip_suffix('%') {
                Some(p) => p.trim().parse::<f64>().map_err(serde::de::Error::custom)? / 100.0,
                None => {
                    return Err(serde::de::Error::custom(format!("a share is \"15%\" or 0.15, not {t:?}")))
                }
            },
        };
        if !(0.0..=1.0).contains(&value) {
            return Err(serde::de::Error::custom(format!("a share lies in [0%, 100%], got {value}")));
        }
        Ok(Share(value))
    }
}

/// `curate mix`'s configuration.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MixConfig {
    /// Curated runs to draw from (`--run` adds more); relative to the config file.
    #[serde(default)]
    pub runs: Vec<std::path::PathBuf>,
    /// Seeds every choice and order: the same seed gives the same shards.
    #[serde(default)]
    pub seed: u64,
    /// Tokens per output shard (the last of a stage holds the rest).
    #[serde(default = "shard_tokens")]
    pub shard_tokens: u64,
    /// The most times a bucket may repeat its pool to meet its target (more is an error: ask
    /// for fewer tokens or a larger pool).
    #[serde(default = "max_epochs")]
    pub max_epochs: f64,
    /// The dimension whose labels are documents' domains (the `classifier` step's
    /// `<dimension>:<label>` decisions).
    #[serde(default = "domain")]
    pub domain: String,
    /// The numeric dimension whose expected value is documents' quality (`min_quality`).
    #[serde(default)]
    pub quality: Option<String>,
    /// S1: general text.
    #[serde(default)]
    pub s1: Option<GeneralStage>,
    /// S2: more math, code and reasoning, as a curriculum.
    #[serde(default)]
    pub s2: Option<ReasoningStage>,
    /// S3: long documents.
    #[serde(default)]
    pub s3: Option<LongStage>,
}

fn shard_tokens() -> u64 {
    100_000_000
}

fn max_epochs() -> f64 {
    4.0
}

fn domain() -> String {
    "pretrain_domain".into()
}

/// S1: general text, optionally in set language shares.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GeneralStage {
    /// Total tokens.
    pub tokens: u64,
    /// Shares per language code; the rest of the tokens go to the other languages (none when
    /// the shares add up to 100%). Without shares, documents are drawn alike from every
    /// language, so each keeps its share of the pool.
    #[serde(default)]
    pub languages: BTreeMap<String, Share>,
    /// Leave out documents whose quality is below this.
    #[serde(default)]
    pub min_quality: Option<f64>,
}

/// S2: shares per domain (the rest from the other domains), above a quality, in curriculum
/// order.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReasoningStage {
    /// Total tokens.
    pub tokens: u64,
    /// Shares per domain label (`math = "30%"`); the rest of the tokens from other domains.
    #[serde(default)]
    pub domains: BTreeMap<String, Share>,
    /// Leave out documents whose quality is below this.
    #[serde(default)]
    pub min_quality: Option<f64>,
    /// A numeric dimension (e.g. a difficulty) whose expected value orders the stage, easiest
    /// first; documents without it come last.
    #[serde(default)]
    pub curriculum: Option<String>,
}

/// S3: long documents.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LongStage {
    /// Total tokens.
    pub tokens: u64,
    /// The fewest tokens a document needs.
    #[serde(default = "long_tokens")]
    pub min_tokens: u64,
    /// Leave out documents whose quality is below this.
    #[serde(default)]
    pub min_quality: Option<f64>,
}

fn long_tokens() -> u64 {
    32_768
}

impl MixConfig {
    /// Reads and checks the config at `path` (runs relative to it).
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut config: Self = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.runs = config.runs.iter().map(|r| base.join(r)).collect();
        config.check().with_context(|| path.display().to_string())?;
        Ok(config)
    }

    /// Checks what types alone cannot.
    pub fn check(&self) -> Result<()> {
        if self.s1.is_none() && self.s2.is_none() && self.s3.is_none() {
            bail!("no stage: write [s1], [s2] and/or [s3] with their `tokens`");
        }
        if self.max_epochs.is_nan() || self.max_epochs <= 0.0 {
            bail!("`max_epochs` must be above 0");
        }
        if self.shard_tokens == 0 {
            bail!("`shard_tokens` must be at least 1");
        }
        for name in
            [Some(&self.domain), self.quality.as_ref(), self.s2.as_ref().and_then(|s| s.curriculum.as_ref())]
                .into_iter()
                .flatten()
        {
            if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                bail!("dimension `{name}`: letters, digits and _ only");
            }
        }
        let uses_quality = [
            self.s1.as_ref().and_then(|s| s.min_quality),
            self.s2.as_ref().and_then(|s| s.min_quality),
            self.s3.as_ref().and_then(|s| s.min_quality),
        ]
        .iter()
        .any(Option::is_some);
        if uses_quality && self.quality.is_none() {
            bail!("`min_quality` needs `quality = \"<dimension>\"` (e.g. educational_value)");
        }
        for (stage, shares) in [
            ("s1.languages", self.s1.as_ref().map(|s| &s.languages)),
            ("s2.domains", self.s2.as_ref().map(|s| &s.domains)),
        ] {
            let total: f64 = shares.into_iter().flat_map(|m| m.values()).map(|s| s.0).sum();
            if total > 1.0 + 1e-9 {
                bail!("[{stage}]: the shares add up to {:.1}%, more than 100%", total * 100.0);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_checks() {
        let c: MixConfig =
            toml::from_str("[s2]\ntokens = 100\ndomains = { math = \"15%\", code = 0.25 }\n").unwrap();
        let s2 = c.s2.as_ref().unwrap();
        assert_eq!(s2.domains["math"], Share(0.15));
        assert_eq!(s2.domains["code"], Share(0.25));
        assert!(c.check().is_ok());
        let over: MixConfig =
            toml::from_str("[s2]\ntokens = 100\ndomains = { math = \"60%\", code = \"50%\" }\n").unwrap();
        assert!(over.check().unwrap_err().to_string().contains("110.0%"));
        assert!(toml::from_str::<MixConfig>("[s2]\ntokens = 1\ndomains = { math = \"15\" }\n").is_err());
        let q: MixConfig = toml::from_str("[s3]\ntokens = 1\nmin_quality = 2.0\n").unwrap();
        assert!(q.check().unwrap_err().to_string().contains("quality ="));
    }
}
