#!/usr/bin/env python3
"""Runs a command and reports its wall time, CPU time, CPU use and peak memory.

Usage: measure.py [--json] LABEL -- COMMAND...
Prints one line: LABEL wall=..s user=..s sys=..s cpu=..% peak_rss=..MB peak_tree=..MB (or the
same as a JSON object with --json). Run it once per measurement. CPU time covers every process
of the command's tree once reaped. `peak_rss` is the largest single process (getrusage);
`peak_tree` is the largest sum of proportional set sizes (PSS, so pages shared between forked
workers count once) over the whole process tree, sampled every 50 ms: the number that compares a
multi-process pipeline with a multi-threaded one.
"""
import json
import os
import resource
import subprocess
import sys
import threading
import time


def tree(root):
    """Pids of `root` and its descendants."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                parents.setdefault(int(fields[1]), []).append(int(entry))
            except OSError:
                continue
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(parents.get(pid, []))
    return out


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main():
    as_json = sys.argv[1] == "--json"
    label = sys.argv[2 if as_json else 1]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    peak = [0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], sum(pss_kb(p) for p in tree(proc.pid)))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    proc.wait()
    wall = time.monotonic() - start
    sampler.join()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ru.ru_utime + ru.ru_stime
    result = {"label": label, "wall": wall, "user": ru.ru_utime, "sys": ru.ru_stime, "cpu": cpu,
              "peak_rss_mb": ru.ru_maxrss / 1024, "peak_tree_mb": peak[0] / 1024, "exit": proc.returncode}
    if as_json:
        print(json.dumps(result))
    else:
        print(f"{label} wall={wall:.1f}s user={ru.ru_utime:.1f}s sys={ru.ru_stime:.1f}s "
              f"cpu={100 * cpu / wall:.0f}% peak_rss={ru.ru_maxrss / 1024:.0f}MB "
              f"peak_tree={peak[0] / 1024:.0f}MB exit={proc.returncode}")
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
