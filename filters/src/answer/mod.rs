//! Final answers of math and STEM responses: finding them ([`extract`], [`prose`] when no marker
//! states them) and deciding whether two
//! are the same answer ([`equivalent`]): numbers written every which way, fractions, LaTeX,
//! percentages, units, multiple-choice letters, sets and tuples, simple expressions.

mod equivalent;
mod expression;
mod extract;
mod normalize;
mod prose;

pub use equivalent::{comparable, equivalent, Answer};
pub use extract::{boxed, final_answer, reasoning_answer, split_thinking, Extracted, Found};
pub use normalize::normalize;
pub use prose::{concluding_answer, reduce, stated_relations, stated_values};
