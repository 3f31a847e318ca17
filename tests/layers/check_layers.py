#!/usr/bin/python3
"""Fails when a folder includes one above it. The layers, lowest first:

  core/                       SQLite wrapper, clock, processes, shared memory, samples
  workloads/ strategies/      peers: one file per workload/strategy, registered by name
  validation/                 judges snapshots by a workload's invariants
  databases/                  a trial's database: templates, population, the user's own, its place
  results/                    the records of results.json, metrics, series, summary, merge
  compare/                    the regression gate over two results files
  driver/                     scenarios, the load, trials, runs, the nemesis and the fault-kind interface
  faults/                     one file per fault kind, registered by name (they include driver/)
  cli/                        one file per subcommand
  (reports/ is Python and reads results.json only)

usage: check_layers.py [SOURCE_ROOT]   (exit 1 and one line per violation)
       check_layers.py --self-test"""
import os
import re
import sys

ALLOWED = {
    "core": {"core"},
    "workloads": {"core", "workloads"},
    "strategies": {"core", "strategies"},
    "validation": {"core", "workloads", "validation"},
    "databases": {"core", "workloads", "databases"},
    "results": {"core", "workloads", "strategies", "validation", "results"},
    "compare": {"core", "workloads", "strategies", "validation", "results", "compare"},
    "driver": {"core", "workloads", "strategies", "validation", "databases", "results", "driver"},
    "faults": {"core", "workloads", "strategies", "validation", "databases", "results", "driver", "faults"},
    "cli": {"core", "workloads", "strategies", "validation", "databases", "results", "compare", "driver", "faults",
            "cli"},
    "bench": {"core", "workloads", "strategies", "validation", "databases", "results", "driver"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def violations(root):
    out = []
    for folder, allowed in ALLOWED.items():
        base = os.path.join(root, folder)
        for dirpath, _, files in os.walk(base):
            for name in sorted(files):
                if not name.endswith((".h", ".cpp")):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    for lineno, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        target = m.group(1).split("/")[0]
                        if "/" in m.group(1) and target in ALLOWED and target not in allowed:
                            rel = os.path.relpath(path, root)
                            out.append(f"{rel}:{lineno}: {folder}/ must not include {m.group(1)} ({target}/ is above it)")
    return out


def self_test():
    """The checker catches a lower folder including a higher one, and passes a clean tree."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "core"))
        os.makedirs(os.path.join(d, "driver"))
        with open(os.path.join(d, "driver", "a.h"), "w") as f:
            f.write('#include "core/b.h"\n')
        if violations(d):
            return "a clean tree was flagged"
        with open(os.path.join(d, "core", "b.h"), "w") as f:
            f.write('#include "driver/a.h"\n')
        if len(violations(d)) != 1:
            return "core/ including driver/ was not flagged"
    return None


def main(argv):
    if argv[1:] == ["--self-test"]:
        err = self_test()
        print(err or "self-test: ok")
        return 1 if err else 0
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    bad = violations(root)
    for v in bad:
        print(v)
    if not bad:
        print("layers: ok")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
