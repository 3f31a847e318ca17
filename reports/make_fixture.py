#!/usr/bin/python3
"""Shrinks a run folder into a test fixture of the report (tests/data/report-fixture/
and its soak/ and axes/ folders): results.json (and trials.csv) without the holders
lists and the SQLite builds' compile options, the run folder's path replaced by
RUN_DIR, series paths relative to the fixture, and each series.json thinned. Every
commit scheduled in a backup's impact window (`windows_us.impacts`, one per backup)
is kept when a trial has at most --members of them, so the charts' sample counts
match results.json's n (a trial with more is sampled and its series says so in
`fixture_members_sampled`); the commits around the windows are thinned, the rest
sampled. --labels keeps only those strategies' trials and summary rows (a
smaller fixture that is still one run's); --no-series keeps no series at all
(charts from summary rows only). The fixture's README.md is kept.

usage: make_fixture.py RUN_DIR FIXTURE_DIR [--keep N] [--members N] [--labels A,B] [--no-series]"""
import argparse
import json
import os
import shutil

AROUND_US = 400_000  # commits this close to a backup are kept more densely (the timeline chart's span)


def sample(items, n):
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def thin(series, keep, max_members):
    impacts = series["windows_us"]["impacts"]
    scheduled = lambda c: c[0] - c[1]  # noqa: E731  (the membership rule: the intended start)
    inside = lambda c, pad: any(b0 - pad <= scheduled(c) < b1 + pad for b0, b1 in impacts)  # noqa: E731
    members = [c for c in series["commits"] if inside(c, 0)]
    if len(members) > max_members:
        members = sample(members, max_members)
        series["fixture_members_sampled"] = True
    around = [c for c in series["commits"] if not inside(c, 0) and inside(c, AROUND_US)]
    rest = [c for c in series["commits"] if not inside(c, AROUND_US)]
    series["commits"] = sorted(members + sample(around, 3 * keep * len(impacts)) + sample(rest, keep))
    series["queries"] = sample(series.get("queries", []), keep // 2)
    series["sizes"] = sample(series.get("sizes", []), keep * len(impacts))
    return series


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("fixture")
    ap.add_argument("--keep", type=int, default=60)
    ap.add_argument("--members", type=int, default=400)
    ap.add_argument("--labels", help="keep only these labels (comma-separated)")
    ap.add_argument("--no-series", action="store_true")
    a = ap.parse_args()
    run = os.path.abspath(a.run)
    with open(os.path.join(run, "results.json")) as f:
        text = f.read()
    r = json.loads(text.replace(run + "/", "RUN_DIR/").replace(run, "RUN_DIR"))
    r.get("host", {}).pop("sqlite_compile_options", None)
    if a.labels:
        keep = set(a.labels.split(","))
        r["trials"] = [t for t in r["trials"] if t["label"] in keep]
        r["summary"] = [row for row in r["summary"] if row["label"] in keep]
    for b in (r.get("sqlite_builds") or {}).values():
        b.pop("compile_options", None)
    readme = os.path.join(a.fixture, "README.md")
    kept = open(readme).read() if os.path.isfile(readme) else None
    if os.path.isdir(a.fixture):
        for name in ("results.json", "trials.csv", "trials"):
            p = os.path.join(a.fixture, name)
            if os.path.isdir(p):
                shutil.rmtree(p)
            elif os.path.exists(p):
                os.remove(p)
    os.makedirs(a.fixture, exist_ok=True)
    if kept is not None:
        with open(readme, "w") as f:
            f.write(kept)
    for t in r["trials"]:
        t.pop("holders", None)
        (t.get("sqlite_build") or {}).pop("compile_options", None)
        p = t.get("series")
        if a.no_series:
            t["series"] = None
        if not p or a.no_series:
            continue
        rel = p[len("RUN_DIR/"):] if p.startswith("RUN_DIR/") else p
        with open(os.path.join(run, rel)) as f:
            s = thin(json.load(f), a.keep, a.members)
        os.makedirs(os.path.join(a.fixture, os.path.dirname(rel)), exist_ok=True)
        with open(os.path.join(a.fixture, rel), "w") as f:
            json.dump(s, f, separators=(",", ":"))
        t["series"] = rel
    csv = os.path.join(run, "trials.csv")
    if os.path.isfile(csv) and not a.labels:
        with open(csv) as f, open(os.path.join(a.fixture, "trials.csv"), "w") as out:
            out.write(f.read().replace(run + "/", "RUN_DIR/").replace(run, "RUN_DIR"))
    with open(os.path.join(a.fixture, "results.json"), "w") as f:
        # One trial per line: small, and a diff still shows which trial changed.
        f.write(json.dumps({k: v for k, v in r.items() if k != "trials"}, separators=(",", ":"))[:-1])
        f.write(',"trials":[\n' + ",\n".join(json.dumps(t, separators=(",", ":")) for t in r["trials"]) + "]}\n")


if __name__ == "__main__":
    main()
