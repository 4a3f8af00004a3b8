//! Measurements of model responses for the cold-start stage: degenerate loops at the end,
//! language and script mixing, code run against its tests.

pub mod language_mixing;
pub mod sandbox;
pub mod tail_loop;
