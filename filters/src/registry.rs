use crate::classifier::ClassifierConfig;
use crate::cold_start::direct_answer::DirectAnswerConfig;
use crate::cold_start::domain::DomainConfig;
use crate::cold_start::general_text::GeneralTextConfig;
use crate::cold_start::multi_part::MultiPartConfig;
use crate::cold_start::responses::ResponsesConfig;
use crate::cold_start::sampling::SampleResponsesConfig;
use crate::cold_start::verifier::VerifierConfig;
use crate::command_rule::CommandRuleConfig;
use crate::contamination::ContaminationConfig;
use crate::gopher_quality::GopherQualityConfig;
use crate::gopher_repetition::GopherRepetitionConfig;
use crate::judge_rule::JudgeRuleConfig;
use crate::language_id::LanguageIdConfig;
use crate::reasoning_rl::disjoint::DisjointConfig;
use crate::reasoning_rl::pass_rate::PassRateConfig;
use crate::regex_rule::RegexRuleConfig;
use crate::{BuildContext, Filter, FilterConfig, FilterError};

/// Builds a filter from its TOML options within a run.
type BuildFn = fn(toml::Table, &BuildContext) -> Result<Box<dyn Filter>, FilterError>;

/// A filter known by name: how to print its defaults and how to build it from TOML options.
pub struct Registration {
    /// The name a stage's TOML uses.
    pub name: &'static str,
    /// One line for `curate stages`.
    pub description: &'static str,
    defaults: fn() -> toml::Table,
    build: BuildFn,
    check: fn(toml::Table) -> Result<(), FilterError>,
}

fn parse<C: FilterConfig>(options: toml::Table) -> Result<C, FilterError> {
    options.try_into().map_err(|e: toml::de::Error| FilterError::Config {
        filter: C::NAME.into(),
        message: e.message().to_string(),
    })
}

impl Registration {
    /// The registration of the filter configured by `C`.
    pub fn of<C: FilterConfig>() -> Self {
        Self {
            name: C::NAME,
            description: C::DESCRIPTION,
            defaults: || match toml::Table::try_from(C::default()) {
                Ok(table) => table,
                Err(e) => panic!("defaults of filter `{}` do not serialize: {e}", C::NAME),
            },
            build: |options, ctx| parse::<C>(options)?.build_in(ctx),
            check: |options| parse::<C>(options)?.check(),
        }
    }

    /// Every option with its default value.
    pub fn defaults(&self) -> toml::Table {
        (self.defaults)()
    }

    /// Checks the options given without building the filter (see [`FilterConfig::check`]).
    pub fn check(&self, options: toml::Table) -> Result<(), FilterError> {
        (self.check)(options)
    }

    /// Builds the filter from the options given (missing ones take their defaults), outside a
    /// run: judge questions are skipped.
    pub fn build(&self, options: toml::Table) -> Result<Box<dyn Filter>, FilterError> {
        (self.build)(options, &BuildContext::outside_run())
    }

    /// Builds the filter for a run, with the run's judge.
    pub fn build_in(&self, options: toml::Table, ctx: &BuildContext) -> Result<Box<dyn Filter>, FilterError> {
        (self.build)(options, ctx)
    }
}

/// Every built-in filter. To add one: implement [`FilterConfig`] and add a line here.
pub fn registry() -> Vec<Registration> {
    vec![
        Registration::of::<LanguageIdConfig>(),
        Registration::of::<GopherQualityConfig>(),
        Registration::of::<GopherRepetitionConfig>(),
        Registration::of::<ClassifierConfig>(),
        Registration::of::<ContaminationConfig>(),
        Registration::of::<VerifierConfig>(),
        Registration::of::<MultiPartConfig>(),
        Registration::of::<GeneralTextConfig>(),
        Registration::of::<DirectAnswerConfig>(),
        Registration::of::<SampleResponsesConfig>(),
        Registration::of::<ResponsesConfig>(),
        Registration::of::<DomainConfig>(),
        Registration::of::<DisjointConfig>(),
        Registration::of::<PassRateConfig>(),
        Registration::of::<RegexRuleConfig>(),
        Registration::of::<JudgeRuleConfig>(),
        Registration::of::<CommandRuleConfig>(),
    ]
}

/// The registration named `name`, or an error listing the known names.
pub fn find(name: &str) -> Result<Registration, FilterError> {
    let all = registry();
    let known = all.iter().map(|r| r.name).collect::<Vec<_>>().join(", ");
    all.into_iter().find(|r| r.name == name).ok_or(FilterError::Unknown { name: name.to_string(), known })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_builds_from_its_defaults() {
        for r in registry() {
            match r.build(r.defaults()) {
                Ok(_) => {}
                // Needs an index that only the user can name.
                Err(e) if r.name == "contamination" => assert!(e.to_string().contains("--benchmarks"), "{e}"),
                // Needs the model `curate train-classifier` wrote.
                Err(e) if r.name == "classifier" => {
                    assert!(e.to_string().contains("`model` is required"), "{e}")
                }
                // Rules as data have nothing to run until the user writes one.
                Err(e) if ["regex", "judge", "command"].contains(&r.name) => {
                    assert!(e.to_string().contains("missing"), "{e}")
                }
                Err(e) => panic!("{}: {e}", r.name),
            }
        }
    }

    #[test]
    fn unknown_keys_and_names_are_refused() {
        let r = find("gopher_quality").unwrap();
        let mut t = toml::Table::new();
        t.insert("min_word_cout".into(), toml::Value::Integer(3));
        let err = r.build(t).err().unwrap().to_string();
        assert!(err.contains("min_word_cout"), "{err}");
        let err = find("gopher").err().unwrap().to_string();
        assert!(err.contains("known filters: language_id, gopher_quality"), "{err}");
    }
}
