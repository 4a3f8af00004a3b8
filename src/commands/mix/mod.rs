//! `curate mix`: Qwen3's pretraining stages built from curated runs, in tokens. S1 is general
//! text (optionally in set language shares), S2 up-weights domains (math, code, ...) by the
//! `classifier` step's labels, above a quality and ordered as a curriculum, S3 takes long
//! documents. Each bucket (a language, a domain, the rest) gets its token target from its pool:
//! whole copies while they fit (upsampling, recorded as epochs), then a seeded draw. The
//! stages are written as Parquet shards of `shard_tokens`, with `mix.json` (targets, what each
//! bucket and each run had and got, the shards) and `assignments.parquet` (each copy of each document: its
//! run, stage, bucket, shard and place). The same config and seed give the same shards.

mod config;
mod select;
mod store;

pub use config::MixConfig;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::cli::MixArgs;
use select::{fill, key, shards, targets, Bucket, BucketReport, Candidate, Pick};

/// A stage's plan: its picks in order, with their shards.
struct StagePlan {
    name: &'static str,
    buckets: Vec<BucketReport>,
    /// (pick, shard), in the stage's order.
    picks: Vec<(Pick, u32)>,
    /// Documents left out before the buckets (below `min_quality`, too short for S3, ...).
    left_out: u64,
    /// Per run: the tokens of its documents in the stage's pool.
    pool_by_run: Vec<u64>,
}

/// What a stage took from one run.
#[derive(Debug, Serialize)]
struct SourceReport {
    run: String,
    /// Tokens of its documents in the stage's pool.
    available_tokens: u64,
    /// Tokens taken (copies counted).
    selected_tokens: u64,
    /// Times its pool is seen.
    epochs: f64,
}

/// What `mix.json` records of a stage.
#[derive(Debug, Serialize)]
struct StageReport {
    target_tokens: u64,
    selected_tokens: u64,
    selected_documents: u64,
    left_out_documents: u64,
    buckets: Vec<BucketReport>,
    sources: Vec<SourceReport>,
    shards: Vec<store::ShardReport>,
}

/// `mix.json`.
#[derive(Debug, Serialize)]
struct Report {
    seed: u64,
    tokenizer: String,
    runs: Vec<store::RunReport>,
    config: MixConfig,
    stages: std::collections::BTreeMap<&'static str, StageReport>,
}

