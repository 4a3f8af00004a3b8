//! Rules files: filter rules as data (`--rules FILE`, `curate check-rules FILE`). Each
//! `[[rules]]` entry names a rule, its `kind` (`regex`, `expr`, `judge`, or any registered
//! filter) and that kind's options; it becomes a step of the stage, named after the rule, whose
//! decisions carry the rule's name and version.

use std::path::Path;

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use crate::step_config::StepConfig;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    rules: Vec<toml::Spanned<toml::Table>>,
}

/// A rule, as a step, with the line it starts on.
pub struct Rule {
    /// The step the rule becomes.
    pub step: StepConfig,
    /// Its line in the file.
    pub line: usize,
}

/// Reads the rules of `path`: every rule has a `name` and a `kind`; file paths in options
/// (`rule` of judge rules) are relative to the rules file. Options are checked by
/// [`check`]; here only the shape.
pub fn load(path: &Path) -> Result<Vec<Rule>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading rules {}", path.display()))?;
    let file: RulesFile = toml::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim_end()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for spanned in file.rules {
        let line = crate::step_config::line_of(&text, spanned.span().start);
        let mut table = spanned.into_inner();
        let at = |what: &str| format!("{}:{line}: {what}", path.display());
        let name = match table.remove("name") {
            Some(toml::Value::String(n)) if !n.is_empty() => n,
            _ => bail!("{}", at("a rule needs `name = \"...\"`")),
        };
        let kind = match table.remove("kind") {
            Some(toml::Value::String(k)) => k,
            _ => {
                bail!("{}", at(&format!("rule `{name}` needs `kind` (regex, expr, judge, or a filter name)")))
            }
        };
        if kind == "judge" {
            if let Some(toml::Value::String(rule)) = table.get("rule") {
                let local = base.join(rule);
                if rule.ends_with(".toml") && local.exists() {
                    table.insert("rule".into(), toml::Value::String(local.to_string_lossy().into_owned()));
                }
            }
        }
        if kind == "command" {
            // Arguments that name files next to the rules file (the script) are made absolute.
            if let Some(toml::Value::Array(args)) = table.get_mut("command") {
                for arg in args.iter_mut() {
                    if let toml::Value::String(a) = arg {
                        let local = base.join(&*a);
                        if !a.starts_with('/') && a.contains('.') && local.exists() {
                            *a = local.to_string_lossy().into_owned();
                        }
                    }
                }
            }
        }
        out.push(Rule { step: StepConfig { filter: kind, name: Some(name), options: table }, line });
    }
    Ok(out)
}

/// Parses and compiles every rule of `path` (patterns, expressions, judge rule files), naming the
/// file, line and rule of the first that is broken.
pub fn check(path: &Path) -> Result<Vec<Rule>> {
    let rules = load(path)?;
    for r in &rules {
        let name = r.step.name();
        crate::registry::find(&r.step.filter).and_then(|reg| reg.check(r.step.options.clone())).map_err(
            |e| anyhow::anyhow!("{}:{}: rule `{name}` ({}): {e}", path.display(), r.line, r.step.filter),
        )?;
    }
    Ok(rules)
}
