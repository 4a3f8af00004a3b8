//! Choosing a stage's documents: each bucket (a language, a domain, the rest) gets its target
//! in tokens from its pool, every document as many whole times as the target allows (its
//! epochs) and the remainder from a seeded draw; then the stage's order and shards.

use serde::Serialize;

/// A document that may go into a mixture.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Which run it is kept in (index into the runs).
    pub run: u32,
    /// Its id in that run.
    pub id: String,
    /// Its tokens.
    pub tokens: u64,
    /// Its detected language (`unknown` without one).
    pub language: String,
    /// Its domain label, when classified.
    pub domain: Option<String>,
    /// Its quality (a numeric dimension's expected value), when classified.
    pub quality: Option<f64>,
    /// Its place in a curriculum (a numeric dimension's expected value), when classified.
    pub curriculum: Option<f64>,
}

/// A bucket of a stage: its pool and its target.
#[derive(Debug, Clone)]
pub struct Bucket {
    /// `en`, `math`, `other languages`, ...
    pub name: String,
    /// Tokens asked for.
    pub target: u64,
    /// The candidates it draws from (indices).
    pub pool: Vec<usize>,
}

/// One copy of a candidate in a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pick {
    /// The candidate.
    pub index: usize,
    /// Which copy (0 for the first; upsampled documents have more).
    pub copy: u32,
    /// The bucket it fills (index into the stage's buckets).
    pub bucket: usize,
}

/// What a bucket got.
#[derive(Debug, Clone, Serialize)]
pub struct BucketReport {
    /// The bucket.
    pub name: String,
    /// Documents in its pool.
    pub available_documents: u64,
    /// Their tokens.
    pub available_tokens: u64,
    /// Tokens asked for.
    pub target_tokens: u64,
    /// Tokens chosen (copies counted).
    pub selected_tokens: u64,
    /// Copies chosen.
    pub selected_documents: u64,
    /// Times the pool is seen: selected / available tokens (above 1: upsampled).
    pub epochs: f64,
}

