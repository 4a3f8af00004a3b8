//! How reasoning-rl picks its queries from the eligible ones: `[selection]` in its config.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Options of the selection (`[selection]` in a reasoning-rl config).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SelectionConfig {
    /// How many queries to select (0: every eligible one); `--target` sets it.
    pub target: usize,
    /// Fewest queries a domain gets when it has that many eligible (the floor under the
    /// proportional quotas).
    pub min_per_domain: usize,
    /// Fixed quotas by domain label (e.g. `code = 500`); the other domains share the rest of the
    /// target in proportion to their eligible queries.
    pub quotas: BTreeMap<String, usize>,
    /// Seed of the order among equally hard queries.
    pub seed: u64,
}

impl Default for SelectionConfig {
    fn default() -> Self {
        Self { target: 0, min_per_domain: 1, quotas: BTreeMap::new(), seed: 0 }
    }
}
