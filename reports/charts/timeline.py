"""Commit latency over time around the backup (one typical trial per cell) and
its distribution during the backup (only where the pooled samples support a
tail). Samples come from each trial's series.json; window membership follows
docs/measuring-impact.md (an operation belongs to the window it was scheduled in)."""
import textwrap

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from charts import chart, style

MIN_TAIL_N = 100  # a p99 needs 100 samples; so does the tail of a distribution


def typical(row):
    """The row's steady trial whose first backup had the median writer stall
    (results.json's max_writer_stall_ms; a typical repetition) and has a series;
    else any trial of the row that ran with one."""
    ran = [t for t in row.trials if not t.skipped and t.harness_error is None and t.series()]
    steady = [t for t in ran if t.impact_counts]
    done = lambda ts: [t for t in ts if t.status == "completed"]  # noqa: E731
    pool = done(steady) or steady or done(ran) or ran
    if not pool:
        return None
    pool.sort(key=lambda t: t.get("writers/max_writer_stall_ms", 0))
    return pool[(len(pool) - 1) // 2]


def grid(results):
    """[(name, {mode: row})]: the rows' names (label, and filesystem, SQLite...
    where the run has several) down, the journal modes across."""
    names = []
    for r in results.rows:
        if r.name not in names:
            names.append(r.name)
    order = results.labels
    names.sort(key=lambda n: order.index(next(r.label for r in results.rows if r.name == n)))
    return [(n, {r.mode: r for r in results.rows if r.name == n}) for n in names]


@chart("latency-timeline", "Writer commit latency around the backup",
       "One typical repetition per strategy and journal mode (among completed backups with a steady load, the one "
       "with the median writer stall), around its first backup. Each "
       "dot is one commit, placed at the time it was scheduled, coloured by writer; its height is the time from "
       "its scheduled start to its commit, so a writer held off shows the wait in every commit scheduled during "
       "it. Shaded: the backup (from asking for the database to releasing it); dark bar on top: the backup "
       "reading the source. Dashed line: the writers' schedule period.")
def latency_timeline(results):
    rows = [(name, by_mode) for name, by_mode in grid(results) if any(typical(r) for r in by_mode.values())]
    if not rows:
        return None
    modes = results.modes
    fig, axes = plt.subplots(len(rows), len(modes), figsize=(style.WIDTH, 2.05 * len(rows) + 0.9),
                             squeeze=False, sharey=True)
    writers = 1
    for i, (lab, by_mode) in enumerate(rows):
        for j, mode in enumerate(modes):
            ax = axes[i][j]
            row = by_mode.get(mode)
            t = typical(row) if row else None
            if t is None:
                why = "not in this run" if row is None else "not run here" if row.all_skipped else "no data"
                style.note(ax, f"{lab} · {mode}: {why}")
                ax.set_title(f"{lab} · {mode}", fontsize=10.5, loc="left")
                continue
            s = t.series()
            b0, b1 = s.impact(0)
            r0, r1 = s.snapshot(0) or (b0, b0)
            dur = (b1 - b0) / 1e6
            pad = min(max(0.25, dur), 1.5)
            x = lambda us: (us - b0) / 1e6  # noqa: E731
            ax.axvspan(0, dur, color=style.WINDOW_COLOUR, alpha=0.15, lw=0)
            for edge in (0, dur):
                ax.axvline(edge, color=style.WINDOW_COLOUR, lw=0.8)
            if r1 > r0:
                ax.axvspan(x(r0), x(r1), ymin=0.93, ymax=1.0, color="#8b0000", lw=0)
            pts = [c for c in s.commits if -pad <= x(c[0] - c[1]) <= dur + pad]
            worker_ids = sorted({c[3] for c in s.commits})
            writers = max(writers, len(worker_ids))
            for k, w in enumerate(worker_ids):
                mine = [c for c in pts if c[3] == w]
                ax.scatter([x(c[0] - c[1]) for c in mine], [max(c[1] / 1000, 0.01) for c in mine], s=6,
                           color=style.WRITER_COLOURS[k % 10], alpha=0.75, lw=0, rasterized=True)
            if t.floor_ms:
                ax.axhline(t.floor_ms, color="black", ls="--", lw=0.9)
            ax.set_yscale("log")
            ax.set_xlim(-pad, dur + pad)
            flag = "" if t.impact_counts else ", unsteady"
            which = f" · backup 1 of {len(t.backups)}" if len(t.backups) > 1 else ""
            ax.set_title(f"{lab} · {mode} · rep {t.repetition}{which} · {t.verdict}{flag}", fontsize=10.5,
                         loc="left")
            ax.set_xlabel("seconds since the backup started", fontsize=10)
            if j == 0:
                ax.set_ylabel("latency (ms)")
    handles = [Line2D([], [], marker="o", ls="", color=style.WRITER_COLOURS[k], label=f"writer {k}")
               for k in range(min(writers, 10))]
    handles += [Patch(color=style.WINDOW_COLOUR, alpha=0.3, label="backup"),
                Patch(color="#8b0000", label="reading the source"),
                Line2D([], [], color="black", ls="--", label="schedule period")]
    height = 2.05 * len(rows) + 0.9
    fig.legend(handles=handles, loc="upper center", ncol=len(handles), frameon=False, fontsize=9.5,
               handletextpad=0.3, columnspacing=0.9, bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / height), h_pad=0.6)
    return fig


