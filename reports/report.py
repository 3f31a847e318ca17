#!/usr/bin/python3
"""backup-bench report: report.html (self-contained: charts embedded) plus every
chart as PNG and SVG beside it, the seed article's claims judged from the data,
and a per-journal-mode recommendation.

usage: report.py [--out DIR] RUN_DIR [RUN_DIR...]   (several run folders = shards)
Exit 2 on bad input, with one line naming the problem."""
import argparse
import base64
import datetime
import html
import os
import sys

sys.dont_write_bytecode = True  # the source tree may be read-only or shared
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bbdata as D  # noqa: E402
import charts  # noqa: E402
import claims  # noqa: E402

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1320px;margin:24px auto;padding:0 16px;
color:#222;line-height:1.45}
h1{margin-bottom:4px} h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:36px}
.ctx{color:#555;font-size:14px} table{border-collapse:collapse;margin:10px 0;font-size:13.5px}
td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left} th{background:#f4f4f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.st{font-weight:600;padding:2px 8px;border-radius:4px;white-space:nowrap}
.supported{background:#c8e6c9}.refuted{background:#ffcdd2}.mixed{background:#fff3c4}.nodata{background:#e0e0e0}
figure{margin:18px 0} figure img{max-width:100%;border:1px solid #eee} figcaption{font-size:13px;color:#444}
.warn{background:#fff3c4;padding:6px 10px;border-left:4px solid #f9a825}
ul.ev{margin:0;padding-left:18px}
"""

CAPTIONS = {
    "latency-timeline": "Each dot is one writer commit (response time from its intended start, so a stall shows in "
                        "every commit scheduled during it); the red band is the backup window.",
    "stall-p99": "Bars: median over repetitions; whiskers: min–max; dotted line: the same trials' p99 before the "
                 "backup started.",
    "latency-cdf": "Commits in flight during the backup, pooled over repetitions; the dashed black line is the "
                   "baseline window of the same trials.",
    "backup-speed": "Duration from the strategy's start to its finished, renamed snapshot; raw-copy is a plain "
                    "file copy and serves as the reference for raw I/O speed.",
    "wal-growth": "Size of the -wal file sampled during the trial; a backup that holds a read transaction keeps "
                  "checkpoints from resetting the WAL.",
    "verdicts": "Snapshot verdicts from the validator (integrity, invariants, freshness).",
    "scaling": "Medians per database size; solid/dashed lines distinguish journal modes.",
}


def esc(x):
    return html.escape(str(x))


def fmt(v, unit="", nd=2):
    if v is None:
        return "n/a"
    if isinstance(v, float) and abs(v) >= 100:
        nd = 0
    return f"{v:.{nd}f}{unit}"


def context_line(r):
    sc, host = r.get("scenario", {}), r.get("host", {})
    ver = ", ".join(sorted(r["_sqlite_versions"]))
    sizes = D.sizes(r["trials"]) or sc.get("db_mb", [])
    writers = sorted({t.get("writer_count") for t in r["trials"] if t.get("writer_count") is not None}) \
        or sc.get("writers", [])
    rate = sc.get("rate", 0)
    rate_txt = f"{rate:g} tx/s per writer" if rate else "closed-loop writers"
    return (f"SQLite {ver} · {'/'.join(f'{s:g}' for s in sizes)} MB database · "
            f"{'/'.join(str(w) for w in writers)} writers, {rate_txt} · {sc.get('readers', '?')} readers · "
            f"scenario '{sc.get('name', '?')}' · {host.get('cores', '?')} cores, {host.get('filesystem', '?')}")


def figure_html(out, name):
    with open(os.path.join(out, name + ".png"), "rb") as f:
        data = base64.b64encode(f.read()).decode()
    return (f'<figure id="{name}"><img alt="{name}" src="data:image/png;base64,{data}">'
            f'<figcaption>{esc(CAPTIONS.get(name, ""))} Files: <a href="{name}.png">{name}.png</a> · '
            f'<a href="{name}.svg">{name}.svg</a></figcaption></figure>')


def claims_html(cl):
    rows = []
    for c in cl:
        css = c["status"].replace(" ", "")
        ev = "".join(f"<li>{esc(e)}</li>" for e in c["evidence"]) or "<li>no trials of this strategy in the run</li>"
        rows.append(f"<tr><td><b>{esc(c['subject'])}</b><br><i>“{esc(c['quote'])}”</i></td>"
                    f"<td>{esc(c['test'])}</td><td><span class='st {css}'>{esc(c['status'])}</span></td>"
                    f"<td><ul class='ev'>{ev}</ul></td></tr>")
    return ("<table><tr><th>claim (seed article)</th><th>what was tested</th><th>finding</th>"
            "<th>evidence (medians over repetitions)</th></tr>" + "".join(rows) + "</table>")


def recommend_html(recs):
    parts = []
    for r in recs:
        parts.append(f"<h3>{esc(r['mode'])} mode</h3>")
        if r["candidates"]:
            b = r["candidates"][0]
            parts.append(f"<p><b>Recommended: {esc(b['label'])}</b> — lowest writer impact among strategies with "
                         f"only OK verdicts: p99 {fmt(b['p99'], ' ms')} during the backup (baseline "
                         f"{fmt(b['base_p99'], ' ms')}), longest stall {fmt(b['stall'], ' ms')}; backup "
                         f"{fmt(b['duration'], ' s', 3)}.</p>")
            if r["tradeoffs"]:
                parts.append("<p>Trade-offs: " + "; ".join(esc(t) for t in r["tradeoffs"]) + ".</p>")
            parts.append("<table><tr><th>candidate (only OK)</th><th>n</th><th>writer p99 during (ms)</th>"
                         "<th>longest stall (ms)</th><th>backup (s)</th><th>MB/s</th><th>WAL peak (MB)</th></tr>")
            for c in r["candidates"]:
                parts.append(f"<tr><td>{esc(c['label'])}</td><td class=num>{c['n']}</td>"
                             f"<td class=num>{fmt(c['p99'])}</td><td class=num>{fmt(c['stall'])}</td>"
                             f"<td class=num>{fmt(c['duration'], nd=3)}</td><td class=num>{fmt(c['mbps'], nd=1)}</td>"
                             f"<td class=num>{fmt(c['wal_mb'], nd=1)}</td></tr>")
            parts.append("</table>")
        else:
            parts.append("<p>No strategy produced only OK snapshots in this mode.</p>")
        if r["excluded"]:
            parts.append("<p>Not considered: " + "; ".join(f"{esc(lab)} ({esc(why)})" for lab, why in r["excluded"])
                         + ".</p>")
    return "".join(parts)


def summary_html(r):
    g = D.groups(r["trials"], by_size=len(D.sizes(r["trials"])) > 1)
    rows = []
    for k, ts in g.items():
        vc = {}
        for t in ts:
            vc[D.verdict(t)] = vc.get(D.verdict(t), 0) + 1
        med = lambda p: D.median(D.values(ts, p))  # noqa: E731
        rows.append("<tr>" + "".join(f"<td>{esc(x)}</td>" for x in k) + f"<td class=num>{len(ts)}</td>" +
                    "".join(f"<td class=num>{fmt(med(p), nd=nd)}</td>" for p, nd in (
                        ("backup/duration_s", 3), ("backup/mb_per_s", 1), ("writers/baseline/p99_ms", 2),
                        ("writers/during/p99_ms", 2), ("writers/max_stall_ms", 1))) +
                    f"<td class=num>{fmt((med('wal_peak_bytes') or 0) / 1e6, nd=1)}</td>"
                    f"<td>{esc(' '.join(f'{a}={b}' for a, b in vc.items()))}</td></tr>")
    head = "<th>mode</th><th>label</th>" + ("<th>db MB</th>" if g and len(next(iter(g))) > 2 else "")
    return (f"<table><tr>{head}<th>trials</th><th>backup s</th><th>MB/s</th><th>base p99 ms</th>"
            "<th>during p99 ms</th><th>stall ms</th><th>WAL peak MB</th><th>verdicts</th></tr>"
            + "".join(rows) + "</table>")


def main(argv):
    ap = argparse.ArgumentParser(prog="backup-bench report")
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--out")
    a = ap.parse_args(argv)
    try:
        r = D.load_runs(a.runs)
    except D.BadInput as e:
        print(f"backup-bench: {e}", file=sys.stderr)
        return 2
    out = a.out or a.runs[0]
    os.makedirs(out, exist_ok=True)
    ctx = context_line(r)
    names = charts.Charts(r, out, ctx).all()
    cl = claims.judge_claims(r["trials"])
    recs = claims.recommend(r["trials"])
    warn = ""
    if not r.get("host", {}).get("optimised", True):
        warn += "<p class=warn>WARNING: built without optimisation; timings are not representative.</p>"
    if len(r["_sqlite_versions"]) > 1:
        warn += "<p class=warn>WARNING: the merged runs used different SQLite versions.</p>"
    broken = [t for t in r["trials"] if D.harness_failed(t)]
    if broken:
        cells = sorted({f"{t.get('mode')}/{t.get('label')}" for t in broken})
        warn += (f"<p class=warn>WARNING: {len(broken)} trial(s) failed in the harness, not in the strategy, and "
                 f"are left out of the charts, claims and recommendations ({esc(', '.join(cells))}); e.g. "
                 f"{esc(D.get(broken[0], 'verdict/detail', ''))}.</p>")
    missing = sum(1 for t in r["trials"] if not D.skipped(t) and not D.harness_failed(t)
                  and D.load_series(t) is None)
    if missing:
        warn += f"<p class=warn>{missing} trial(s) have no readable series.json; time charts omit them.</p>"
    title = f"backup-bench report — {esc(r.get('scenario', {}).get('name', ''))}"
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title><style>{CSS}</style></head>"
            f"<body><h1>{title}</h1><p class=ctx>{esc(ctx)}<br>runs: {esc(', '.join(r['_runs']))} · started "
            f"{esc(r.get('started_at', '?'))} · {len(r['trials'])} trials · report written "
            f"{datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}</p>{warn}"
            f"<h2>Claims of the seed article vs measurements</h2>{claims_html(cl)}"
            f"<h2>Recommendation per journal mode</h2>{recommend_html(recs)}"
            f"<h2>Summary</h2>{summary_html(r)}"
            f"<h2>Charts</h2>" + "".join(figure_html(out, n) for n in names) + "</body></html>")
    path = os.path.join(out, "report.html")
    with open(path, "w") as f:
        f.write(page)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
