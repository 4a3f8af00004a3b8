//! Token counts: the run's tokenizer (a GGUF model's vocabulary, through the embedded engine),
//! and the totals a finished run reports, read from its own tables so they agree with
//! `curate sql` to the token.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Serialize;

/// Counts the tokens of texts under one named tokenizer.
pub struct Tokenizer {
    #[cfg(feature = "embedded-judge")]
    inner: curate_judges::GgufTokenizer,
}

impl Tokenizer {
    /// The tokenizer of the GGUF model at `path` (its vocabulary only).
    #[cfg(feature = "embedded-judge")]
    pub fn open(path: &Path) -> Result<Self> {
        let inner = curate_judges::GgufTokenizer::load(path)
            .with_context(|| format!("tokenizer {}", path.display()))?;
        Ok(Self { inner })
    }

    /// Without the embedded engine there is no GGUF tokenizer.
    #[cfg(not(feature = "embedded-judge"))]
    pub fn open(path: &Path) -> Result<Self> {
        anyhow::bail!(
            "tokenizer {}: this curate was built without the embedded engine (cargo feature \
             `embedded-judge`), which reads GGUF tokenizers",
            path.display()
        )
    }

    /// `gguf:<file name>:<hash>`: which tokenizer the counts are in.
    pub fn identity(&self) -> &str {
        #[cfg(feature = "embedded-judge")]
        return self.inner.identity();
        #[cfg(not(feature = "embedded-judge"))]
        unreachable!("no tokenizer opens without the embedded engine")
    }

    /// The tokens of `text`.
    pub fn count(&self, text: &str) -> u64 {
        #[cfg(feature = "embedded-judge")]
        return self.inner.count(text);
        #[cfg(not(feature = "embedded-judge"))]
        {
            let _ = text;
            unreachable!("no tokenizer opens without the embedded engine")
        }
    }
}

/// Records and tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Amount {
    /// Records.
    pub records: u64,
    /// Their tokens.
    pub tokens: u64,
}

/// Kept and rejected amounts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Fates {
    /// Kept records.
    pub kept: Amount,
    /// Rejected records.
    pub rejected: Amount,
}

/// The tokens of a finished run, for the manifest and the summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TokenTotals {
    /// The tokenizer the counts are in.
    pub tokenizer: String,
    /// Every record read (kept and rejected; quarantined records have no text to count).
    pub input: Amount,
    /// Kept and rejected.
    pub all: Fates,
    /// Per detected language (`unknown` without language ID).
    pub languages: BTreeMap<String, Fates>,
    /// Per label of a `classifier` step (`pretrain_domain:math`): the domains, when annotated.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, Fates>,
    /// Rejections per step and rule (the first rule each record failed).
    pub rejections: Vec<Rejection>,
    /// Bytes of text counted, and the CPU seconds counting took (summed over workers).
    pub bytes_counted: u64,
    /// CPU seconds spent counting.
    pub cpu_seconds: f64,
}

/// Records and tokens one rule rejected.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Rejection {
    /// The step.
    pub step: String,
    /// The rule.
    pub rule: String,
    /// What it rejected.
    #[serde(flatten)]
    pub amount: Amount,
}

/// The view over kept and rejected that the totals come from (`curate sql RUN "select * from
/// token_counts"`): records and tokens per fate, step, rule and language.
pub const TOKEN_COUNTS_VIEW: &str = "CREATE VIEW token_counts AS \
    SELECT 'kept' AS fate, NULL::VARCHAR AS step, NULL::VARCHAR AS rule, coalesce(language, 'unknown') AS language, \
           count(*)::UBIGINT AS records, coalesce(sum(tokens), 0)::UBIGINT AS tokens FROM kept GROUP BY ALL \
    UNION ALL \
    SELECT 'rejected', step, rule, coalesce(language, 'unknown'), count(*)::UBIGINT, coalesce(sum(tokens), 0)::UBIGINT \
    FROM rejected GROUP BY ALL";

/// Records and tokens per `classifier` label (rules `<dimension>:<label>`), kept and rejected.
const LABEL_TOKENS: &str = "SELECT d.rule, 'kept', count(*)::UBIGINT, coalesce(sum(k.tokens), 0)::UBIGINT \
    FROM decisions d JOIN kept k USING (id) WHERE d.step IN ({steps}) AND d.item IS NULL AND contains(d.rule, ':') GROUP BY 1 \
    UNION ALL SELECT d.rule, 'rejected', count(*)::UBIGINT, coalesce(sum(r.tokens), 0)::UBIGINT \
    FROM decisions d JOIN rejected r USING (id) WHERE d.step IN ({steps}) AND d.item IS NULL AND contains(d.rule, ':') GROUP BY 1";

/// The token totals of the finished run at `root`, counted under `tokenizer`; `classifiers`
/// names its `classifier` steps, whose labels are counted too.
pub fn totals(
    root: &Path,
    tokenizer: &str,
    bytes_counted: u64,
    cpu_seconds: f64,
    classifiers: &[String],
) -> Result<TokenTotals> {
    let conn = crate::sql::open(root)?;
    let mut stmt = conn
        .prepare("SELECT fate, step, rule, language, records, tokens FROM token_counts")
        .context("reading token_counts")?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, u64>(4)?,
                r.get::<_, u64>(5)?,
            ))
        })
        .context("reading token_counts")?;
    let mut out =
        TokenTotals { tokenizer: tokenizer.to_string(), bytes_counted, cpu_seconds, ..Default::default() };
    let mut rejections: BTreeMap<(String, String), Amount> = BTreeMap::new();
    for row in rows {
        let (fate, step, rule, language, records, tokens) = row.context("reading token_counts")?;
        let add = |a: &mut Amount| {
            a.records += records;
            a.tokens += tokens;
        };
        let language = out.languages.entry(language).or_default();
        if fate == "kept" {
            add(&mut out.all.kept);
            add(&mut language.kept);
        } else {
            add(&mut out.all.rejected);
            add(&mut language.rejected);
            add(rejections.entry((step.unwrap_or_default(), rule.unwrap_or_default())).or_default());
        }
        add(&mut out.input);
    }
    out.rejections =
        rejections.into_iter().map(|((step, rule), amount)| Rejection { step, rule, amount }).collect();
    if !classifiers.is_empty() {
        let steps: Vec<String> = classifiers.iter().map(|s| format!("'{}'", s.replace('\'', "''"))).collect();
        let sql = LABEL_TOKENS.replace("{steps}", &steps.join(", "));
        let mut stmt = conn.prepare(&sql).context("counting tokens per label")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, u64>(2)?, r.get::<_, u64>(3)?))
        })?;
        for row in rows {
            let (label, fate, records, tokens) = row.context("counting tokens per label")?;
            let fates = out.labels.entry(label).or_default();
            let amount = if fate == "kept" { &mut fates.kept } else { &mut fates.rejected };
            amount.records += records;
            amount.tokens += tokens;
        }
    }
    Ok(out)
}
