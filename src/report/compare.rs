//! `curate report A --compare B`: per rule and per language, what changed between two runs, and
//! the records that moved from kept to rejected and back.

use anyhow::Result;
use serde::Serialize;

use super::db::{cut, quote, Db, Number};
use super::rules::EXAMPLE_CHARS;

/// Examples of moved records shown each way.
const MOVED_EXAMPLES: i64 = 5;
/// Languages compared (the most frequent in either run).
const LANGUAGES: i64 = 25;
/// The schema the other run's views are in.
pub const OTHER: &str = "b";

/// One rule in both runs.
#[derive(Debug, Serialize)]
pub struct RuleDelta {
    /// The step.
    pub step: String,
    /// The rule.
    pub rule: String,
    /// Its version in this run and in the other (when they differ, "1 → 2").
    pub versions: String,
    /// Records (or responses) failing it in this run (query for this run).
    pub failed_here: Number,
    /// In the other run (query for the other run).
    pub failed_there: Number,
    /// `failed_there - failed_here`.
    pub change: i64,
}

/// One language in both runs.
#[derive(Debug, Serialize)]
pub struct LanguageDelta {
    /// The language.
    pub language: String,
    /// Kept here.
    pub kept_here: Number,
    /// Kept there.
    pub kept_there: Number,
    /// `kept_there - kept_here`.
    pub change: i64,
}

/// A record that moved.
#[derive(Debug, Serialize)]
pub struct Moved {
    /// Its id.
    pub id: String,
    /// Its text, cut.
    pub text: String,
    /// The reason of the run that rejected it.
    pub reason: String,
}

/// The comparison.
#[derive(Debug, Serialize)]
pub struct Comparison {
    /// The other run's directory.
    pub other: String,
    /// Kept here and there.
    pub kept_here: Number,
    /// Kept in the other run.
    pub kept_there: Number,
    /// Rules whose failures changed, largest changes first, then the others.
    pub rules: Vec<RuleDelta>,
    /// Languages.
    pub languages: Vec<LanguageDelta>,
    /// Ids kept here and rejected there.
    pub to_rejected: u64,
    /// Ids rejected here and kept there.
    pub to_kept: u64,
    /// Examples of the first kind, with the other run's reason.
    pub to_rejected_examples: Vec<Moved>,
    /// Examples of the second kind, with this run's reason.
    pub to_kept_examples: Vec<Moved>,
}

fn table(schema: &str, name: &str) -> String {
    if schema == "main" {
        name.to_string()
    } else {
        format!("{schema}.{name}")
    }
}

/// Compares the run open in `db` with the one attached as [`OTHER`] from `other`.
pub fn compare(db: &Db, other: &str) -> Result<Comparison> {
    let per_rule = |schema: &str| -> Result<Vec<(String, String, String, i64)>> {
        db.rows(
            &format!(
                "SELECT step, rule, any_value(rule_version), count(*) FILTER (WHERE NOT kept) FROM {} GROUP BY 1, 2",
                table(schema, "decisions")
            ),
            |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                    r.get::<_, i64>(3)?,
                ))
            },
        )
    };
    let here = per_rule("main")?;
    let there = per_rule(OTHER)?;
    let mut keys: Vec<(String, String)> =
        here.iter().chain(&there).map(|(s, r, _, _)| (s.clone(), r.clone())).collect();
    keys.sort();
    keys.dedup();
    let find = |list: &[(String, String, String, i64)], k: &(String, String)| {
        list.iter().find(|(s, r, _, _)| (s, r) == (&k.0, &k.1)).map(|(_, _, v, n)| (v.clone(), *n))
    };
    let mut rules: Vec<RuleDelta> = keys
        .iter()
        .map(|k| {
            let (va, a) = find(&here, k).unwrap_or_default();
            let (vb, b) = find(&there, k).unwrap_or_default();
            let sql = format!(
                "SELECT count(*) FROM decisions WHERE step = {} AND rule = {} AND NOT kept",
                quote(&k.0),
                quote(&k.1)
            );
            RuleDelta {
                step: k.0.clone(),
                rule: k.1.clone(),
                versions: if va == vb { va } else { format!("{} → {}", dash(&va), dash(&vb)) },
                failed_here: Number { value: a as u64, sql: sql.clone() },
                failed_there: Number { value: b as u64, sql },
                change: b - a,
            }
        })
        .collect();
    rules.sort_by(|a, b| {
        b.change.abs().cmp(&a.change.abs()).then((&a.step, &a.rule).cmp(&(&b.step, &b.rule)))
    });
    let languages = db.rows(
        &format!(
            "SELECT language, count(*) FILTER (WHERE here), count(*) FILTER (WHERE NOT here) FROM \
             (SELECT language, true AS here FROM kept UNION ALL SELECT language, false FROM {}) \
             GROUP BY 1 ORDER BY count(*) DESC, 1 NULLS LAST LIMIT {LANGUAGES}",
            table(OTHER, "kept")
        ),
        |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)),
    )?;
    let languages = languages
        .into_iter()
        .map(|(language, a, b)| {
            let sql = format!(
                "SELECT count(*) FROM kept WHERE {}",
                super::db::equals("language", language.as_deref())
            );
            LanguageDelta {
                language: language.unwrap_or_else(|| "(none)".into()),
                kept_here: Number { value: a as u64, sql: sql.clone() },
                kept_there: Number { value: b as u64, sql },
                change: b - a,
            }
        })
        .collect();
    let moved = |from: &str, to: &str| -> Result<(u64, Vec<Moved>)> {
        let (from_kept, to_rejected) = (table(from, "kept"), table(to, "rejected"));
        let count = db.number(format!(
            "SELECT count(DISTINCT k.id) FROM {from_kept} k JOIN {to_rejected} r ON k.id = r.id"
        ))?;
        let examples = db.rows(
            &format!(
                "SELECT k.id, left(k.text, {}), any_value(r.reason) FROM {from_kept} k JOIN {to_rejected} r ON k.id = r.id \
                 GROUP BY k.id, k.text ORDER BY hash(k.id), k.id LIMIT {MOVED_EXAMPLES}",
                EXAMPLE_CHARS + 1
            ),
            |r| {
                Ok(Moved {
                    id: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                    text: cut(&r.get::<_, Option<String>>(1)?.unwrap_or_default(), EXAMPLE_CHARS),
                    reason: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                })
            },
        )?;
        Ok((count.value, examples))
    };
    let (to_rejected, to_rejected_examples) = moved("main", OTHER)?;
    let (to_kept, to_kept_examples) = moved(OTHER, "main")?;
    Ok(Comparison {
        other: other.to_string(),
        kept_here: db.number("SELECT count(*) FROM kept".into())?,
        kept_there: {
            let n = db.number(format!("SELECT count(*) FROM {}", table(OTHER, "kept")))?;
            Number { value: n.value, sql: "SELECT count(*) FROM kept".into() }
        },
        rules,
        languages,
        to_rejected,
        to_kept,
        to_rejected_examples,
        to_kept_examples,
    })
}

fn dash(v: &str) -> &str {
    if v.is_empty() {
        "-"
    } else {
        v
    }
}
