#!/usr/bin/python3
"""Shrinks a run folder into a small test fixture (tests/data/report-fixture/):
results.json without the holders lists, series paths relative to the run folder,
and each series.json thinned (every commit in and around the backup window is
kept, the rest sampled).

usage: make_fixture.py RUN_DIR FIXTURE_DIR [--keep N]"""
import argparse
import json
import os


def thin(series, keep):
    ev = series["events"]
    bs, be = ev["backup_start_ms"], ev["backup_end_ms"]
    commits = series["commits"]
    near = [c for c in commits if bs - 50 <= c[0] <= be + 50]
    if len(near) > keep:
        near = near[:: len(near) // keep + 1]
    rest = [c for c in commits if not (bs - 50 <= c[0] <= be + 50)]
    step = max(1, len(rest) // keep)
    series["commits"] = sorted(near + rest[::step])
    sizes = series.get("sizes", [])
    series["sizes"] = sizes[:: max(1, len(sizes) // keep)]
    return series


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("fixture")
    ap.add_argument("--keep", type=int, default=120)
    a = ap.parse_args()
    with open(os.path.join(a.run, "results.json")) as f:
        r = json.load(f)
    r["host"].pop("sqlite_compile_options", None)
    for t in r["trials"]:
        t.pop("holders", None)
        p = t.get("series")
        if not p:
            continue
        rel = os.path.relpath(p, os.path.abspath(a.run)) if os.path.isabs(p) else p
        with open(os.path.join(a.run, rel)) as f:
            s = thin(json.load(f), a.keep)
        os.makedirs(os.path.join(a.fixture, os.path.dirname(rel)), exist_ok=True)
        with open(os.path.join(a.fixture, rel), "w") as f:
            json.dump(s, f, separators=(",", ":"))
        t["series"] = rel
    with open(os.path.join(a.fixture, "results.json"), "w") as f:
        json.dump(r, f, indent=1)


if __name__ == "__main__":
    main()
