#!/usr/bin/python3
"""Shrinks a run folder into the report's test fixture (tests/data/report-fixture/):
results.json (and trials.csv) without the holders lists and compile options,
the run folder's path replaced by RUN_DIR, series paths relative to the fixture, and each
series.json thinned: every commit scheduled in the backup's impact window is
kept when there are at most --members of them (so the charts' sample counts
match results.json's n; a longer window is sampled and the series says so in
`fixture_members_sampled`), the commits around it are thinned, the rest sampled.
The fixture's README.md is kept.

usage: make_fixture.py RUN_DIR FIXTURE_DIR [--keep N]"""
import argparse
import json
import os
import shutil


def sample(items, n):
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def thin(series, keep, max_members):
    b0, b1 = series["windows_us"]["impact"]
    members = [c for c in series["commits"] if b0 <= c[0] - c[1] < b1]
    if len(members) > max_members:
        members = sample(members, max_members)
        series["fixture_members_sampled"] = True
    around = [c for c in series["commits"] if not (b0 <= c[0] - c[1] < b1)
              and b0 - 400_000 <= c[0] - c[1] < b1 + 400_000]
    rest = [c for c in series["commits"] if c[0] - c[1] < b0 - 400_000 or c[0] - c[1] >= b1 + 400_000]
    series["commits"] = sorted(members + sample(around, 3 * keep) + sample(rest, keep))
    series["queries"] = sample(series.get("queries", []), keep // 2)
    series["sizes"] = sample(series.get("sizes", []), keep)
    return series


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("fixture")
    ap.add_argument("--keep", type=int, default=60)
    ap.add_argument("--members", type=int, default=400)
    a = ap.parse_args()
    run = os.path.abspath(a.run)
    with open(os.path.join(run, "results.json")) as f:
        text = f.read()
    r = json.loads(text.replace(run + "/", "RUN_DIR/").replace(run, "RUN_DIR"))
    r.get("host", {}).pop("sqlite_compile_options", None)
    readme = os.path.join(a.fixture, "README.md")
    kept = open(readme).read() if os.path.isfile(readme) else None
    if os.path.isdir(a.fixture):
        shutil.rmtree(a.fixture)
    os.makedirs(a.fixture)
    if kept is not None:
        with open(readme, "w") as f:
            f.write(kept)
    for t in r["trials"]:
        t.pop("holders", None)
        p = t.get("series")
        if not p:
            continue
        rel = p[len("RUN_DIR/"):] if p.startswith("RUN_DIR/") else p
        with open(os.path.join(run, rel)) as f:
            s = thin(json.load(f), a.keep, a.members)
        os.makedirs(os.path.join(a.fixture, os.path.dirname(rel)), exist_ok=True)
        with open(os.path.join(a.fixture, rel), "w") as f:
            json.dump(s, f, separators=(",", ":"))
        t["series"] = rel
    csv = os.path.join(run, "trials.csv")
    if os.path.isfile(csv):
        with open(csv) as f, open(os.path.join(a.fixture, "trials.csv"), "w") as out:
            out.write(f.read().replace(run + "/", "RUN_DIR/").replace(run, "RUN_DIR"))
    with open(os.path.join(a.fixture, "results.json"), "w") as f:
        # One trial per line: small, and a diff still shows which trial changed.
        f.write(json.dumps({k: v for k, v in r.items() if k != "trials"}, separators=(",", ":"))[:-1])
        f.write(',"trials":[\n' + ",\n".join(json.dumps(t, separators=(",", ":")) for t in r["trials"]) + "]}\n")


if __name__ == "__main__":
    main()
