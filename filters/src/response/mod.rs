//! Measurements of model responses for the cold-start stage: degenerate loops at the end,
//! language and script mixing.

pub mod language_mixing;
pub mod tail_loop;
