#!/usr/bin/env python3
"""Runs a command and reports its wall time, CPU time, CPU use and peak RSS.

Usage: measure.py LABEL -- COMMAND...
Prints one line: LABEL wall=..s user=..s sys=..s cpu=..% peak_rss=..MB
"""
import resource
import subprocess
import sys
import time


def main():
    label = sys.argv[1]
    cmd = sys.argv[sys.argv.index("--") + 1:]
    start = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - start
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = ru.ru_utime + ru.ru_stime
    print(f"{label} wall={wall:.1f}s user={ru.ru_utime:.1f}s sys={ru.ru_stime:.1f}s "
          f"cpu={100 * cpu / wall:.0f}% peak_rss={ru.ru_maxrss / 1024:.0f}MB exit={proc.returncode}")
    sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