/// A key of `salt`, `run`, `id` and `copy` under `seed`: draws and orders.
pub fn key(seed: u64, salt: &str, run: u32, id: &str, copy: u32) -> u64 {
    let mut bytes = Vec::with_capacity(salt.len() + id.len() + 10);
    bytes.extend_from_slice(salt.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(&run.to_le_bytes());
    bytes.extend_from_slice(id.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(&copy.to_le_bytes());
    xxhash_rust::xxh3::xxh3_64_with_seed(&bytes, seed)
}

/// Fills `bucket` (number `b` of stage `stage`) from `candidates`: whole copies of the pool
/// while they fit the target, then documents in seeded order while they bring the total
/// closer to it.
pub fn fill(
    candidates: &[Candidate],
    bucket: &Bucket,
    b: usize,
    stage: &str,
    seed: u64,
) -> (Vec<Pick>, BucketReport) {
    let available: u64 = bucket.pool.iter().map(|&i| candidates[i].tokens).sum();
    let mut picks = Vec::new();
    let mut total = 0u64;
    if let Some(whole) = bucket.target.checked_div(available) {
        for copy in 0..whole as u32 {
            picks.extend(bucket.pool.iter().map(|&index| Pick { index, copy, bucket: b }));
        }
        total = whole * available;
        let copy = whole as u32;
        let salt = format!("{stage}/{}", bucket.name);
        let mut order: Vec<(u64, usize)> = bucket
            .pool
            .iter()
            .map(|&i| (key(seed, &salt, candidates[i].run, &candidates[i].id, copy), i))
            .collect();
        order.sort_unstable();
        // Documents in seeded order while they fit; then the one left out whose size is
        // nearest the remainder, when taking it comes closer to the target than stopping.
        let mut skipped = Vec::new();
        for (_, index) in order {
            let remaining = bucket.target - total;
            if remaining == 0 {
                break;
            }
            let tokens = candidates[index].tokens;
            if tokens <= remaining {
                picks.push(Pick { index, copy, bucket: b });
                total += tokens;
            } else {
                skipped.push(index);
            }
        }
        let remaining = bucket.target - total;
        if let Some(&index) = skipped.iter().min_by_key(|&&i| candidates[i].tokens.abs_diff(remaining)) {
            if remaining > 0 && candidates[index].tokens - remaining < remaining {
                picks.push(Pick { index, copy, bucket: b });
                total += candidates[index].tokens;
            }
        }
    }
    let report = BucketReport {
        name: bucket.name.clone(),
        available_documents: bucket.pool.len() as u64,
        available_tokens: available,
        target_tokens: bucket.target,
        selected_tokens: total,
        selected_documents: picks.len() as u64,
        epochs: if available == 0 { 0.0 } else { total as f64 / available as f64 },
    };
    (picks, report)
}

/// Shares of `total` tokens per named bucket, and the rest for `rest`: targets that add up
/// to `total` exactly.
pub fn targets(total: u64, shares: &[(String, f64)], rest: &str) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> =
        shares.iter().map(|(name, share)| (name.clone(), (share * total as f64).round() as u64)).collect();
    let given: u64 = out.iter().map(|(_, t)| t).sum();
    if given < total {
        out.push((rest.to_string(), total - given));
    } else if let Some(last) = out.last_mut() {
        // Rounding gave one token too many.
        last.1 -= given - total;
    }
    out
}

/// Shard numbers for `tokens` in order: a shard takes documents until it holds `per_shard`.
pub fn shards(tokens: impl IntoIterator<Item = u64>, per_shard: u64) -> Vec<u32> {
    let (mut shard, mut filled) = (0u32, 0u64);
    tokens
        .into_iter()
        .map(|t| {
            if filled >= per_shard {
                shard += 1;
                filled = 0;
            }
            filled += t;
            shard
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(tokens: &[u64]) -> Vec<Candidate> {
        tokens
            .iter()
            .enumerate()
            .map(|(i, &t)| Candidate {
                run: 0,
                id: format!("d{i}"),
                tokens: t,
                language: "en".into(),
                domain: None,
                quality: None,
                curriculum: None,
            })
            .collect()
    }

    #[test]
    fn whole_copies_then_a_seeded_draw_close_to_the_target() {
        let c = docs(&(0..100).map(|i| 10 + i % 7).collect::<Vec<_>>());
        let pool: Vec<usize> = (0..100).collect();
        let available: u64 = c.iter().map(|d| d.tokens).sum();
        // Downsampled: within one document of the target, no copies.
        let (picks, r) =
            fill(&c, &Bucket { name: "all".into(), target: 500, pool: pool.clone() }, 0, "s1", 7);
        assert!(r.selected_tokens.abs_diff(500) <= 8, "{r:?}");
        assert!(picks.iter().all(|p| p.copy == 0));
        // Upsampled 2.5 times: every document twice, half of them a third time.
        let target = available * 5 / 2;
        let (picks, r) = fill(&c, &Bucket { name: "all".into(), target, pool: pool.clone() }, 0, "s1", 7);
        assert!(r.selected_tokens.abs_diff(target) <= 8 && (r.epochs - 2.5).abs() < 0.01, "{r:?}");
        assert_eq!(picks.iter().filter(|p| p.copy < 2).count(), 200);
        // The same seed draws the same; another seed another.
        let again = fill(&c, &Bucket { name: "all".into(), target: 500, pool: pool.clone() }, 0, "s1", 7).0;
        let other = fill(&c, &Bucket { name: "all".into(), target: 500, pool }, 0, "s1", 8).0;
        assert_eq!(
            fill(&c, &Bucket { name: "all".into(), target: 500, pool: (0..100).collect() }, 0, "s1", 7).0,
            again
        );
        assert_ne!(again, other);
    }

    #[test]
    fn targets_and_shards() {
        let t = targets(1000, &[("math".into(), 0.15), ("code".into(), 0.25)], "rest");
        assert_eq!(t, vec![("math".into(), 150), ("code".into(), 250), ("rest".into(), 600)]);
        assert_eq!(targets(10, &[("a".into(), 1.0)], "rest"), vec![("a".into(), 10)]);
        assert_eq!(shards([5, 5, 5, 1, 9, 2], 10), vec![0, 0, 1, 1, 1, 2]);
        let empty = fill(&docs(&[]), &Bucket { name: "x".into(), target: 10, pool: vec![] }, 0, "s1", 0).1;
        assert_eq!((empty.selected_tokens, empty.epochs), (0, 0.0));
    }
}
