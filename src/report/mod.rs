//! `curate report`: one self-contained HTML page per run, drawn from the run's own tables (so
//! that every number agrees with `curate sql`, and carries the query that gives it).
//!
//! The page loads nothing (no script at all, a Content-Security-Policy that forbids any, styles
//! inline, charts as inline SVG), so it works from a `file://` URL and as a CI artifact.
//! Document text is untrusted: the template escapes everything it prints (minijinja's HTML
//! auto-escaping), and the charts' SVG is `plotters`', which escapes its labels.

mod charts;
mod compare;
mod contamination;
mod db;
mod dedup;
mod distributions;
mod facts;
mod funnel;
mod rules;
mod stage;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use self::db::{Db, Number};

/// The page's template.
const TEMPLATE: &str = include_str!("page.html");
/// The file every finished run writes.
pub const FILE: &str = "report.html";

/// Everything the page shows.
#[derive(Debug, Serialize)]
struct Report {
    run: String,
    finished: Option<String>,
    facts: facts::Facts,
    funnel: funnel::Funnel,
    kept_share: f64,
    rejected_total: Number,
    rules: Vec<rules::RuleReport>,
    distributions: distributions::Distributions,
    dedup: Option<dedup::Dedup>,
    contamination: Option<contamination::Contamination>,
    stage_empty: bool,
    stage: stage::StageSection,
    comparison: Option<compare::Comparison>,
}

/// Builds the report of the run at `root`, compared with the run at `other` when given.
fn build(root: &Path, other: Option<&Path>) -> Result<Report> {
    let dir = crate::engine::run_dir::RunDir::open(root)?;
    let plan = dir.plan()?;
    let manifest = crate::engine::run_dir::read_manifest(root)?.unwrap_or(serde_json::Value::Null);
    let order: Vec<String> = plan.config.steps.iter().map(|s| s.name().to_string()).collect();
    let db = Db::open(root)?;
    let funnel = funnel::funnel(&db, &order)?;
    let rejected_total = db.number("SELECT count(*) FROM rejected".into())?;
    // A `domain` step writes its label (cold-start's domain, thinking-fusion's task type) to
    // the record's `domain` field, whatever field it read a given one from.
    let label_field = plan.config.steps.iter().any(|s| s.filter == "domain").then_some("domain");
    let stage = stage::stage_section(&db, &manifest, label_field)?;
    let finished = match manifest.get("finished_at_unix").and_then(serde_json::Value::as_u64) {
        Some(t) => db
            .rows(
                &format!("SELECT strftime(make_timestamp({t}::BIGINT * 1000000), '%Y-%m-%d %H:%M UTC')"),
                |r| r.get::<_, String>(0),
            )?
            .into_iter()
            .next(),
        None => None,
    };
    let comparison = match other {
        Some(other) => {
            db.attach(other, compare::OTHER)?;
            Some(compare::compare(&db, &other.display().to_string())?)
        }
        None => None,
    };
    Ok(Report {
        run: root.display().to_string(),
        finished,
        facts: facts::facts(&plan, &manifest)?,
        kept_share: if funnel.input.value == 0 {
            0.0
        } else {
            100.0 * funnel.kept.value as f64 / funnel.input.value as f64
        },
        funnel,
        rejected_total,
        rules: rules::rules(&db, &order)?,
        distributions: distributions::distributions(&db)?,
        dedup: dedup::dedup(&db)?,
        contamination: contamination::contamination(&db)?,
        stage_empty: stage.is_empty(),
        stage,
        comparison,
    })
}

/// `1234567` as `1,234,567`.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The page of `report`.
fn render(report: &Report) -> Result<String> {
    let mut env = minijinja::Environment::new();
    env.add_filter("grouped", |n: u64| grouped(n));
    env.add_filter("bytes", |n: u64| charts::human_bytes(n as f64));
    env.add_filter("fixed", |x: f64, digits: usize| format!("{x:.digits$}"));
    env.add_filter("number", |x: f64| charts::axis_number(x));
    env.add_filter("bar_px", |share: f64| format!("{:.1}", (share * 2.0).clamp(0.0, 200.0)));
    // The name ends in .html: minijinja escapes everything printed, `|safe` aside (the SVGs).
    env.add_template("page.html", TEMPLATE).context("the report template")?;
    env.get_template("page.html")?.render(report).context("rendering the report")
}

/// Writes the report of the run at `root` to `output` (atomically), compared with `other`.
pub fn write(root: &Path, output: &Path, other: Option<&Path>) -> Result<()> {
    let report = build(root, other).with_context(|| format!("reporting on {}", root.display()))?;
    let page = render(&report)?;
    crate::engine::run_dir::write_atomic(output, page.as_bytes())
}

/// Options of `curate report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The run directory.
    pub run: PathBuf,
    /// Where to write the page (default: RUN/report.html, or RUN/compare-<other>.html).
    #[arg(long)]
    pub output: Option<PathBuf>,
    /// Another run to compare with: per rule and per language, and the records that moved.
    #[arg(long)]
    pub compare: Option<PathBuf>,
    /// Open the page in the default browser.
    #[arg(long)]
    pub open: bool,
}

/// `curate report`.
pub fn run(args: &ReportArgs) -> Result<()> {
    // Runs in an object store are read in their local mirrors, brought up to the store; a page
    // written into a run's mirror is published to the store too.
    let outputs = crate::engine::remote_run::Pull::Outputs;
    let (run, remote) = crate::engine::run_dir::locate(&args.run, outputs)?;
    let other = match &args.compare {
        Some(other) => Some(crate::engine::run_dir::locate(other, outputs)?.0),
        None => None,
    };
    let output = match (&args.output, &args.compare) {
        (Some(o), _) => o.clone(),
        (None, None) => run.join(FILE),
        (None, Some(other)) => {
            let name = other.file_name().map_or("other".into(), |n| n.to_string_lossy().into_owned());
            run.join(format!("compare-{name}.html"))
        }
    };
    let started = std::time::Instant::now();
    write(&run, &output, other.as_deref())?;
    if let Some(remote) = remote.filter(|r| output.starts_with(r.local())) {
        remote.push(None)?;
    }
    let size = std::fs::metadata(&output).map(|m| m.len()).unwrap_or(0);
    outln!(
        "{} ({}, {:.2} s)",
        output.display(),
        charts::human_bytes(size as f64),
        started.elapsed().as_secs_f64()
    );
    if args.open {
        open_in_browser(&output);
    }
    Ok(())
}

/// Opens `page` with the desktop's opener; says so when there is none.
fn open_in_browser(page: &Path) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    if let Err(e) = std::process::Command::new(opener).arg(page).spawn() {
        eprintln!("could not open {} with {opener}: {e}", page.display());
    }
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1234567), "1,234,567");
    }
}
