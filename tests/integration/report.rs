//! `curate report` opened in a real browser (Debian's headless Chromium, installed by
//! `scripts/install-browser.sh`): no console message (the page's Content-Security-Policy turns
//! any script that got in into one), hostile document text shown as text, every number on the
//! page equal to the `curate sql` query it carries; a screenshot of each page is kept
//! (`$CARGO_TARGET_DIR/test-artifacts/`).

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;

/// What the browser made of a page.
struct Opened {
    /// The DOM after loading, serialized.
    dom: String,
    /// The page's console messages (CSP violations are among them).
    console: Vec<String>,
}

/// The browser: `$CURATE_CHROMIUM`, else `chromium` on the PATH.
fn chromium() -> String {
    std::env::var("CURATE_CHROMIUM").unwrap_or_else(|_| "chromium".into())
}

/// Where screenshots are kept.
fn artifacts() -> PathBuf {
    let dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(target) => PathBuf::from(target).join("test-artifacts"),
        None => PathBuf::from(repo_path("target/test-artifacts")),
    };
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Opens `page` in headless Chromium: its DOM and console; a screenshot `<name>.png` is kept.
fn open(page: &Path, name: &str) -> Opened {
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let common = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars"];
    let out = Command::new(chromium())
        .args(common)
        .args(["--enable-logging=stderr", "--v=0", "--dump-dom", &url])
        .output()
        .unwrap_or_else(|e| panic!("running {} (scripts/install-browser.sh installs it): {e}", chromium()));
    assert!(out.status.success(), "chromium failed: {}", String::from_utf8_lossy(&out.stderr));
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect();
    let shot = artifacts().join(format!("{name}.png"));
    let status = Command::new(chromium())
        .args(common)
        .args([&format!("--screenshot={}", shot.display()), "--window-size=1400,2200", &url])
        .output()
        .unwrap();
    assert!(status.status.success() && shot.is_file(), "no screenshot {}", shot.display());
    eprintln!("screenshot: {}", shot.display());
    Opened { dom: String::from_utf8(out.stdout).unwrap(), console }
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Every number on the page that carries its query (`data-sql`), the other run's aside: the
/// query, the value, and the text shown.
fn numbers(dom: &str) -> Vec<(String, u64, String)> {
    let re = regex::Regex::new(
        r#"<span class="num" data-sql="([^"]*)" data-value="(\d+)"( data-kind="bytes")?[^>]*>([^<]*)</span>"#,
    )
    .unwrap();
    let other = regex::Regex::new(
        r#"data-run="other"[^>]*>\s*<span class="num" data-sql="([^"]*)" data-value="(\d+)""#,
    )
    .unwrap();
    let theirs: HashSet<(String, String)> =
        other.captures_iter(dom).map(|c| (c[1].to_string(), c[2].to_string())).collect();
    re.captures_iter(dom)
        .filter(|c| !theirs.contains(&(c[1].to_string(), c[2].to_string())))
        .map(|c| {
            let shown = if c.get(3).is_some() { String::new() } else { c[4].to_string() };
            (unescape(&c[1]), c[2].parse().unwrap(), shown)
        })
        .collect()
}

/// Asserts every number on the page equals what `curate sql` gives for its query; returns how
/// many distinct queries were checked.
fn numbers_agree_with_sql(run: &Path, dom: &str) -> usize {
    let mut queries: BTreeMap<String, u64> = BTreeMap::new();
    for (sql, value, shown) in numbers(dom) {
        if !shown.is_empty() {
            assert_eq!(shown.replace(',', ""), value.to_string(), "{sql}");
        }
        if let Some(before) = queries.insert(sql.clone(), value) {
            assert_eq!(before, value, "{sql}");
        }
    }
    for (sql, value) in &queries {
        assert_eq!(sql_count(run, sql), *value, "the page says {value} for {sql}");
    }
    queries.len()
}

#[test]
fn the_browser_check_sees_scripts_and_console_messages() {
    // The checks below can fail: a script that gets into a page under the report's policy is
    // blocked and said on the console; one without the policy runs.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("control.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">\
         <title>control</title></head><body><script>document.title='ran'</script></body></html>",
    )
    .unwrap();
    let opened = open(&page, "control-blocked");
    assert!(opened.console.iter().any(|l| l.contains("Content Security Policy")), "{:?}", opened.console);
    std::fs::write(&page, "<!DOCTYPE html><html><head><title>control</title></head><body><script>console.log('hello'); document.title='ran'</script></body></html>").unwrap();
    let opened = open(&page, "control-ran");
    assert!(opened.console.iter().any(|l| l.contains("hello")), "{:?}", opened.console);
    assert!(opened.dom.contains("<title>ran</title>"), "{}", opened.dom);
}