def pooled(trials, window):
    """Commit latencies (ms) scheduled in `window` ("impacts": during any backup;
    "baseline"), pooled over the trials' series as results.json's summary pools
    them (results/summary.cpp); a trial without a readable series adds nothing."""
    out = []
    for t in trials:
        s = t.series()
        if s:
            out += [c[1] / 1000 for c in s.members(window)]
    return out


def _cdf(ax, ax_tail, v, label, colour, ls):
    v = sorted(max(x, 0.01) for x in v)
    n = len(v)
    ax.plot(v, [(k + 1) / n for k in range(n)], ls=ls, color=colour, label=label, lw=1.5)
    ax_tail.plot(v[:-1], [(n - k - 1) / n for k in range(n - 1)], ls=ls, color=colour, lw=1.5)


@chart("latency-cdf", "Distribution of commit latency during the backup",
       f"Commits scheduled during the backups, pooled over the steady repetitions (every backup), for strategies "
       f"with at least {MIN_TAIL_N} such commits (fewer cannot show a tail; n in the legend, as results.json counts "
       "them); dashed black: every steady trial of the journal mode before its first backup. Right: the fraction "
       "of commits slower than x.")
def latency_cdf(results):
    modes = results.modes
    fig, axes = plt.subplots(len(modes), 2, figsize=(style.WIDTH, 3.4 * len(modes) + 0.3), squeeze=False)
    drawn = False
    for (ax, ax_tail), mode in zip(axes, modes):
        few = []
        variants = results._ordered(r.variant for r in results.rows_of(mode))
        for row in results.rows_of(mode):
            steady = [t for t in row.trials if t.impact_counts]
            n = row.raw["writers_during"]["n"]
            if not steady:
                continue
            if n < MIN_TAIL_N:
                few.append(f"{row.name} n={n}")
                continue
            v = pooled(steady, "impacts")
            if v:
                drawn = True
                # n is results.json's; a shrunk series (the test fixture) may hold fewer: say so.
                label = f"{row.name} (n={n}" + (f", {len(v)} drawn)" if len(v) != n else ")")
                _cdf(ax, ax_tail, v, label, style.colour(results, row.label),
                     ["-", "--", ":", "-."][variants.index(row.variant) % 4])
        base_trials = [t for t in results.trials_of(mode) if t.impact_counts]
        base = pooled(base_trials, "baseline")
        if base:
            _cdf(ax, ax_tail, base, f"before the backups (n={len(base)})", "black", (0, (5, 1.5)))
        for a in (ax, ax_tail):
            a.set_xscale("log")
            a.set_xlabel("commit latency (ms)")
        ax.set_ylabel("fraction ≤ x")
        ax_tail.set_ylabel("fraction > x")
        ax_tail.set_yscale("log")
        ax.set_title(f"{mode} mode", loc="left")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="lower right", fontsize=9)
        if few:
            text = "no tail drawn, too few commits due during the backup: " + ", ".join(few)
            ax_tail.set_title(textwrap.fill(text, 48), fontsize=9, loc="left", color="#555")
    if not drawn:
        plt.close(fig)
        return None
    fig.tight_layout()
    return fig