/// Runs `curate mix`.
pub fn run(args: &MixArgs) -> Result<()> {
    let mut config = MixConfig::load(&args.config)?;
    config.runs.extend(args.runs.iter().cloned());
    if config.runs.is_empty() {
        bail!("no runs to mix: give --run RUN (or `runs = [...]` in {})", args.config.display());
    }
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    let runs: Vec<PathBuf> = config
        .runs
        .iter()
        .map(|r| std::path::absolute(r).with_context(|| r.display().to_string()))
        .collect::<Result<_>>()?;
    let loaded = store::load(&runs, &config)?;
    let candidates = &loaded.candidates;
    eprintln!(
        "mix: {} candidate documents, {} tokens, from {} run(s)",
        candidates.len(),
        loaded.tokens(),
        runs.len()
    );

    let mut plans = Vec::new();
    if let Some(s1) = &config.s1 {
        let pool: Vec<usize> =
            (0..candidates.len()).filter(|&i| above(&candidates[i], s1.min_quality)).collect();
        let shares: Vec<(String, f64)> = s1.languages.iter().map(|(l, s)| (l.clone(), s.0)).collect();
        let groups = |c: &Candidate| -> Option<String> {
            if shares.is_empty() {
                Some("all".into())
            } else if s1.languages.contains_key(&c.language) {
                Some(c.language.clone())
            } else {
                Some(OTHER_LANGUAGES.into())
            }
        };
        plans.push(plan("s1", candidates, &pool, s1.tokens, &shares, OTHER_LANGUAGES, groups, &config, None));
    }
    if let Some(s2) = &config.s2 {
        let pool: Vec<usize> =
            (0..candidates.len()).filter(|&i| above(&candidates[i], s2.min_quality)).collect();
        let shares: Vec<(String, f64)> = s2.domains.iter().map(|(d, s)| (d.clone(), s.0)).collect();
        let groups = |c: &Candidate| -> Option<String> {
            match &c.domain {
                Some(d) if s2.domains.contains_key(d) => Some(d.clone()),
                _ => Some(OTHER_DOMAINS.into()),
            }
        };
        let curriculum = s2.curriculum.is_some();
        plans.push(plan(
            "s2",
            candidates,
            &pool,
            s2.tokens,
            &shares,
            OTHER_DOMAINS,
            groups,
            &config,
            Some(curriculum),
        ));
    }
    if let Some(s3) = &config.s3 {
        let pool: Vec<usize> = (0..candidates.len())
            .filter(|&i| candidates[i].tokens >= s3.min_tokens && above(&candidates[i], s3.min_quality))
            .collect();
        plans.push(plan(
            "s3",
            candidates,
            &pool,
            s3.tokens,
            &[],
            "long",
            |_| Some("long".into()),
            &config,
            None,
        ));
    }
    for p in &plans {
        for b in &p.buckets {
            if b.target_tokens > 0 && b.available_tokens == 0 {
                bail!(
                    "{} bucket `{}`: no documents to draw {} tokens from (check the runs' labels and the shares)",
                    p.name,
                    b.name,
                    b.target_tokens
                );
            }
            let epochs = b.target_tokens as f64 / b.available_tokens.max(1) as f64;
            if epochs > config.max_epochs {
                bail!(
                    "{} bucket `{}`: {} tokens asked of a pool of {} ({} documents) would repeat it {epochs:.1} \
                     times, more than max_epochs = {}",
                    p.name,
                    b.name,
                    b.target_tokens,
                    b.available_tokens,
                    b.available_documents,
                    config.max_epochs
                );
            }
        }
    }

    std::fs::create_dir_all(&args.output).with_context(|| format!("creating {}", args.output.display()))?;
    let written = store::write(&args.output, &runs, candidates, &plans)?;
    let mut stages = std::collections::BTreeMap::new();
    for (p, shards) in plans.iter().zip(written) {
        let report = StageReport {
            target_tokens: p.buckets.iter().map(|b| b.target_tokens).sum(),
            selected_tokens: p.buckets.iter().map(|b| b.selected_tokens).sum(),
            selected_documents: p.picks.len() as u64,
            left_out_documents: p.left_out,
            buckets: p.buckets.clone(),
            sources: runs
                .iter()
                .enumerate()
                .map(|(r, run)| {
                    let selected: u64 = p
                        .picks
                        .iter()
                        .filter(|(pick, _)| candidates[pick.index].run as usize == r)
                        .map(|(pick, _)| candidates[pick.index].tokens)
                        .sum();
                    let available = p.pool_by_run.get(r).copied().unwrap_or(0);
                    SourceReport {
                        run: run.display().to_string(),
                        available_tokens: available,
                        selected_tokens: selected,
                        epochs: if available == 0 { 0.0 } else { selected as f64 / available as f64 },
                    }
                })
                .collect(),
            shards,
        };
        let buckets: Vec<String> = report
            .buckets
            .iter()
            .map(|b| format!("{} {:.3}M ({:.2} epochs)", b.name, b.selected_tokens as f64 / 1e6, b.epochs))
            .collect();
        outln!(
            "{}: {:.3}M of {:.3}M tokens, {} documents in {} shard(s); {}",
            p.name,
            report.selected_tokens as f64 / 1e6,
            report.target_tokens as f64 / 1e6,
            report.selected_documents,
            report.shards.len(),
            buckets.join(", ")
        );
        stages.insert(p.name, report);
    }
    let report = Report {
        seed: config.seed,
        tokenizer: loaded.tokenizer.clone(),
        runs: loaded.runs.clone(),
        config: config.clone(),
        stages,
    };
    let path = args.output.join("mix.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("writing {}", path.display()))?;
    outln!("mix -> {} (mix.json, assignments.parquet)", args.output.display());
    Ok(())
}

/// S1's bucket for the languages without a share.
const OTHER_LANGUAGES: &str = "other languages";
/// S2's bucket for the domains without a share.
const OTHER_DOMAINS: &str = "other domains";

/// Whether `c` meets a quality floor (a document without a quality does not).
fn above(c: &Candidate, min: Option<f64>) -> bool {
    min.is_none_or(|m| c.quality.is_some_and(|q| q >= m))
}

/// Plans stage `name`: buckets from `shares` of `tokens` (the rest to `rest`), each drawing from
/// the pool's documents `group` puts in it; ordered by a seeded key, or by curriculum
/// (`Some(true)`), then cut into shards.
#[allow(clippy::too_many_arguments)]
fn plan(
    name: &'static str,
    candidates: &[Candidate],
    pool: &[usize],
    tokens: u64,
    shares: &[(String, f64)],
    rest: &str,
    group: impl Fn(&Candidate) -> Option<String>,
    config: &MixConfig,
    curriculum: Option<bool>,
) -> StagePlan {
    let mut buckets: Vec<Bucket> = targets(tokens, shares, rest)
        .into_iter()
        .map(|(name, target)| Bucket { name, target, pool: Vec::new() })
        .collect();
    for &i in pool {
        if let Some(g) = group(&candidates[i]) {
            if let Some(b) = buckets.iter_mut().find(|b| b.name == g) {
                b.pool.push(i);
            }
        }
    }
    let mut picks = Vec::new();
    let mut reports = Vec::new();
    for (b, bucket) in buckets.iter().enumerate() {
        let (p, r) = fill(candidates, bucket, b, name, config.seed);
        picks.extend(p);
        reports.push(r);
    }
    // The stage's order: seeded (copies of one document apart), or easiest first.
    let order_key =
        |p: &Pick| key(config.seed, name, candidates[p.index].run, &candidates[p.index].id, p.copy);
    if curriculum == Some(true) {
        picks.sort_by(|a, b| {
            let (x, y) = (candidates[a.index].curriculum, candidates[b.index].curriculum);
            let rank = |v: Option<f64>| v.unwrap_or(f64::INFINITY);
            rank(x).total_cmp(&rank(y)).then(order_key(a).cmp(&order_key(b)))
        });
    } else {
        picks.sort_by_key(order_key);
    }
    let shard_of = shards(picks.iter().map(|p| candidates[p.index].tokens), config.shard_tokens);
    let runs = candidates.iter().map(|c| c.run as usize + 1).max().unwrap_or(0);
    let mut pool_by_run = vec![0u64; runs];
    for &i in pool {
        pool_by_run[candidates[i].run as usize] += candidates[i].tokens;
    }
    StagePlan {
        name,
        buckets: reports,
        picks: picks.into_iter().zip(shard_of).collect(),
        left_out: (candidates.len() - pool.len()) as u64,
        pool_by_run,
    }
}

/// The folder of a stage's shards.
fn stage_dir(output: &Path, stage: &str) -> PathBuf {
    output.join(stage)
}
