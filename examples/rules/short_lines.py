#!/usr/bin/env python3
"""A command rule: drop text made mostly of very short lines (menus, lists of links, signatures).

curate sends records as JSON lines on stdin and reads one decision per record on stdout, in
order, each naming its record: {"id": str, "keep": bool, "score": number, "reason": str}.
Flush after each answer: curate waits for them.
"""
import json
import sys

MIN_MEAN_CHARS = 20

for line in sys.stdin:
    record = json.loads(line)
    lines = [l for l in record["text"].splitlines() if l.strip()]
    mean = sum(len(l) for l in lines) / len(lines) if lines else 0.0
    keep = mean >= MIN_MEAN_CHARS
    reason = "" if keep else f"lines average {mean:.1f} characters (< {MIN_MEAN_CHARS})"
    print(json.dumps({"id": record["id"], "keep": keep, "score": round(mean, 3), "reason": reason}), flush=True)
