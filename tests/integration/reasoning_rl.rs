//! `curate --stage reasoning-rl` on real problems (scripts/build-rl-sample.py: MATH test problems
//! by subject and level, MBPP and HumanEval with their tests, basic-skills arithmetic). With
//! responses of known correctness the pass rates, the band, the exclusion of cold-start data and
//! the per-domain selection are checked exactly; with the real small model as policy, the
//! sampling and verification mechanics (K samples per query, each verified, cached, repeatable).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::common::*;
use serde_json::Value;

/// A cold-start run over 12 problems per source (rules only), whose kept queries RL must avoid.
fn cold_start_run(dir: &Path) -> (PathBuf, PathBuf) {
    let problems = dir.join("cold-start.jsonl");
    run_script(
        "build-cold-start-sample.py",
        &[data_dir().to_str().unwrap(), problems.to_str().unwrap(), "12"],
    );
    let config = dir.join("cold-start.toml");
    std::fs::write(
        &config,
        "[[steps]]\nfilter = \"verifier\"\n[[steps]]\nfilter = \"responses\"\njudge = false\ntest_timeout_seconds = 2\n",
    )
    .unwrap();
    let run = dir.join("cold-start-run");
    curate_ok(&stage_args(
        "cold-start",
        problems.to_str().unwrap(),
        run.to_str().unwrap(),
        &["--config", config.to_str().unwrap(), "--no-judge"],
    ));
    (problems, run)
}

fn manifest(run: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap()
}

fn rl_run(input: &Path, exclude: &Path, run: &Path, target: &str) -> String {
    curate_ok(&stage_args(
        "reasoning-rl",
        input.to_str().unwrap(),
        run.to_str().unwrap(),
        &["--exclude", exclude.to_str().unwrap(), "--sample", "0", "--target", target, "--no-judge"],
    ))
}

