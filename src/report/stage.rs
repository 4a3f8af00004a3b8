//! What the cold-start, thinking-fusion and reasoning-RL stages add: pass@N, the reasons per
//! response rule, the domains (task types), the annotation queue, the RL pass rates and quotas.

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;

use super::charts::{self, Bar, Legend};
use super::db::{equals, quote, Db, Number};

/// The label a `domain` step wrote into `field` of a record's meta, as SQL.
fn label_of(field: &str) -> String {
    let field: String = field.chars().filter(|c| c.is_alphanumeric() || *c == '_').collect();
    format!(r#"regexp_extract(meta, '"{field}":"([^"]*)"', 1)"#)
}

/// A count per category, with its query.
#[derive(Debug, Serialize)]
pub struct Count {
    /// The category.
    pub label: String,
    /// The count.
    pub count: Number,
}

/// One domain of the reasoning-RL selection.
#[derive(Debug, Serialize)]
pub struct RlDomain {
    /// The domain.
    pub domain: String,
    /// Candidates of the domain that could be picked.
    pub eligible: u64,
    /// Its quota.
    pub quota: u64,
    /// Picked.
    pub selected: Number,
}

/// The stage's own section.
#[derive(Debug, Default, Serialize)]
pub struct StageSection {
    /// Queries per number of passing responses (SVG), cold-start.
    pub pass_at_n_chart: String,
    /// Responses passed and failed per response rule (SVG).
    pub response_rules_chart: String,
    /// Kept records per domain (task type).
    pub domains: Vec<Count>,
    /// The same as bars (SVG).
    pub domains_chart: String,
    /// Queries sent to people, per cause.
    pub annotation: Vec<Count>,
    /// Reasoning-RL: candidates and picks per pass rate (SVG).
    pub pass_rate_chart: String,
    /// Reasoning-RL: per domain eligible, quota and selected.
    pub rl_domains: Vec<RlDomain>,
    /// Responses per decoding setting (thinking-fusion's pairs).
    pub decodings: Vec<Count>,
}

impl StageSection {
    /// Whether the stage added nothing.
    pub fn is_empty(&self) -> bool {
        self.pass_at_n_chart.is_empty()
            && self.response_rules_chart.is_empty()
            && self.domains.is_empty()
            && self.annotation.is_empty()
            && self.pass_rate_chart.is_empty()
            && self.decodings.is_empty()
    }
}

/// The stage's section, from its tables and `manifest` (reasoning-RL's quotas); `label_field`
/// is the meta field its `domain` step writes, if it has one.
pub fn stage_section(db: &Db, manifest: &Value, label_field: Option<&str>) -> Result<StageSection> {
    let mut out = StageSection::default();
    let pass = db.rows(
        "SELECT score, count(*) FROM decisions WHERE rule = 'pass_at_n' AND item IS NULL GROUP BY 1 ORDER BY 1",
        |r| Ok((r.get::<_, Option<f64>>(0)?, r.get::<_, i64>(1)? as u64)),
    )?;
    if !pass.is_empty() {
        let bars: Vec<Bar> = pass
            .iter()
            .map(|(score, n)| Bar {
                label: score.map_or("none".into(), |s| format!("{} passing", charts::axis_number(s))),
                first: *n,
                second: 0,
            })
            .collect();
        out.pass_at_n_chart = charts::bars(&bars, Legend { first: "queries", second: "" })?;
    }
    let responses = db.rows(
        "SELECT rule, count(*) FILTER (WHERE kept), count(*) FILTER (WHERE NOT kept) FROM decisions \
         WHERE item IS NOT NULL GROUP BY 1 ORDER BY 3 DESC, 1",
        |r| {
            Ok(Bar {
                label: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                first: r.get::<_, i64>(1)? as u64,
                second: r.get::<_, i64>(2)? as u64,
            })
        },
    )?;
    out.response_rules_chart =
        charts::bars(&responses, Legend { first: "responses passed", second: "failed" })?;
    let label = label_field.map(label_of);
    let domains = match &label {
        Some(label) => db.rows(
            &format!("SELECT {label} AS d, count(*) FROM kept WHERE d <> '' GROUP BY 1 ORDER BY 2 DESC, 1"),
            |r| Ok((r.get::<_, Option<String>>(0)?.unwrap_or_default(), r.get::<_, i64>(1)? as u64)),
        )?,
        None => Vec::new(),
    };
    out.domains_chart = charts::bars(
        &domains.iter().map(|(d, n)| Bar { label: d.clone(), first: *n, second: 0 }).collect::<Vec<_>>(),
        Legend { first: "kept", second: "" },
    )?;
    out.domains = domains
        .into_iter()
        .map(|(d, n)| Count {
            count: Number {
                value: n,
                sql: format!(
                    "SELECT count(*) FROM kept WHERE {} = {}",
                    label.as_deref().unwrap_or("''"),
                    quote(&d)
                ),
            },
            label: d,
        })
        .collect();
    if db.has_view("main", "annotation")? {
        out.annotation = db
            .rows("SELECT rule, count(*) FROM annotation GROUP BY 1 ORDER BY 2 DESC, 1", |r| {
                Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .into_iter()
            .map(|(rule, n)| Count {
                count: Number {
                    value: n,
                    sql: format!("SELECT count(*) FROM annotation WHERE {}", equals("rule", rule.as_deref())),
                },
                label: rule.unwrap_or_default(),
            })
            .collect();
    }
    if db.has_view("main", "pairs")?
        && db.rows("SELECT count(*) FROM (DESCRIBE pairs) WHERE column_name = 'decoding'", |r| {
            r.get::<_, i64>(0)
        })?[0]
            > 0
    {
        out.decodings = db
            .rows("SELECT decoding, count(*) FROM pairs GROUP BY 1 ORDER BY 2 DESC, 1", |r| {
                Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .into_iter()
            .map(|(decoding, n)| Count {
                count: Number {
                    value: n,
                    sql: format!(
                        "SELECT count(*) FROM pairs WHERE {}",
                        equals("decoding", decoding.as_deref())
                    ),
                },
                label: decoding.unwrap_or_else(|| "(none)".into()),
            })
            .collect();
    }
    if let Some(rl) = manifest.get("reasoning_rl") {
        let mut bars = Vec::new();
        if let Some(rates) = rl.get("pass_rates").and_then(Value::as_object) {
            for (rate, pair) in rates {
                let eligible = pair.get(0).and_then(Value::as_u64).unwrap_or(0);
                let selected = pair.get(1).and_then(Value::as_u64).unwrap_or(0);
                bars.push(Bar {
                    label: format!("pass {rate}"),
                    first: selected,
                    second: eligible.saturating_sub(selected),
                });
            }
        }
        out.pass_rate_chart =
            charts::bars(&bars, Legend { first: "selected", second: "eligible, not selected" })?;
        let has_rl = db.has_view("main", "rl")?;
        if let Some(domains) = rl.get("domains").and_then(Value::as_object) {
            for (domain, share) in domains {
                let n = |k: &str| share.get(k).and_then(Value::as_u64).unwrap_or(0);
                out.rl_domains.push(RlDomain {
                    domain: domain.clone(),
                    eligible: n("eligible"),
                    quota: n("quota"),
                    selected: Number {
                        value: n("selected"),
                        sql: if has_rl {
                            format!("SELECT count(*) FROM rl WHERE domain = {}", quote(domain))
                        } else {
                            format!("SELECT {}", n("selected"))
                        },
                    },
                });
            }
        }
    }
    Ok(out)
}
