//! curate's filters: the [`Filter`] trait, the registry that maps names in a stage's TOML to
//! filters, and the built-in filters, one per file.
//!
//! A filter measures a document and returns one [`Check`] per rule; the dataflow, not the
//! filter, turns checks into decisions, counts them and routes the document (see
//! `../shared/STYLE.md`: the framework does the bookkeeping, the filter only measures and decides).

pub mod answer;
pub mod ascii_words;
pub mod classifier;
pub mod cold_start;
pub mod command_rule;
pub mod contamination;
pub mod dedup;
mod error;
pub mod fasttext_inference;
mod filter;
pub mod gopher_quality;
pub mod gopher_repetition;
pub mod judge_rule;
pub mod language_id;
mod ngram_repeats;
#[cfg(test)]
mod random_strings;
pub mod reasoning_rl;
pub mod regex_rule;
mod registry;
pub mod response;
#[cfg(test)]
mod test_text;
pub mod words;

pub use curate_schemas::{Check, Document};
pub use error::FilterError;
pub use filter::{check_alone, BuildContext, Filter, FilterConfig, ModelOpener};
pub use registry::{find, registry, Registration};
