#!/usr/bin/python3
"""The summary table: one line per summary row of results.json, the same numbers
`backup-bench run` prints (results/files.cpp, print_summary), as text (a
mirror of that table, for the test that the two agree), as HTML cells for the
report, and as Markdown (summary.md).

usage: summary_table.py RESULTS_JSON_OR_RUN_DIR                   prints the text table
       summary_table.py --markdown FILE RESULTS_JSON_OR_RUN_DIR   writes summary.md"""
import html
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import figures as F  # noqa: E402
import results_model as M  # noqa: E402

# key, header in `run`'s table, width (negative: left-aligned), header in the report
COLUMNS = [
    ("mode", "mode", -7, "mode"),
    ("label", "strategy", -24, "strategy"),
    ("steady", "steady", 7, "steady / ran"),
    ("backup_s", "backup_s", 9, "backup (s)"),
    ("mb_s", "MB/s", 8, "MB/s"),
    ("base_p99", "base_p99/n", 14, "writer p99 before (ms)"),
    ("during_p99", "during_p99/n", 14, "writer p99 during (ms)"),
    ("stall", "stall_ms", 9, "no writer committed (ms)"),
    ("gap", "gap/floor_ms", 13, "writer gap / schedule (ms)"),
    ("wal_peak", "wal_peak", 9, "WAL peak (MB)"),
    ("verdicts", "verdicts", 0, "verdicts"),
]


def _num(v, decimals):
    return "n/a" if v is None else f"{v:.{decimals}f}"


def cells(row):
    """{column: (text as `run` prints it, text for the report)}: the same numbers."""
    r = row.raw

    def pct(p):
        n = int(p["n"])
        if n == 0:  # as results/files.cpp words it
            word = "faulted" if r["fault"] != "none" else "none due" if r["steady"] else "n/a"
            return word, word
        if p["p99_ms"] is not None:
            return f"{p['p99_ms']:.1f}/{n}", f"{p['p99_ms']:.1f} (n={n})"
        return f"max {p['max_ms']:.1f}/{n}", f"max {p['max_ms']:.1f} of {n}"

    gap, rate, wal = row.median("max_writer_gap_ms"), row.median("rate"), row.median("wal_peak_bytes")
    if gap is None:
        gap_cells = ("n/a", "n/a")
    elif rate and rate > 0:
        gap_cells = (f"{gap:.0f}/{1000 / rate:.0f}", f"{gap:.0f} / {1000 / rate:.0f}")
    else:
        gap_cells = (f"{gap:.0f}", f"{gap:.0f} (closed loop)")
    verdicts = {k: int(v) for k, v in r["verdicts"].items()}
    steady = f"{r['steady']}/{row.counted}"
    # The report names the row as `run` does, less what its own columns show.
    named = row.results.row_name(row, without=[dim for dim, _, _ in _extra(row.results)])
    out = {
        "mode": (row.mode, row.mode),
        "label": (row.name, named),
        "steady": (steady, steady),
        "backup_s": (_num(row.median("backup_duration_s"), 3),) * 2,
        "mb_s": (_num(row.median("backup_mb_per_s"), 1),) * 2,
        "base_p99": pct(r["writers_baseline"]),
        "during_p99": pct(r["writers_during"]),
        "stall": (_num(row.median("max_stall_ms"), 1),) * 2,
        "gap": gap_cells,
        "wal_peak": ((f"{wal / 1e6:.1f}M", f"{wal / 1e6:.1f}") if wal is not None else ("n/a", "n/a")),
        "verdicts": (" ".join(f"{k}={v}" for k, v in sorted(verdicts.items())),
                     F.verdict_counts(verdicts)),
    }
    return out


def _line(values, name_width):
    parts = []
    for (key, _, width, _), v in zip(COLUMNS, values):
        if key == "label":
            width = -name_width
        if width == 0:
            parts.append(" " + v)  # `run` puts two spaces before the verdicts
        else:
            parts.append(f"{v:<{-width}}" if width < 0 else f"{v:>{width}}")
    return " ".join(parts)


def text_lines(results):
    """The table as `run` prints it: the header line, then one line per row named
    as `run` names it (size, writers, filesystem, SQLite where they vary)."""
    width = max([24] + [len(r.name) for r in results.rows])
    out = [_line([c[1] for c in COLUMNS], width)]
    for row in results.rows:
        c = cells(row)
        out.append(_line([c[k][0] for k, *_ in COLUMNS], width))
    return out


def _extra(results):
    """[(dimension, header, cell(row))] for the dimensions of the rows' names
    (results.json's `name_parts`) beyond the label and the fault: size, writer
    count, filesystem, SQLite version, each a column when a row's name has it."""
    columns = {"db_mb": ("size (MB)", lambda r: f"{r.db_mb:g}"),
               "writer_count": ("writers", lambda r: str(r.writer_count)),
               "filesystem": ("filesystem", lambda r: r.filesystem),
               "sqlite": ("SQLite", lambda r: r.sqlite_version)}
    named = {dim for r in results.rows for dim, _ in r.raw["name_parts"]}
    return [(dim, *columns[dim]) for dim in columns if dim in named]


def extra_columns(results):
    """[(header, cell(row))] for the dimensions the run has beyond mode and
    strategy (and fault, which the strategy's cell names: "online+kill-writer")."""
    return [(header, fn) for _, header, fn in _extra(results)]


