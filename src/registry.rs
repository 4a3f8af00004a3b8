//! Every step a stage can name: the filters crate's registry plus the filters of this crate
//! (those that need DuckDB).

use curate_filters::{FilterError, Registration};

use crate::expr_rule::ExprRuleConfig;

/// Every registered filter.
pub fn registry() -> Vec<Registration> {
    let mut all = curate_filters::registry();
    all.push(Registration::of::<ExprRuleConfig>());
    all
}

/// The registration named `name`, or an error listing the known names.
pub fn find(name: &str) -> Result<Registration, FilterError> {
    let all = registry();
    let known = all.iter().map(|r| r.name).collect::<Vec<_>>().join(", ");
    all.into_iter().find(|r| r.name == name).ok_or(FilterError::Unknown { name: name.to_string(), known })
}
