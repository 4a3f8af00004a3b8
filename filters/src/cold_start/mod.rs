//! The cold-start stage's filters (Qwen3 post-training, stage 1): queries must be verifiable
//! single questions that need reasoning; responses must reach the reference answer cleanly.
//!
//! A record is a query (`text`) with its other fields in `meta`: a reference answer and/or
//! tests, optional domain, and candidate responses. Rules decide what they can; a model judge
//! (the run's `--judge`) answers what they cannot, through [`judged::JudgeStep`].

pub mod choices;
pub mod correctness;
pub mod direct_answer;
pub mod domain;
pub mod general_text;
pub mod judged;
pub mod multi_part;
pub mod record;
pub mod responses;
pub mod sampling;
pub mod verifier;
