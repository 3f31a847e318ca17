#!/usr/bin/python3
"""Pools the trials of several runs of one scenario into one small results.json
for the compare tests: repetitions renumbered per cell, every field compare and
the merge checks read kept, the rest (holders, series, per-window detail)
dropped.

usage: make_fixture.py OUT.json RUN_DIR [RUN_DIR...]"""
import json
import sys

KEEP_TRIAL = ["mode", "strategy", "label", "params", "repetition", "seed", "cell", "db_mb", "writer_count",
              "reader_count", "rate", "reader_rate", "reader_shape", "expected_safe", "harness_error"]
KEEP_BACKUP = ["status", "duration_s", "mb_per_s", "error", "failure", "time_limit_s"]
KEEP_WRITERS = ["max_stall_ms", "max_writer_gap_ms", "delayed_commits", "delayed_extra_ms", "recovery_ms",
                "writer_gaps"]
KEEP_WINDOW = ["n", "p50_ms", "p99_ms", "max_ms", "commits_per_s"]
KEEP_HOST = ["cpu", "cores", "build_type", "optimised", "sanitizers", "filesystem"]


def slim(t):
    s = {k: t[k] for k in KEEP_TRIAL}
    s["backup"] = {k: t["backup"].get(k) for k in KEEP_BACKUP}
    s["load"] = {"steady": t["load"]["steady"], "reason": t["load"]["reason"]}
    w = t["writers"]
    s["writers"] = {k: w[k] for k in KEEP_WRITERS}
    for win in ("baseline", "during"):
        s["writers"][win] = {k: w[win].get(k) for k in KEEP_WINDOW}
    s["verdict"] = {"status": t["verdict"]["status"], "detail": t["verdict"].get("detail", "")}
    s["wal_peak_bytes"] = t.get("wal_peak_bytes")
    s["wal_growth_bytes"] = t.get("wal_growth_bytes")
    s["series"] = None
    # A trial's backups (one here): the record summaries and merges read.
    s["backups"] = [{"index": 0, "backup": s["backup"],
                     "writers": {k: v for k, v in s["writers"].items() if k != "baseline"},
                     "verdict": s["verdict"], "wal_peak_bytes": s["wal_peak_bytes"],
                     "wal_growth_bytes": s["wal_growth_bytes"]}]
    return s


def main(out, runs):
    pooled, reps, probes, first = [], {}, [], None
    for d in runs:
        with open(d + "/results.json") as f:
            r = json.load(f)
        first = first or r
        probes += r.get("probes", [])
        for t in r["trials"]:
            key = (t["mode"], t["label"], t["db_mb"], t["writer_count"])
            s = slim(t)
            s["repetition"] = reps.get(key, 0)
            reps[key] = s["repetition"] + 1
            pooled.append(s)
    pooled.sort(key=lambda t: (t["cell"], t["repetition"]))
    scenario = dict(first["scenario"])
    scenario["repeat"] = max(reps.values())
    res = {"schema": first["schema"], "sqlite_version": first["sqlite_version"], "started_at": first["started_at"],
           "host": {k: first["host"].get(k) for k in KEEP_HOST}, "scenario": scenario,
           "shard": {"k": 0, "n": 1}, "cells_total": len(pooled), "interrupted": False, "probes": probes,
           "trials": pooled}
    with open(out, "w") as f:
        json.dump(res, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
