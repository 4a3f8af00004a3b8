//! Packing prompts into forward passes: consecutive prompts share one llama.cpp batch (one
//! sequence id each) until the pass would exceed its token or sequence budget.

use std::ops::Range;

/// How many prompts one forward pass may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packing {
    /// Most tokens in one pass (prompt tokens, plus the tokens to generate when generating):
    /// the context, and so the KV cache, is sized by this.
    pub max_tokens: usize,
    /// Most prompts (sequences) in one pass.
    pub max_sequences: usize,
}

impl Default for Packing {
    fn default() -> Self {
        Self { max_tokens: 512, max_sequences: 8 }
    }
}

/// Splits items of the given token costs, in order, into packs within `limits`. An item that
/// alone exceeds `max_tokens` gets a pack of its own (the context grows to fit it).
pub fn packs(costs: &[usize], limits: Packing) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut tokens = 0;
    for (i, &cost) in costs.iter().enumerate() {
        let full = i > start && (tokens + cost > limits.max_tokens || i - start >= limits.max_sequences);
        if full {
            out.push(start..i);
            start = i;
            tokens = 0;
        }
        tokens += cost;
    }
    if start < costs.len() {
        out.push(start..costs.len());
    }
    out
}

/// Tokens of the largest pack: the context size the packs need.
pub fn largest(costs: &[usize], packs: &[Range<usize>]) -> usize {
    packs.iter().map(|r| costs[r.clone()].iter().sum::<usize>()).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_respect_token_and_sequence_limits() {
        let limits = Packing { max_tokens: 10, max_sequences: 3 };
        assert_eq!(packs(&[4, 4, 4, 1, 1, 1, 1], limits), vec![0..2, 2..5, 5..7]);
        assert_eq!(packs(&[], limits), Vec::<Range<usize>>::new());
    }

    #[test]
    fn an_oversized_item_gets_its_own_pack() {
        let limits = Packing { max_tokens: 10, max_sequences: 8 };
        let costs = [3, 25, 3];
        let p = packs(&costs, limits);
        assert_eq!(p, vec![0..1, 1..2, 2..3]);
        assert_eq!(largest(&costs, &p), 25);
    }
}
