"""report.html: the answer first (recommendation per journal mode, then the
summary table), then the charts, then the seed article's claims, then details
and the raw files. Self-contained (charts embedded as PNG) and readable from
900 px wide."""
import base64
import datetime
import html
import os

import claims as C
import continuous as CT
import figures as F
import hosts
import recommend as R
import summary_table as T

CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1000px;margin:20px auto;padding:0 16px;
color:#222;line-height:1.45;font-size:16px}
h1{margin:0 0 4px;font-size:26px} h2{border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:40px}
h3{margin:22px 0 6px}
p,li,figcaption,blockquote{overflow-wrap:break-word}
.ctx{color:#555;font-size:14px;overflow-wrap:break-word}
nav{background:#f6f8fa;padding:8px 14px;border-radius:6px;font-size:14.5px}
nav ol{margin:4px 0;padding-left:22px} nav ol ol{padding-left:18px}
table{border-collapse:collapse;margin:10px 0;font-size:13.5px;width:100%}
td,th{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left} th{background:#f4f4f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.name{white-space:nowrap}
table.summary{font-size:12.5px} table.summary th{font-size:12px;font-weight:600}
table.summary td.num{white-space:nowrap} table.summary td.num.wrap{white-space:normal}
table.summary tr.has-notes td{border-bottom:none}
table.summary tr.notes td{border-top:none;padding-top:0;background:#fcfcfc}
tr.skipped td{color:#888}
ul.notes{margin:0;padding-left:16px;font-size:12.5px} ul.notes li{margin:0;overflow-wrap:anywhere}
li.expected,td.expected{color:#546e7a} li.alarm,td.alarm{color:#b71c1c;font-weight:600}
li.failed,td.failed{color:#6a1b9a}
.badge{font-weight:600;padding:1px 7px;border-radius:4px;white-space:nowrap;font-size:13.5px}
.b-supported{background:#c8e6c9}.b-contradicted{background:#ffcdd2}.b-partly{background:#fff3c4}
.b-depends{background:#ffe0b2}.b-none{background:#e0e0e0}
.answer{background:#f1f8e9;border-left:4px solid #7cb342;padding:8px 14px;margin:10px 0}
.answer.none{background:#fbe9e7;border-color:#e64a19}
figure{margin:18px 0} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:14px;color:#444}
.warn{background:#fff3c4;padding:6px 10px;border-left:4px solid #f9a825}
blockquote{margin:6px 0;padding:4px 12px;border-left:3px solid #90a4ae;color:#333;font-style:italic}
.claim{border:1px solid #e0e0e0;border-radius:6px;padding:8px 14px;margin:12px 0}
.claim ul{margin:4px 0;padding-left:20px;font-size:14.5px}
.claim li{overflow-wrap:anywhere}
.small{font-size:13.5px;color:#555}
"""

BADGE = {C.SUPPORTED: "b-supported", C.CONTRADICTED: "b-contradicted", C.PARTLY: "b-partly",
         C.DEPENDS: "b-depends"}


def esc(x):
    return html.escape(str(x))


def _rate_text(results):
    if len({(p.get("filesystem"), p.get("sqlite"), p.get("db_mb"), p.get("writers")) for p in results.probes}) > 1:
        shares = results._ordered(f"{p['mode']} {p.get('utilisation', 0):.0%}" for p in results.probes)
        return (f"each paced at a share of the capacity measured for its cell ({', '.join(shares)}; rates in "
                "Capacity probes)")
    parts = []
    for p in results.probes:
        parts.append(f"{p['mode']}: {p['writer_rate']:.1f} commits/s per writer ({p.get('utilisation', 0):.0%} of "
                     f"the {p['capacity_tx_s']:.0f}/s measured closed loop)")
    if parts:
        return "; ".join(parts)
    rate = results.scenario.get("rate")
    return f"{rate} commits/s per writer" if rate else "writers as fast as they can (closed loop)"


def context(results):
    sc, host = results.scenario, results.host
    versions = ", ".join(str(v) for v in results.axis("sqlite_version"))
    filesystems = ", ".join(host.get("filesystem", "?") + " (the host's)" if f == "host" else f
                            for f in results.axis("filesystem"))
    sizes = "/".join(f"{s:g}" for s in results.axis("db_mb"))
    backups = sc.get("backups") or 1
    schedule = (f" · {backups} backups per trial, {sc.get('backup_interval_s', '?'):g} s apart"
                if backups > 1 and isinstance(sc.get("backup_interval_s"), (int, float)) else "")
    writers = "/".join(str(w) for w in results.axis("writer_count"))
    tool = results.raw.get("tool") or {}
    version = tool.get("version") or results.raw.get("version")
    commit = tool.get("commit") or results.raw.get("commit")
    lines = [
        f"SQLite {versions} · {sizes} MB database · {writers} writers, {_rate_text(results)} · "
        f"{sc.get('readers', '?')} reader(s) at {sc.get('reader_rate', '?')} queries/s "
        f"({sc.get('reader_shape', '?')}) · journal modes {', '.join(results.modes)} · database on "
        f"{filesystems}{schedule}",
        f"Scenario '{sc.get('name', '?')}': {sc.get('description', '')}",
        f"Host: {host.get('cores', '?')} cores ({host.get('cpu', '?')}), {host.get('filesystem', '?')}, "
        f"{host.get('kernel', '?')}; build {host.get('build_type', '?')}"
        + (f"; backup-bench {version}" if version else "") + (f" ({commit})" if commit else ""),
        f"Run {results.context('started_at')} to {results.context('finished_at')}; "
        f"{len(results.trials)} trials; command: {results.context('command_line')}",
    ]
    # The user's own data (run --database / --workload-file): named, so two runs
    # on different data are never read as one.
    db, wf = results.raw.get("database"), results.raw.get("workload_file")
    if db:
        lines.insert(1, f"Database {db.get('file')}: {db.get('bytes', 0):,} bytes, page size {db.get('page_size')}, "
                        f"{db.get('pages')} pages, {db.get('tables')} tables, {db.get('indices')} indices "
                        f"(a copy per trial)")
    if wf:
        lines.insert(2 if db else 1, f"Workload file {wf.get('name')} (hash {wf.get('hash')})")
    shards = hosts.context_line(results)  # a merged run: every host its shards ran on
    if shards:
        lines.insert(len(lines) - 1, shards)
    return lines


def warnings(results):
    out = []
    if hosts.warning(results):
        out.append(hosts.warning(results))
    if results.host.get("optimised") is False:
        out.append("Built without optimisation: timings are not representative.")
    if results.raw.get("stopped_disk_full"):
        out.append("The run stopped because the disk was full: the cells after the last trial shown did not run.")
    elif results.raw.get("interrupted"):
        out.append("The run was interrupted: some cells have fewer trials than planned.")
    elif results.partial:
        out.append("The run had not finished when this results.json was written: some cells have fewer trials "
                   "than planned.")
    harness = [t for t in results.trials if t.harness_error is not None]
    if harness:
        out.append(f"{len(harness)} trial(s) failed in the harness, not in the strategy, and are left out of every "
                   f"comparison; the first: {harness[0].harness_error}")
    unsteady = [t for t in results.trials if not t.skipped and t.harness_error is None and not t.steady]
    if unsteady:
        out.append(f"{len(unsteady)} trial(s) had an unsteady load before the backup and are left out of every "
                   "writer figure, the claims about writers and the recommendation (their verdicts still count).")
    missing = [t for t in results.trials if not t.skipped and t.harness_error is None and t.raw.get("series")
               and t.series() is None]
    if missing:
        out.append(f"{len(missing)} trial(s) have no readable series.json: the time charts leave them out.")
    return out


def _answer(rec):
    mode, b = rec["mode"], rec["recommended"]
    where = rec["where"] + (f", {rec['db_mb']} MB database" if rec["several_sizes"] else "") + \
        f", {rec['writers']} writers"
    parts = [f"<h3 id='{esc(rec['id'])}'>{esc(where)}</h3>"]
    if not b:
        why = ""
        if rec["excluded"]["unsteady"] and all(kind != "alarm" for _, kind, _ in rec["left_out"]) and \
                any("no trial had a steady load" in w for _, _, w in rec["left_out"]):
            why = (" The load was not steady before the backups (the writers could not keep their schedule), so no "
                   "writer impact could be measured: lower the rate, or use rate = \"auto\".")
        parts.append(f"<div class='answer none'>No strategy qualifies here ({esc(rec['where'])}): none that is safe "
                     f"in this mode gave only OK snapshots with a measurable writer impact in this run.{esc(why)}"
                     "</div>")
    else:
        d = b["duration"]
        n_due = int(b["p99"]["n"])
        latency = ("no commit was scheduled during the backup" if n_due == 0 else
                   f"commit latency during the backup {F.percentile(b['p99'])}")
        if rec["ties"]:
            # A tie on writer impact: the headline names them all, not the one
            # whose median happened to be lowest.
            names = [b["label"]] + [c["label"] for c in rec["ties"]]
            head = (f"<b>Use {esc(', '.join(names[:-1]))} or {esc(names[-1])}:</b> writers fare the same with "
                    f"each here. With {esc(b['label'])} (the lowest median), writers waited at most ")
        else:
            head = f"<b>Use {esc(b['label'])}.</b> Writers waited at most "
        parts.append(
            f"<div class=answer>{head}"
            f"{esc(F.ms(b['impact']))} beyond their schedule's own gap of {esc(F.ms(b['floor']))} (median over "
            f"{esc(F.count(b['n'], 'steady backup'))}; longest gap of one writer {esc(F.ms(b['gap']))}); "
            f"{esc(F.count(int(b['delayed'] or 0), 'commit'))} delayed beyond the baseline's p99 per backup; "
            f"{esc(latency)}. The backup took {esc(F.spread(d, F.secs))}"
            + (f" at {b['mbps']:.0f} MB/s" if b["mbps"] else "") + ".")
        if rec["ties"]:
            names = ", ".join(c["label"] for c in rec["ties"])
            parts.append(f"<br>This run does not rank {esc(names)} apart from it: their ranges over the backups "
                         f"overlap or their medians differ by less than one schedule period "
                         f"({esc(F.ms(b['floor']))}), which a writer may not notice. The trade-offs below decide.")
        parts.append("</div>")
        if rec["tradeoffs"]:
            parts.append("<p>Trade-offs:</p><ul>" + "".join(f"<li>{esc(t)}</li>" for t in rec["tradeoffs"])
                         + "</ul>")
        parts.append("<table><thead><tr><th>candidate (safe here, every snapshot OK)</th>"
                     "<th>writer wait beyond the schedule (ms)</th><th>delayed commits</th>"
                     "<th>commit latency during the backup</th><th>backup time</th>"
                     + ("<th>WAL growth</th>" if mode == "wal" else "") + "</tr></thead><tbody>")
        for c in rec["candidates"]:
            lo, hi = c["impact_range"]
            rng = f" ({lo:.1f}–{hi:.1f}, n={c['n']})" if lo is not None and hi != lo else f" (n={c['n']})"
            delayed = "n/a" if c["delayed"] is None else f"{c['delayed']:g}"
            parts.append(f"<tr><td>{esc(c['label'])}</td><td class=num>{esc(F.ms(c['impact']) + rng)}</td>"
                         f"<td class=num>{delayed}</td>"
                         f"<td>{esc(F.percentile(c['p99']))}</td><td>{esc(F.spread(c['duration'], F.secs))}</td>"
                         + (f"<td class=num>{esc(F.mb(c['wal_growth']))}</td>" if mode == "wal" else "")
                         + "</tr>")
        parts.append("</tbody></table>")
    if rec["left_out"]:
        parts.append("<p class=small>Not considered:</p><ul class=notes>" + "".join(
            f"<li class={kind}>{esc(lab)}: {esc(why)}</li>" for lab, kind, why in rec["left_out"]) + "</ul>")
    ex = rec["excluded"]
    if ex["unsteady"] or ex["harness_errors"]:
        parts.append(f"<p class=small>Left out of the writer figures: {ex['unsteady']} unsteady trial(s), "
                     f"{ex['harness_errors']} harness failure(s); skipped trials: {ex['skipped']}.</p>")
    return "".join(parts)


def recommendation_html(results, recs):
    frozen = [name for name in results.strategies if not results.impact_representative(name)
              and any(t.strategy == name for t in results.trials)]
    head = (f"<p>Per journal mode, among the strategies that are safe in that mode and gave only OK snapshots: "
            f"the one whose writers waited least. The figure: the {esc(R.IMPACT_FIGURE)}. {esc(R.IMPACT_WHY)}"
            + (f" {esc(', '.join(frozen))} {'is' if len(frozen) == 1 else 'are'} never recommended: the strategy "
               "registry says its writer figures are not representative (fs-snapshot freezes every process "
               "holding the database, so its figures describe the freeze, not a real volume snapshot)."
               if frozen else "") + "</p>")
    return head + "".join(_answer(r) for r in recs)


def claims_html(results, judged):
    out = [f"<p>The claims of the article <i>“{esc(C.ARTICLE)}”</i> about each backup method, quoted in full, "
           "and what this run's measurements say. Writer figures come from steady trials only.</p>"]
    for i, c in enumerate(judged):
        badge = BADGE.get(c["status"], "b-none")
        out.append(f"<div class=claim id='claim-{i + 1}'><b>{i + 1}. {esc(c['method'])}</b> "
                   f"<span class='badge {badge}'>{esc(c['status'])}</span>"
                   f"<blockquote>“{esc(c['quote'])}”</blockquote>"
                   f"<div class=small>Tested: {esc(c['test'])}</div><ul>"
                   + "".join(f"<li>{esc(e)}</li>" for e in c["evidence"]) + "</ul></div>")
    return "".join(out)


def figure_html(out_dir, name, title, caption, size):
    from charts import style
    with open(os.path.join(out_dir, name + ".png"), "rb") as f:
        data = base64.b64encode(f.read()).decode()
    w, h = size
    disp_w = round(w * style.DISPLAY_PX / style.DPI)
    disp_h = round(h * style.DISPLAY_PX / style.DPI)
    return (f"<figure id='{name}'><h3>{esc(title)}</h3><img alt='{esc(title)}' width={disp_w} height={disp_h} "
            f"src='data:image/png;base64,{data}'><figcaption>{esc(caption)} Files: "
            f"<a href='{name}.png'>{name}.png</a> · <a href='{name}.svg'>{name}.svg</a></figcaption></figure>")


def details_html(results):
    out = ["<h3 id=strategies>Strategies</h3><table><thead><tr><th>strategy</th><th>what it does</th>"
           "<th>safety</th></tr></thead><tbody>"]
    used = {t.strategy for t in results.trials}
    for name, s in results.strategies.items():
        if name in used:
            needs = f". Needs: {s['needs']}" if s.get("needs") else ""
            out.append(f"<tr><td class=name>{esc(name)}</td><td>{esc(s.get('description', ''))}{esc(needs)}</td>"
                       f"<td>{esc(s.get('safety_note', ''))}</td></tr>")
    out.append("</tbody></table>")
    if results.probes:
        places = len({(p.get("filesystem"), p.get("sqlite")) for p in results.probes}) > 1
        builds = results.raw.get("sqlite_builds") or {}
        version = lambda name: (builds.get(name) or {}).get("version") or name  # noqa: E731
        out.append("<h3 id=probes>Capacity probes</h3><p class=small>Before the trials, the writers ran as fast as "
                   "they could for a moment; each writer was then paced at a share of that capacity.</p><table>"
                   "<thead><tr><th>mode</th>" + ("<th>filesystem</th><th>SQLite</th>" if places else "")
                   + "<th>size (MB)</th><th>writers</th><th>capacity (commits/s)</th>"
                   "<th>share used</th><th>per writer (commits/s)</th></tr></thead><tbody>")
        for p in results.probes:
            where = (f"<td>{esc(p.get('filesystem', ''))}</td><td>{esc(version(p.get('sqlite', '')))}</td>"
                     if places else "")
            out.append(f"<tr><td>{esc(p['mode'])}</td>{where}<td class=num>{esc(p.get('db_mb', ''))}</td>"
                       f"<td class=num>{esc(p.get('writers', ''))}</td><td class=num>{p['capacity_tx_s']:.0f}</td>"
                       f"<td class=num>{p.get('utilisation', 0):.0%}</td>"
                       f"<td class=num>{p['writer_rate']:.1f}</td></tr>")
        out.append("</tbody></table>")
    out.append(builds_html(results))
    out.append(filesystems_html(results))
    unsteady = [t for t in results.trials if not t.skipped and t.harness_error is None and not t.steady]
    if unsteady:
        out.append("<h3 id=unsteady>Unsteady trials</h3><ul>" + "".join(
            f"<li>{esc(t.mode)} {esc(t.label)} repetition {t.repetition}: {esc(t.get('load/reason', ''))}</li>"
            for t in unsteady) + "</ul>")
    faults = fault_table(results)
    if faults:
        out.append("<h3 id=faults>Faults injected</h3>" + faults)
    return "".join(out)


def builds_html(results):
    """The SQLite builds the run used (results.json `sqlite_builds`), when it used
    more than the system's."""
    builds = results.raw.get("sqlite_builds") or {}
    if len(builds) < 2 and all(name == "system" for name in builds):
        return ""
    rows = "".join(
        f"<tr><td>{esc(name)}</td><td>{esc(b.get('version', '?'))}</td><td>{esc(b.get('source_id', ''))}</td>"
        f"<td class=num>{len(b.get('compile_options') or [])}</td><td>{'yes' if b.get('dbpage') else 'no'}</td>"
        f"<td>{esc(b.get('library', ''))}</td></tr>" for name, b in builds.items())
    return ("<h3 id=builds>SQLite builds</h3><p class=small>Each cell's workers, backup and validator ran with "
            "its build (results.json lists every compile option).</p><table><thead><tr><th>name in the "
            "scenario</th><th>version</th><th>source id</th><th>compile options</th><th>sqlite_dbpage</th>"
            f"<th>library</th></tr></thead><tbody>{rows}</tbody></table>")


def filesystems_html(results):
    """The filesystems the trials' databases were on (`filesystem_info`), when not
    only the host's."""
    seen = {}
    for t in results.trials:
        info = t.raw.get("filesystem_info") or {}
        if t.filesystem != "host" and t.filesystem not in seen and info:
            seen[t.filesystem] = info
    if not seen:
        return ""
    rows = "".join(f"<tr><td>{esc(fs)}</td><td>{esc(i.get('mkfs', ''))}</td><td>{esc(i.get('mount_options', ''))}"
                   f"</td><td class=num>{F.mb(i.get('size_bytes'))}</td></tr>" for fs, i in seen.items())
    return ("<h3 id=filesystems>Filesystems</h3><p class=small>Scratch filesystems: a loop-mounted image "
            "made for the trial (docs/filesystems.md).</p><table><thead><tr><th>filesystem</th><th>made with</th>"
            f"<th>mount options</th><th>image size</th></tr></thead><tbody>{rows}</tbody></table>")


def fault_table(results):
    """Fault x strategy outcomes, for runs whose trials carry a `fault`."""
    def kind(t):
        f = t.raw.get("fault")
        return f.get("kind") if isinstance(f, dict) else f
    trials = [t for t in results.trials if kind(t)]
    if not trials:
        return ""
    faults = results._ordered(str(kind(t)) for t in trials)
    labels = [lab for lab in results.labels if any(t.label == lab for t in trials)]
    rows = []
    for fk in faults:
        cells = []
        for lab in labels:
            counts = {}
            for t in trials:
                if str(kind(t)) == fk and t.label == lab:
                    for k, v in t.verdicts.items():
                        counts[k] = counts.get(k, 0) + v
            cells.append(f"<td>{esc(F.verdict_counts(counts)) if counts else '–'}</td>")
        rows.append(f"<tr><td>{esc(fk)}</td>{''.join(cells)}</tr>")
    return ("<table><thead><tr><th>fault</th>" + "".join(f"<th>{esc(lab)}</th>" for lab in labels)
            + "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def raw_files_html(results, out_dir):
    links = []
    for name, what in (("results.json", "every figure of every trial, the summary rows and the context"),
                       ("trials.csv", "one line per trial, for spreadsheets"),
                       ("console.log", "what the run printed")):
        p = os.path.join(results.dir, name)
        if os.path.isfile(p):
            links.append(f"<li><a href='{esc(os.path.relpath(p, out_dir))}'>{name}</a>: {what}</li>")
    links.append("<li><a href='summary.md'>summary.md</a>: the summary table in Markdown</li>")
    links.append("<li>trials/*/series.json: each trial's per-commit samples (the charts' source)</li>")
    return "<ul>" + "".join(links) + "</ul>"


def page(results, out_dir, charts_drawn):
    judged = C.judge_claims(results)
    recs = R.recommend(results)
    continuous = CT.section_html(results, esc)
    title = f"backup-bench report: scenario {results.scenario.get('name', '?')}"
    toc = ["<nav><b>Contents</b><ol>",
           "<li><a href='#answer'>The answer</a><ol>"
           + "".join(f"<li><a href='#{esc(r['id'])}'>{esc(r['where'])}</a></li>" for r in recs)
           + "<li><a href='#summary'>Summary table</a></li>"
           + ("<li><a href='#continuous'>Continuous vs periodic</a></li>" if continuous else "") + "</ol></li>",
           "<li><a href='#charts'>Charts</a><ol>"
           + "".join(f"<li><a href='#{n}'>{esc(t)}</a></li>" for n, t, _, _ in charts_drawn) + "</ol></li>",
           "<li><a href='#claims'>Claims of the article</a></li>",
           "<li><a href='#details'>Details</a></li><li><a href='#files'>Raw files</a></li></ol></nav>"]
    warn = "".join(f"<p class=warn>{esc(w)}</p>" for w in warnings(results))
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        f"<h1>{esc(title)}</h1><p class=ctx>" + "<br>".join(esc(x) for x in context(results))
        + f"<br>Report written {now}.</p>", warn, "".join(toc),
        "<h2 id=answer>The answer: which backup to use</h2>", recommendation_html(results, recs),
        "<h3 id=summary>Summary table</h3><p class=small>The same numbers as the table <code>backup-bench run</code> "
        "printed (results.json, summary rows). Writer figures come from steady trials only; a p99 needs at least "
        "100 samples, otherwise the maximum of n samples is shown (“max 6.1 of 40”); “none due”: no commit was "
        "scheduled during the backup; “faulted”: a fault was injected, so the trial gives no writer figures; n/a: does not apply (WAL figures outside WAL mode) or no completed backup. "
        "“writer gap / schedule”: the longest gap of one writer between its commits, beside the gap its own schedule "
        "allows (a gap at the schedule's is no signal). Medians over the backups (every backup of every repetition) "
        "elsewhere. How each figure is measured: docs/measuring-impact.md.</p>", T.html_table(results),
        continuous,
        "<h2 id=charts>Charts</h2>",
        "".join(figure_html(out_dir, *c) for c in charts_drawn),
        "<h2 id=claims>Claims of the article</h2>", claims_html(results, judged),
        "<h2 id=details>Details</h2>", details_html(results),
        "<h2 id=files>Raw files</h2>", raw_files_html(results, out_dir),
    ]
    return ("<!doctype html><html lang=en><head><meta charset='utf-8'>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>{esc(title)}</title><style>{CSS}</style></head><body>" + "".join(body) + "</body></html>")
