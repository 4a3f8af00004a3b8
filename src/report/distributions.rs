//! Languages (kept and rejected per language) and document lengths before and after.

use anyhow::Result;
use serde::Serialize;

use super::charts::{self, Bar, Bin, Legend};
use super::db::{equals, Db, Number};

/// Languages shown (the most frequent).
const LANGUAGES: i64 = 25;
/// Bars per decade of length.
const PER_DECADE: f64 = 10.0;

/// One language's records.
#[derive(Debug, Serialize)]
pub struct LanguageRow {
    /// The language (`(none)` when no language was detected).
    pub language: String,
    /// Records kept.
    pub kept: Number,
    /// Records rejected.
    pub rejected: Number,
}

/// Languages and lengths.
#[derive(Debug, Serialize)]
pub struct Distributions {
    /// The most frequent languages.
    pub languages: Vec<LanguageRow>,
    /// Languages not shown.
    pub other_languages: u64,
    /// Bars per language (SVG).
    pub languages_chart: String,
    /// Length histogram of every record read and of those kept (SVG).
    pub lengths_chart: String,
}

/// The run's languages and lengths.
pub fn distributions(db: &Db) -> Result<Distributions> {
    let rows = db.rows(
        "SELECT language, count(*) FILTER (WHERE fate), count(*) FILTER (WHERE NOT fate), count(*) OVER () \
         FROM (SELECT language, true AS fate FROM kept UNION ALL SELECT language, false FROM rejected) \
         GROUP BY 1 ORDER BY count(*) DESC, 1 NULLS LAST",
        |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, i64>(1)? as u64,
                r.get::<_, i64>(2)? as u64,
                r.get::<_, i64>(3)? as u64,
            ))
        },
    )?;
    let all = rows.first().map_or(0, |r| r.3);
    let languages: Vec<LanguageRow> = rows
        .iter()
        .take(LANGUAGES as usize)
        .map(|(language, kept, rejected, _)| {
            let cond = equals("language", language.as_deref());
            LanguageRow {
                language: language.clone().unwrap_or_else(|| "(none)".into()),
                kept: Number { value: *kept, sql: format!("SELECT count(*) FROM kept WHERE {cond}") },
                rejected: Number {
                    value: *rejected,
                    sql: format!("SELECT count(*) FROM rejected WHERE {cond}"),
                },
            }
        })
        .collect();
    let bars: Vec<Bar> = languages
        .iter()
        .map(|l| Bar { label: l.language.clone(), first: l.kept.value, second: l.rejected.value })
        .collect();
    let languages_chart = charts::bars(&bars, Legend::KEPT_REJECTED)?;
    let lengths = db.rows(
        &format!(
            "SELECT floor(log10(greatest(strlen(text), 1)) * {PER_DECADE})::BIGINT AS bin, \
             count(*) FILTER (WHERE fate), count(*) FILTER (WHERE NOT fate) \
             FROM (SELECT text, true AS fate FROM kept UNION ALL SELECT text, false FROM rejected) \
             WHERE text IS NOT NULL GROUP BY 1 ORDER BY 1"
        ),
        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64)),
    )?;
    let mut bins: Vec<Bin> = Vec::new();
    if let (Some(first), Some(last)) = (lengths.first(), lengths.last()) {
        for b in first.0..=last.0 {
            let (kept, dropped) = lengths.iter().find(|l| l.0 == b).map_or((0, 0), |l| (l.1, l.2));
            bins.push(Bin { lo: b as f64 / PER_DECADE, hi: (b + 1) as f64 / PER_DECADE, kept, dropped });
        }
    }
    let lengths_chart = charts::histogram(
        &bins,
        None,
        "text length (bytes, log scale)",
        &charts::log_bytes,
        Legend { first: "kept (after)", second: "rejected (before = both)" },
    )?;
    Ok(Distributions {
        other_languages: all.saturating_sub(languages.len() as u64),
        languages,
        languages_chart,
        lengths_chart,
    })
}
