#!/usr/bin/env python3
"""Times a command as a user sees it: the whole process from its start to its exit, and the time to
its first line on stdout. For `elattn summarize` (docs/benchmarks.md, "Workloads"); the lines
themselves are counted and dropped.

Usage: python3 benchmarks/command_timing.py --out FILE --workload NAME --label TEXT -- COMMAND [ARG...]
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--workload", required=True, help="the workload the command stands for (merge_workloads.py)")
    ap.add_argument("--label", required=True, help="what the run is, for the table")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        ap.error("no command given")
    start = time.perf_counter()
    first = None
    lines = 0
    # stderr goes to a file: a pipe read only at the end could fill and stall the command
    with tempfile.TemporaryFile("w+") as err:
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True) as p:
            for _ in p.stdout:
                if first is None:
                    first = time.perf_counter() - start
                lines += 1
        wall = time.perf_counter() - start
        err.seek(0)
        stderr = err.read()
    report = {"benchmark": "elattn command", "workload": args.workload, "label": args.label, "command": command,
              "exit_code": p.returncode, "wall_s": wall, "first_output_s": first, "stdout_lines": lines,
              "stderr_tail": stderr[-2000:]}
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)
    print(json.dumps({k: v for k, v in report.items() if k != "stderr_tail"}), flush=True)
    return 0 if p.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