def notes(row, results):
    """Plain words for what the numbers alone do not say."""
    r = row.raw
    out = []
    info = results.strategy_info(row.strategy)
    wrong = results.wrong(r["verdicts"])
    if row.all_skipped:
        reason = next((t.get("backup/error") for t in row.trials if t.skipped), "")
        out.append(("expected", f"not run here: {reason or 'does not apply'}"))
        return out
    if not row.expected_safe and row.ran:  # (every trial failed in the harness: its safety is unknown)
        bad = {k: v for k, v in r["verdicts"].items() if k in results.wrong_verdicts}
        why = info.get("safety_note") or "not a safe method in this mode"
        if bad:
            out.append(("expected", f"expected: not safe in {row.mode} mode ({why})"))
        else:
            out.append(("expected", f"all snapshots OK here, but not safe by design in {row.mode} mode ({why})"))
    elif wrong:
        out.append(("alarm", f"{wrong} wrong snapshot(s) from a strategy expected to be safe in {row.mode} mode"))
    for f in r["failures"]:
        out.append(("failed", f"{f.get('count', 1)}× {'timed out' if f.get('status') == 'timeout' else 'failed'}"
                              f": {f.get('error') or 'no reason given'}"))
    if r["unsteady"]:
        out.append(("info", f"{r['unsteady']} unsteady trial(s) left out of writer figures: "
                            + "; ".join(r["unsteady_reasons"])))
    if r["harness_errors"]:
        out.append(("info", f"{r['harness_errors']} trial(s) failed in the harness (not the strategy's fault)"))
    if not results.impact_representative(row.strategy):
        out.append(("info", "writer figures not representative: it freezes every process holding the "
                            "database (a simulation of a volume snapshot)"))
    return out


def html_table(results):
    """The report's table: the cells of `cells` (the numbers `run` prints), one
    line per row, and the row's notes in a line of their own beneath it."""
    extra = extra_columns(results)
    head = "".join(f"<th>{html.escape(c[3])}</th>" for c in COLUMNS[:2])
    head += "".join(f"<th>{html.escape(h)}</th>" for h, _ in extra)
    head += "".join(f"<th>{html.escape(c[3])}</th>" for c in COLUMNS[2:])
    width = len(COLUMNS) + len(extra)
    rows = []
    for row in results.rows:
        c = cells(row)
        ns = notes(row, results)
        skipped = row.all_skipped
        tds = [f"<td class=name>{html.escape(c[k][1])}</td>" for k in ("mode", "label")]
        tds += [f"<td class=name>{html.escape(fn(row))}</td>" for _, fn in extra]
        kind = next((k for k, _ in ns if k in ("expected", "alarm", "failed")), "")
        for key, *_ in COLUMNS[2:]:
            css = f"verdict {kind}".strip() if key == "verdicts" else "num wrap" if key.endswith("p99") else "num"
            tds.append(f"<td class='{css}'>{html.escape(c[key][1])}</td>")
        cls = "skipped" if skipped else ""
        rows.append(f"<tr class='{cls}{' has-notes' if ns else ''}'>" + "".join(tds) + "</tr>")
        if ns:
            rows.append(f"<tr class='notes {cls}'><td colspan={width}><ul class=notes>"
                        + "".join(f"<li class={k}>{html.escape(t)}</li>" for k, t in ns) + "</ul></td></tr>")
    return f"<table class=summary><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def markdown(results):
    """summary.md: the same cells as the report's table, in Markdown."""
    extra = extra_columns(results)
    heads = [c[3] for c in COLUMNS[:2]] + [h for h, _ in extra] + [c[3] for c in COLUMNS[2:]] + ["notes"]
    versions = ", ".join(results.axis("sqlite_version"))
    lines = [f"# backup-bench summary: scenario {results.scenario.get('name', '?')}, SQLite {versions}", "",
             "| " + " | ".join(heads) + " |",
             "|" + "|".join("---" if i < 2 + len(extra) else "---:" for i in range(len(heads) - 2)) + "|---|---|"]
    esc = lambda s: str(s).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    for row in results.rows:
        c = cells(row)
        vals = [c["mode"][1], c["label"][1]] + [fn(row) for _, fn in extra] + [c[k][1] for k, *_ in COLUMNS[2:]] + \
            ["; ".join(t for _, t in notes(row, results))]
        lines.append("| " + " | ".join(esc(v) for v in vals) + " |")
    lines += ["", "Writer figures come from steady trials only; p99 needs at least 100 samples, otherwise the "
                  "maximum of n is shown (\"max 6.1 of 40\"). A writer gap at its schedule's gap (the second "
                  "number) is no signal. How each figure is measured: docs/measuring-impact.md.", ""]
    return "\n".join(lines)


def write_markdown(results, path):
    """Writes summary.md (a function `run` may call too)."""
    import continuous
    with open(path, "w") as f:
        f.write(markdown(results) + continuous.markdown(results))


def main(argv):
    markdown_to = None
    if len(argv) >= 2 and argv[0] == "--markdown":
        markdown_to, argv = argv[1], argv[2:]
    try:
        results = M.load(argv[0] if argv else ".")
        if markdown_to:
            write_markdown(results, markdown_to)
        else:
            print("\n".join(text_lines(results)))
    except M.BadInput as e:
        print(f"backup-bench: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"backup-bench: cannot write {markdown_to}: {e.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