/// Texts that try to run or inject something.
const HOSTILE: [&str; 6] = [
    "<script>document.title='INJECTED'</script>",
    "</textarea><script>document.body.dataset.pwned = 1</script>",
    "<img src=x onerror=\"document.title='INJECTED'\">",
    "<a href=\"javascript:alert(1)\">click me</a>",
    "\"><svg onload=alert(1)>",
    "right-to-left \u{202e}evil\u{202c}, zero\u{200b}width, e\u{301} combining, 🙂 emoji, NUL-free",
];

#[test]
fn the_pretrain_report_shows_text_as_text_and_agrees_with_sql() {
    let dir = tempfile::tempdir().unwrap();
    let speeches = stdlib_texts("sotu", 66);
    let prose =
        [speeches[..60].to_vec(), stdlib_texts("moby-dick", 40), stdlib_texts("spam-assassin", 60)].concat();
    // Speeches no other document repeats host the hostile texts (else the dedup would drop them
    // as near duplicates of their hosts in the run without the markup rule).
    let hosts = &speeches[60..];
    let mut lines = Vec::new();
    for (i, t) in prose.iter().enumerate() {
        lines.push(serde_json::json!({"id": format!("doc-{i}"), "text": t}).to_string());
        // Some exact duplicates, for the dedup section.
        if i % 10 == 0 {
            lines.push(serde_json::json!({"id": format!("dup-{i}"), "text": t}).to_string());
        }
    }
    // Hostile text opening real prose (long enough to pass the quality rules, and shown in the
    // examples, which are the texts' first characters), and a hostile id.
    for (i, h) in HOSTILE.iter().enumerate() {
        let text = format!("{h} {}", hosts[i]);
        lines.push(
            serde_json::json!({"id": format!("hostile-{i}{}", if i == 4 { *h } else { "" }), "text": text})
                .to_string(),
        );
    }
    let input = dir.path().join("docs.jsonl");
    std::fs::write(&input, lines.join("\n")).unwrap();
    let rules = dir.path().join("markup.toml");
    std::fs::write(
        &rules,
        "[[rules]]\nname = \"markup\"\nkind = \"regex\"\nversion = \"1\"\npattern = '<[a-z/]|javascript:|\\x{202e}'\n",
    )
    .unwrap();
    let run = dir.path().join("run");
    // With tokens counted (SmolLM2's tokenizer): the funnel shows them too.
    let tokenizer = data_dir().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let out = curate_ok(&stage_args(
        "pretrain",
        input.to_str().unwrap(),
        run.to_str().unwrap(),
        &["--rules", rules.to_str().unwrap(), "--tokenizer", tokenizer.to_str().unwrap()],
    ));
    // Every run writes its report.
    let page = run.join("report.html");
    assert!(page.is_file(), "{out}");
    let hostile = sql(&run, "select id, step, rule from rejected where id like 'hostile-%' order by id");
    assert!(hostile.iter().filter(|r| r[1] == "markup").count() >= 3, "{hostile:?}");

    let opened = open(&page, "report-pretrain");
    assert!(opened.console.is_empty(), "console: {:#?}", opened.console);
    let dom = &opened.dom;
    assert!(
        dom.contains(&format!("<title>curate report: pretrain · {}</title>", run.display())),
        "title changed"
    );
    assert!(!dom.contains("data-pwned"), "a script ran");
    // The page has no script, image, frame or link of its own: any here came from a document.
    for tag in ["<script", "<img", "<iframe", "<a href=\"javascript", "<svg onload", "<textarea"] {
        assert!(!dom.contains(tag), "{tag} in the page");
    }
    // The hostile texts shown are shown as text (the rule's three examples, picked by hash).
    let shown = [
        "&lt;script&gt;document.title='INJECTED'&lt;/script&gt;",
        "&lt;/textarea&gt;&lt;script&gt;document.body.dataset.pwned = 1&lt;/script&gt;",
        "&lt;img src=x onerror=\"document.title='INJECTED'\"&gt;",
        "&lt;a href=\"javascript:alert(1)\"&gt;click me&lt;/a&gt;",
        "\"&gt;&lt;svg onload=alert(1)&gt;",
        "right-to-left \u{202e}evil",
    ];
    let found = shown.iter().filter(|s| dom.contains(*s)).count();
    if found < 3 {
        std::fs::write(artifacts().join("report-pretrain.dom.html"), dom).unwrap();
    }
    assert!(found >= 3, "{found} hostile texts shown as text (DOM kept in test-artifacts)");
    for section in
        ["id=\"funnel\"", "id=\"rules\"", "id=\"languages\"", "id=\"dedup\"", "id=\"facts\"", "markup"]
    {
        assert!(dom.contains(section), "{section} missing");
    }
    let checked = numbers_agree_with_sql(&run, dom);
    assert!(checked >= 30, "only {checked} numbers carry a query");
    let size = std::fs::metadata(&page).unwrap().len();
    assert!(size < 3_000_000, "{size} bytes");

    // The same run without the markup rule, compared: the hostile documents moved.
    let other = dir.path().join("other");
    curate_ok(&stage_args("pretrain", input.to_str().unwrap(), other.to_str().unwrap(), &["--no-report"]));
    assert!(!other.join("report.html").exists(), "--no-report wrote a report");
    let compared = dir.path().join("compared.html");
    curate_ok(&[
        "report",
        run.to_str().unwrap(),
        "--compare",
        other.to_str().unwrap(),
        "--output",
        compared.to_str().unwrap(),
    ]);
    let opened = open(&compared, "report-compare");
    assert!(opened.console.is_empty(), "console: {:#?}", opened.console);
    numbers_agree_with_sql(&run, &opened.dom);
    let ids = |r: &Path, table: &str| -> HashSet<String> {
        sql(r, &format!("select id from {table}")).into_iter().map(|row| row[0].clone()).collect()
    };
    let to_kept = ids(&run, "rejected").intersection(&ids(&other, "kept")).count();
    let to_rejected = ids(&run, "kept").intersection(&ids(&other, "rejected")).count();
    assert!(to_kept >= 3, "{to_kept}");
    let shown = |id: &str| {
        let re = regex::Regex::new(&format!(r#"id="{id}">([\d,]+)<"#)).unwrap();
        re.captures(&opened.dom).map(|c| c[1].replace(',', "")).unwrap_or_default()
    };
    assert_eq!(shown("to-kept"), to_kept.to_string());
    assert_eq!(shown("to-rejected"), to_rejected.to_string());
}

#[test]
fn cold_start_and_reasoning_rl_reports_show_their_stage() {
    let dir = tempfile::tempdir().unwrap();
    let problems = dir.path().join("problems.jsonl");
    run_script(
        "build-cold-start-sample.py",
        &[data_dir().to_str().unwrap(), problems.to_str().unwrap(), "12"],
    );
    let config = dir.path().join("cold-start.toml");
    std::fs::write(
        &config,
        "[[steps]]\nfilter = \"multi_part\"\n[[steps]]\nfilter = \"verifier\"\n[[steps]]\nfilter = \"responses\"\n\
         judge = false\ntest_timeout_seconds = 2\n[[steps]]\nfilter = \"domain\"\n",
    )
    .unwrap();
    let cold = dir.path().join("cold");
    curate_ok(&stage_args(
        "cold-start",
        problems.to_str().unwrap(),
        cold.to_str().unwrap(),
        &["--config", config.to_str().unwrap(), "--no-judge"],
    ));
    let opened = open(&cold.join("report.html"), "report-cold-start");
    assert!(opened.console.is_empty(), "console: {:#?}", opened.console);
    for shown in
        ["Queries by passing responses", "Responses per rule", "Kept per domain", "Sent to annotation"]
    {
        assert!(opened.dom.contains(shown), "{shown} missing");
    }
    assert!(numbers_agree_with_sql(&cold, &opened.dom) >= 20);

    let candidates = dir.path().join("candidates.jsonl");
    run_script(
        "build-rl-sample.py",
        &[
            data_dir().to_str().unwrap(),
            candidates.to_str().unwrap(),
            "--responses",
            "4",
            "--overlap",
            problems.to_str().unwrap(),
        ],
    );
    let rl = dir.path().join("rl");
    curate_ok(&stage_args(
        "reasoning-rl",
        candidates.to_str().unwrap(),
        rl.to_str().unwrap(),
        &["--exclude", cold.to_str().unwrap(), "--sample", "0", "--target", "12", "--no-judge"],
    ));
    let opened = open(&rl.join("report.html"), "report-reasoning-rl");
    assert!(opened.console.is_empty(), "console: {:#?}", opened.console);
    for shown in ["Candidates and picks per pass rate", "Selection per domain"] {
        assert!(opened.dom.contains(shown), "{shown} missing");
    }
    assert!(numbers_agree_with_sql(&rl, &opened.dom) >= 10);
}