#[test]
fn known_pass_rates_select_the_hardest_learnable_new_queries_per_domain() {
    let dir = tempfile::tempdir().unwrap();
    let (cold_problems, cold_run) = cold_start_run(dir.path());
    let candidates = dir.path().join("candidates.jsonl");
    run_script(
        "build-rl-sample.py",
        &[
            data_dir().to_str().unwrap(),
            candidates.to_str().unwrap(),
            "--responses",
            "4",
            "--overlap",
            cold_problems.to_str().unwrap(),
        ],
    );
    let all = json_lines(&candidates);
    let run = dir.path().join("rl");
    let out = rl_run(&candidates, &cold_run, &run, "12");
    assert!(out.contains("selected 12 of"), "{out}");

    // Disjointness: each planted overlap is caught by its rule, naming the cold-start record.
    let excluded: HashMap<String, (String, String)> =
        sql(&run, "select id, rule, reason from decisions where step = 'disjoint' and not kept")
            .into_iter()
            .map(|r| (r[0].clone(), (r[1].clone(), r[2].clone())))
            .collect();
    let planted: Vec<&Value> = all.iter().filter(|r| r.get("expect_excluded").is_some()).collect();
    assert_eq!(planted.len(), 3);
    for r in &planted {
        let (rule, reason) = &excluded[r["id"].as_str().unwrap()];
        assert_eq!(rule, r["expect_excluded"].as_str().unwrap(), "{reason}");
        assert!(reason.contains("gsm8k-") && reason.contains("cold-start.jsonl:"), "{reason}");
    }
    // Besides the planted ones, real overlaps: candidates whose problem the cold-start run kept
    // (a MATH test problem is also in MATH-500), found here by comparing letters and digits only.
    let squash =
        |t: &str| t.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>();
    let cold_kept: std::collections::HashSet<String> =
        sql(&cold_run, "select text from kept").iter().map(|r| squash(&r[0])).collect();
    let real_overlaps: Vec<&str> = all
        .iter()
        .filter(|r| {
            r.get("expect_excluded").is_none() && cold_kept.contains(&squash(r["query"].as_str().unwrap()))
        })
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(!real_overlaps.is_empty(), "the sample has a real MATH / MATH-500 overlap");
    for id in &real_overlaps {
        let (rule, reason) = &excluded[*id];
        assert!(rule.starts_with("excluded_"), "{id}: {rule} {reason}");
    }
    let mut expected_excluded: Vec<&str> = planted.iter().map(|r| r["id"].as_str().unwrap()).collect();
    expected_excluded.extend(&real_overlaps);
    expected_excluded.sort();
    let mut excluded_ids: Vec<&str> = excluded.keys().map(String::as_str).collect();
    excluded_ids.sort();
    assert_eq!(excluded_ids, expected_excluded);

    // Pass rates: exactly the share of right responses, kept only strictly inside (0, 1).
    let rates: HashMap<String, (f64, bool)> = sql(
        &run,
        "select id, score, bool_and(kept) from decisions where step = 'pass_rate' and item is null group by id, score",
    )
    .into_iter()
    .map(|r| (r[0].clone(), (r[1].parse().unwrap(), r[2] == "true")))
    .collect();
    let mut measured = 0;
    for r in all.iter().filter(|r| !excluded.contains_key(r["id"].as_str().unwrap())) {
        let expected = r["expected_pass_rate"].as_f64().unwrap();
        let (rate, kept) = rates[r["id"].as_str().unwrap()];
        assert_eq!(rate, expected, "{}", r["id"]);
        assert_eq!(kept, expected > 0.0 && expected < 1.0, "{}", r["id"]);
        measured += 1;
    }
    assert!(measured >= 30, "{measured}");

    // The selection: quotas add up to the target, every domain is represented, and inside a
    // domain no unselected query is harder than a selected one.
    let rows = sql(&run, "select domain, pass_rate, selected, quota from selection");
    let mut by_domain: BTreeMap<String, Vec<(f64, bool, u64)>> = BTreeMap::new();
    for r in &rows {
        by_domain.entry(r[0].clone()).or_default().push((
            r[1].parse().unwrap(),
            r[2] == "true",
            r[3].parse().unwrap(),
        ));
    }
    assert!(by_domain.len() >= 8, "{by_domain:?}");
    // Quotas, checked against the proportional share computed here from the eligible counts:
    // they add up to the target, every domain gets at least one (the floor), and a domain gets
    // more than the floor only while it is below its share (so never a whole query above it).
    let eligible: usize = by_domain.values().map(Vec::len).sum();
    assert_eq!(eligible as u64, sql_count(&run, "select count(*) from kept"));
    let quota_sum: u64 = by_domain.values().map(|qs| qs[0].2).sum();
    assert_eq!(quota_sum, 12);
    for (domain, qs) in &by_domain {
        let quota = qs[0].2 as f64;
        let share = 12.0 * qs.len() as f64 / eligible as f64;
        assert!(quota >= 1.0 && quota <= qs.len() as f64, "{domain}: quota {quota} of {}", qs.len());
        assert!(quota == 1.0 || quota < share + 1.0, "{domain}: quota {quota}, share {share:.2}");
    }
    for (domain, qs) in &by_domain {
        let chosen: Vec<f64> = qs.iter().filter(|q| q.1).map(|q| q.0).collect();
        let left: Vec<f64> = qs.iter().filter(|q| !q.1).map(|q| q.0).collect();
        assert!(!chosen.is_empty(), "{domain}: every domain is represented in the selection");
        assert_eq!(chosen.len() as u64, qs[0].2, "{domain}: the quota is filled");
        let hardest_left = left.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(chosen.iter().all(|&c| c <= hardest_left), "{domain}: {chosen:?} vs {left:?}");
    }

    // SQL over the run reproduces the selection the summary reports.
    let summary = &manifest(&run)["reasoning_rl"];
    assert_eq!(summary["selected"], 12);
    for r in sql(&run, "select domain, count(*) from rl group by domain") {
        assert_eq!(summary["domains"][&r[0]]["selected"].to_string(), r[1], "{}", r[0]);
    }
    assert_eq!(sql_count(&run, "select count(*) from decisions where step = 'select' and kept"), 12);
    assert_eq!(
        sql_count(&run, "select count(*) from decisions where step = 'select'"),
        sql_count(&run, "select count(*) from kept")
    );
    assert_eq!(sql_count(&run, "select count(*) from rl where pass_rate <= 0 or pass_rate >= 1"), 0);
    // Every selected pair carries its verifier.
    let rl = json_lines(&run.join("rl/rl.jsonl"));
    assert_eq!(rl.len(), 12);
    assert!(rl.iter().all(|r| r.get("reference_answer").is_some() || r.get("tests").is_some()));

    // Deterministic for a seed, whatever the input order.
    let reversed = dir.path().join("reversed.jsonl");
    let mut lines = lines(&candidates);
    lines.reverse();
    std::fs::write(&reversed, lines.join("\n") + "\n").unwrap();
    let again = dir.path().join("rl-reversed");
    rl_run(&reversed, &cold_run, &again, "12");
    let ids = "select id from rl order by id";
    assert_eq!(sql(&run, ids), sql(&again, ids));

    // Another target redoes only the selection, in the same run directory.
    let out = rl_run(&candidates, &cold_run, &run, "6");
    assert!(out.contains("(1 resumed)") && out.contains("selected 6 of"), "{out}");
    assert_eq!(sql_count(&run, "select count(*) from rl"), 6);
}

