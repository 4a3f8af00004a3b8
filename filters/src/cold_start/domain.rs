//! `domain`: labels every query's domain for balance (math subfields, code, logic, physics,
//! chemistry, biology, other STEM). An input `domain` field wins; else keywords of a taxonomy
//! (built in, or a TOML file); else the judge (`judges/rules/domain_label.toml`); else `other`.
//! Writes the label into the record's `domain` field; never rejects.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::judged::JudgeStep;
use super::record;
use crate::{BuildContext, Check, Document, Filter, FilterConfig, FilterError};

/// One domain of the taxonomy and the words that signal it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainEntry {
    /// The label written, e.g. `math.geometry`.
    pub label: String,
    /// Lowercase words or phrases; each one found counts once.
    pub keywords: Vec<String>,
}

/// Options of `domain`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DomainConfig {
    /// The input field that may already hold the domain.
    pub domain_field: String,
    /// The field holding tests: a query with tests is code.
    pub tests_field: String,
    /// The taxonomy, most specific first.
    pub taxonomy: Vec<DomainEntry>,
    /// Ask the judge when no keyword matches.
    pub judge: bool,
    /// The judge rule; its labels map, in order, onto `judge_labels`.
    pub judge_rule: String,
    /// A model for this step's judge questions instead of the run's `--judge`: a GGUF file, or
    /// a /v1 URL with the model name after `#` (`http://host:8000/v1#qwen2.5-72b-instruct`).
    pub judge_model: String,
    /// The domain of each of the judge rule's labels.
    pub judge_labels: Vec<String>,
}

fn entry(label: &str, words: &str) -> DomainEntry {
    DomainEntry { label: label.into(), keywords: words.split(',').map(|w| w.trim().to_string()).collect() }
}

impl Default for DomainConfig {
    fn default() -> Self {
        Self {
            domain_field: "domain".into(),
            tests_field: "tests".into(),
            taxonomy: vec![
                entry("code", "python, function, program, code, algorithm, array, string, list of, return, implement, def , class "),
                entry("math.geometry", "triangle, circle, angle, polygon, area, perimeter, radius, square, rectangle, volume, coordinate"),
                entry("math.number_theory", "prime, divisor, divisible, remainder, modulo, gcd, lcm, integer, digits, factor"),
                entry("math.counting_probability", "probability, how many ways, choose, arrangements, permutation, combination, dice, coin, random"),
                entry("math.calculus", "derivative, integral, limit, \\int, \\lim, differentiate, series converge"),
                entry("math.algebra", "solve for, equation, polynomial, function, roots, x^, inequality, \\frac, variable"),
                entry("physics", "velocity, acceleration, force, energy, mass, momentum, voltage, current, newton, joule, gravity"),
                entry("chemistry", "mole, molecule, reaction, acid, base, ph, atom, compound, element, electron, bond"),
                entry("biology", "cell, gene, dna, protein, species, organism, enzyme, evolution, tissue"),
                entry("logic", "true or false, logic, puzzle, knights, knaves, truth, implies, syllogism"),
                entry("math.arithmetic", "how many, how much, total, each, per, cost, dollars, percent, $"),
            ],
            judge: true,
            judge_rule: "domain_label".into(), judge_model: String::new(),
            judge_labels: ["math", "code", "logic", "physics", "chemistry", "biology", "other_stem"].map(String::from).to_vec(),
        }
    }
}

impl FilterConfig for DomainConfig {
    const NAME: &'static str = "domain";
    const DESCRIPTION: &'static str =
        "Cold start: label each query's domain (input field, taxonomy keywords, judge)";

    fn build(&self) -> Result<Box<dyn Filter>, FilterError> {
        self.build_in(&BuildContext::outside_run())
    }

    fn build_in(&self, ctx: &BuildContext) -> Result<Box<dyn Filter>, FilterError> {
        if self.taxonomy.iter().any(|e| e.label.is_empty()) {
            return Err(FilterError::Invalid {
                filter: Self::NAME.into(),
                message: "a taxonomy entry has an empty label".into(),
            });
        }
        let judge = if self.judge {
            Some(JudgeStep::new(Self::NAME, &self.judge_rule, &self.judge_model, ctx)?)
        } else {
            None
        };
        Ok(Box::new(Domain { config: self.clone(), judge }))
    }
}

/// The `domain` filter.
pub struct Domain {
    config: DomainConfig,
    judge: Option<JudgeStep>,
}

impl Domain {
    /// The label from the record or the taxonomy, if either gives one.
    fn by_rules(&self, doc: &Document) -> Option<String> {
        let fields = record::fields(doc);
        if let Some(d) = record::text(&fields, &self.config.domain_field) {
            return Some(d.trim().to_lowercase());
        }
        if record::text(&fields, &self.config.tests_field).is_some() {
            return Some("code".into());
        }
        let query = doc.text.to_lowercase();
        let mut best: Option<(&str, usize)> = None;
        for e in &self.config.taxonomy {
            let hits = e.keywords.iter().filter(|k| !k.is_empty() && query.contains(k.as_str())).count();
            if hits > 0 && best.is_none_or(|(_, b)| hits > b) {
                best = Some((&e.label, hits));
            }
        }
        best.map(|(l, _)| l.to_string())
    }
}

fn label(doc: &mut Document, domain: &str) -> Check {
    let mut fields = record::fields(doc);
    fields.insert("domain".into(), Value::String(domain.to_string()));
    record::store(doc, fields);
    Check::new("domain_labelled", None, None, true, "")
}

impl Filter for Domain {
    fn version(&self) -> &str {
        "1"
    }

    fn check(&self, doc: &mut Document) -> Vec<Check> {
        let d = self.by_rules(doc).unwrap_or_else(|| "other".into());
        vec![label(doc, &d)]
    }

    fn check_batch(&self, docs: &mut [Document]) -> Result<Vec<Vec<Check>>, FilterError> {
        let mut found: Vec<Option<String>> = docs.iter().map(|d| self.by_rules(d)).collect();
        if let Some(judge) = &self.judge {
            let open: Vec<usize> = (0..docs.len()).filter(|&i| found[i].is_none()).collect();
            if !open.is_empty() {
                let records: Vec<_> = open.iter().map(|&i| record::fields(&docs[i])).collect();
                if let Some(labels) = judge.labels(&records)? {
                    for (&i, (index, _)) in open.iter().zip(labels) {
                        found[i] = self.config.judge_labels.get(index).cloned();
                    }
                }
            }
        }
        Ok(docs.iter_mut().zip(found).map(|(d, f)| vec![label(d, f.as_deref().unwrap_or("other"))]).collect())
    }
}
