//! Schemas shared by every part of curate.
//!
//! A [`Document`] is one input record on its way through a stage. Every step that looks at it
//! produces [`Check`]s; the dataflow turns them into [`DecisionRow`]s, so that each record's fate
//! (kept, rejected with a reason, or quarantined) is data that can be queried later.
//! [`output`] names the columns of every table a run writes.

mod check;
mod decision;
mod document;
pub mod output;
mod quarantine;

pub use check::Check;
pub use decision::DecisionRow;
pub use document::Document;
pub use quarantine::QuarantineRow;
