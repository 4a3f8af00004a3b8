//! The reasoning-RL stage's filters (Qwen3 post-training, stage 2): candidate query-verifier
//! pairs must be new to the cold-start model ([`disjoint`]) and neither always nor never solved
//! by it ([`pass_rate`]). Verifiers, sampling and domain labels are the cold-start stage's.

pub mod disjoint;
pub mod pass_rate;
