//! `verifier`: a cold-start query needs something to check answers against, a reference answer
//! or tests. Queries without are rejected with rule `has_verifier`, and the run's annotation
//! queue collects them for people to write one.

use serde::{Deserialize, Serialize};

use super::record;
use crate::{Check, Document, Filter, FilterConfig, FilterError};

/// Options of `verifier`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct VerifierConfig {
    /// The field holding the reference answer (math, STEM).
    pub reference_field: String,
    /// The field holding tests (code).
    pub tests_field: String,
    /// What becomes of a query without a verifier, said in its reason.
    pub missing: String,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        Self {
            reference_field: "reference_answer".into(),
            tests_field: "tests".into(),
            missing: "sent to annotation".into(),
        }
    }
}

impl FilterConfig for VerifierConfig {
    const NAME: &'static str = "verifier";
    const DESCRIPTION: &'static str =
        "Cold start: the query has a reference answer or tests (else: annotation queue)";

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        Ok(Box::new(Verifier { config: self.clone() }))
    }
}

/// The `verifier` filter.
pub struct Verifier {
    config: VerifierConfig,
}

impl Filter for Verifier {
    fn version(&self) -> &str {
        "1"
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        let fields = record::fields(doc);
        let has = record::text(&fields, &self.config.reference_field).is_some()
            || record::text(&fields, &self.config.tests_field).is_some();
        let reason = format!(
            "no `{}` and no `{}`: nothing to verify answers against ({})",
            self.config.reference_field, self.config.tests_field, self.config.missing
        );
        vec![Check::new("has_verifier", None, None, has, reason)]
    }
}