#[test]
#[cfg_attr(not(feature = "embedded-judge"), ignore = "needs the embedded-judge feature")]
fn the_small_policy_samples_k_verified_responses_per_query() {
    let dir = tempfile::tempdir().unwrap();
    let candidates = dir.path().join("candidates.jsonl");
    run_script(
        "build-rl-sample.py",
        &[data_dir().to_str().unwrap(), candidates.to_str().unwrap(), "--per-subject", "1"],
    );
    // One problem per MATH subject, one MBPP, one HumanEval, one arithmetic question.
    let all = json_lines(&candidates);
    assert_eq!(all.len(), 10);
    let config = dir.path().join("rl.toml");
    std::fs::write(
        &config,
        "[[steps]]\nfilter = \"verifier\"\n[[steps]]\nfilter = \"sample_responses\"\nn = 2\nmax_tokens = 48\n\
         instruction = \"Please reason step by step, and put your final answer within \\\\boxed{}.\"\n\
         [[steps]]\nfilter = \"pass_rate\"\ntest_timeout_seconds = 5\nabove = -1.0\n[[steps]]\nfilter = \"domain\"\njudge = false\n",
    )
    .unwrap();
    let model = data_dir().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let cache = dir.path().join("verdicts.redb");
    let go = |name: &str| {
        let run = dir.path().join(name);
        let out = curate_ok(&stage_args(
            "reasoning-rl",
            candidates.to_str().unwrap(),
            run.to_str().unwrap(),
            &[
                "--config",
                config.to_str().unwrap(),
                "--policy",
                model.to_str().unwrap(),
                "--judge-cache",
                cache.to_str().unwrap(),
                "--no-judge",
            ],
        ));
        (run, out)
    };
    let (run, out) = go("first");
    let m = manifest(&run);
    assert_eq!(m["responder"]["cache_misses"], 20, "{out}");
    // Each query's two samples verified under their own item, by answer or by tests.
    let verified = sql(
        &run,
        "select id, count(*), count(*) filter (where kept), min(rule), max(rule) from decisions \
         where step = 'pass_rate' and item is not null group by id order by id",
    );
    assert_eq!(verified.len(), 10);
    let rates: HashMap<String, f64> =
        sql(&run, "select id, score from decisions where step = 'pass_rate' and rule = 'pass_rate_above'")
            .into_iter()
            .map(|r| (r[0].clone(), r[1].parse().unwrap()))
            .collect();
    for r in &verified {
        assert_eq!(r[1], "2", "{r:?}");
        let code = r[0].starts_with("mbpp") || r[0].starts_with("humaneval");
        // A sample with no answer the rules can find is undecided, not wrong.
        let rules: &[&str] = if code { &["tests_pass"] } else { &["answer_undecided", "final_answer"] };
        assert!(rules.contains(&r[3].as_str()) && rules.contains(&r[4].as_str()), "{r:?}");
        // The pass rate is the share of samples verified right.
        assert_eq!(rates[&r[0]], r[2].parse::<f64>().unwrap() / 2.0, "{r:?}");
    }
    // `above = -1` keeps unsolved queries: only always-solved ones leave.
    let kept = sql_count(&run, "select count(*) from kept");
    assert_eq!(kept as usize, rates.values().filter(|&&r| r < 1.0).count());

    // Seeded and cached: a rerun samples nothing and decides alike.
    let (again, _) = go("second");
    assert_eq!(manifest(&again)["responder"]["cache_misses"], 0);
    let q = "select id, item, rule, score, kept from decisions order by all";
    assert_eq!(sql(&run, q), sql(&again, q));
    assert_eq!(sql(&run, "select id from rl order by id"), sql(&again, "select id from rl order by id"));
}
