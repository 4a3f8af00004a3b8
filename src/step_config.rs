//! One step of a stage as a config names it (a registered filter and its options), and the
//! line of a key in a config file for error messages: shared by the stage config, the stage
//! presets and rules files.

use serde::{Deserialize, Serialize};

/// One step of a stage: a registered filter and its options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepConfig {
    /// The registered filter (`curate stages` lists them).
    pub filter: String,
    /// The step's name in decisions; defaults to the filter's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The filter's options; missing ones take their defaults.
    #[serde(flatten)]
    pub options: toml::Table,
}

impl StepConfig {
    /// A step running `filter` with its default options.
    pub fn of(filter: &str) -> Self {
        Self { filter: filter.into(), name: None, options: toml::Table::new() }
    }

    /// The step's name in decisions.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.filter)
    }
}

/// The 1-based line of byte `offset` in `source`.
pub fn line_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].matches('\n').count() + 1
}
