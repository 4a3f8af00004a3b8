//! `curate judge`: try a judge rule on a few records before a run.

use anyhow::{Context, Result};
use curate_judges::{CachedJudge, Judge, JudgeRule, RuleKind, VerdictCache};
use serde_json::{json, Value};

use crate::cli::JudgeArgs;
use crate::records::{records, tempfile_dir};

/// Runs the rule over the input's first records and prints one JSON line per record.
pub fn run(args: &JudgeArgs) -> Result<()> {
    let rule = JudgeRule::load(&args.rule)?;
    let (backend, _) = crate::judge_backend::open(&args.model.spec(args.completions))?;
    let backend = backend.as_ref();
    let cache_path = args.cache.clone().unwrap_or_else(crate::judge_backend::default_cache);
    let cache = VerdictCache::open(&cache_path)?;
    let judge = CachedJudge::new(backend, &cache, &format!("{}@{}", rule.name, rule.version));

    let mut mapping = Vec::new();
    for spec in &args.fields {
        let Some((placeholder, field)) = spec.split_once('=') else {
            anyhow::bail!("--field {spec}: write PLACEHOLDER=FIELD, e.g. --field query=text");
        };
        mapping.push((placeholder.to_string(), field.to_string()));
    }
    let inputs = curate_sources::input::expand(std::slice::from_ref(&args.input))?;
    let tmp = tempfile_dir()?;
    let mut rows: Vec<(String, Value)> = Vec::new();
    for input in &inputs {
        for (line, mut record) in records(input, &args.text_field, &args.id_field, &tmp)? {
            for (placeholder, field) in &mapping {
                let value = record.get(field).cloned().with_context(|| {
                    format!(
                        "{}:{line}: --field {placeholder}={field}: the record has no field `{field}`",
                        input.name
                    )
                })?;
                record[placeholder.as_str()] = value;
            }
            let id = record.get(&args.id_field).map_or_else(
                || curate_sources::parse::derived_id(&input.name, line),
                |v| v.as_str().map_or_else(|| v.to_string(), String::from),
            );
            rows.push((id, record));
            if rows.len() >= args.limit {
                break;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);

    let out: Vec<Value> = match rule.kind {
        RuleKind::Score => {
            let requests = rows.iter().map(|(_, r)| rule.score_request(r)).collect::<Result<Vec<_>, _>>()?;
            let scores = judge.score(&requests).context("asking the judge")?;
            rows.iter()
                .zip(scores)
                .map(|((id, _), probs)| {
                    let labels: serde_json::Map<String, Value> =
                        rule.labels.iter().zip(&probs).map(|(l, p)| (l.clone(), json!(p))).collect();
                    let reject = rule.reject_label.as_ref().map(|r| {
                        let i = rule.labels.iter().position(|l| l == r).expect("validated");
                        probs[i] >= rule.threshold
                    });
                    json!({"id": id, "rule": rule.name, "version": rule.version, "probabilities": labels, "reject": reject})
                })
                .collect()
        }
        RuleKind::Generate => {
            let requests =
                rows.iter().map(|(_, r)| rule.generate_request(r)).collect::<Result<Vec<_>, _>>()?;
            let completions = judge.generate(&requests).context("asking the judge")?;
            rows.iter()
                .zip(completions)
                .map(|((id, _), text)| json!({"id": id, "rule": rule.name, "version": rule.version, "completion": text}))
                .collect()
        }
    };
    for line in out {
        outln!("{line}");
    }
    let stats = judge.stats();
    eprintln!(
        "{} records judged by {} ({}): {} from the verdict cache, {} asked; cache {}",
        rows.len(),
        rule.name,
        judge.identity(),
        stats.hits,
        stats.misses,
        cache_path.display()
    );
    Ok(())
}
