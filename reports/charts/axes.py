"""Charts for axes a run may have, each None when the run lacks it: several
database sizes, several filesystems, several SQLite builds (all three from the
summary rows, which results.json splits by size, filesystem and build), and
several backups on a schedule within a trial (from each trial's `backups[]` and
its series.json)."""
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from charts import chart, style

MODE_STYLES = ["-", "--", ":", "-."]


def fit_s_per_gb(sizes_mb, seconds):
    """Least-squares slope of backup time against size, in seconds per GB."""
    if len(sizes_mb) < 2:
        return None
    slope, _ = np.polyfit(np.array(sizes_mb) / 1024.0, np.array(seconds), 1)
    return float(slope)


@chart("scaling", "Scaling with database size",
       "Medians per database size (summary rows): backup time with a fitted time per GB in the legend, "
       "throughput, the longest wait of one writer beyond its schedule, and WAL growth during the backup (WAL "
       "mode). Line style: journal mode.")
def scaling(results):
    sizes = sorted({r.db_mb for r in results.rows})
    if len(sizes) < 2:
        return None
    fig, axes = plt.subplots(2, 2, figsize=(style.WIDTH, 7.4))
    panels = [("backup_duration_s", "backup time (s)", 1), ("backup_mb_per_s", "throughput (MB/s)", 1),
              ("max_writer_stall_ms", "writer wait beyond schedule (ms)", 1),
              ("wal_growth_bytes", "WAL growth (MB)", 1e-6)]
    # One line per row without its size: mode x label x writers x filesystem x SQLite build.
    lines = {}
    for r in results.rows:
        lines.setdefault((r.mode, results.row_name(r, without=("db_mb",))), []).append(r)
    handles = {}
    for ax, (name, ylabel, scale) in zip(axes.flat, panels):
        for (mode, line_name), rows in lines.items():
            pts = sorted((r.db_mb, r.median(name)) for r in rows if r.median(name) is not None)
            if len(pts) < 2:
                continue
            xs, ys = [p[0] for p in pts], [p[1] * scale for p in pts]
            legend = f"{line_name} · {mode}"
            if name == "backup_duration_s":
                gb = fit_s_per_gb(xs, ys)
                legend += f" ({gb:.2f} s/GB)" if gb is not None else ""
            line, = ax.plot(xs, ys, MODE_STYLES[results.modes.index(mode) % 4], marker="o",
                            color=style.colour(results, rows[0].label), ms=4)
            if name == "backup_duration_s":
                handles[legend] = line
        ax.set_xscale("log")
        ax.set_xticks(sizes, [f"{x:g}" for x in sizes])
        ax.minorticks_off()
        ax.set_xlabel("database size (MB)")
        ax.set_ylabel(ylabel)
        if not ax.lines:
            style.note(ax, "no data" if name != "wal_growth_bytes" else "no WAL-mode data")
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=2, fontsize=9, frameon=False)
    rows = (len(handles) + 1) // 2
    fig.tight_layout(rect=(0, 0.22 * rows / 7.4 + 0.02, 1, 1))
    return fig


SIDE_BY_SIDE = [("backup_duration_s", "backup time (s)", "completed backups"),
                ("max_writer_stall_ms", "writer wait beyond schedule (ms)", "steady backups")]


def side_by_side(results, dim, value_words):
    """Summary rows compared along `dim` ("filesystem" or "sqlite"): per journal
    mode (a row of panels), per strategy and whatever else varies (a group of
    bars), one bar per value of `dim`: backup time and the writers' wait beyond
    their schedule, medians with their range. None when the run has one value."""
    values = results._ordered(r.raw[dim] for r in results.rows if not r.all_skipped)
    if len(values) < 2:
        return None
    words = {v: value_words(next(r for r in results.rows if r.raw[dim] == v)) for v in values}
    modes = results.modes
    groups = []  # per mode: [(group name, {value: row})]
    for mode in modes:
        g = {}
        for r in results.rows_of(mode):
            g.setdefault(results.row_name(r, without=(dim,)), {})[r.raw[dim]] = r
        groups.append([(name, by) for name, by in g.items() if any(not r.all_skipped for r in by.values())])
    heights = [0.28 * len(values) * max(1, len(gs)) + 1.0 for gs in groups] + [0.35]
    fig, axes = plt.subplots(len(modes) + 1, len(SIDE_BY_SIDE), figsize=(style.WIDTH, sum(heights) + 0.3),
                             squeeze=False, sharey="row", layout="constrained",
                             gridspec_kw={"height_ratios": heights})
    key = legend_axes(fig, axes[-1])
    step = 0.8 / len(values)
    ns = set()
    for mode, gs, ax_row in zip(modes, groups, axes):
        for (figure, xlabel, _), ax in zip(SIDE_BY_SIDE, ax_row):
            top = max([r.figure(figure)["max"] or 0 for _, by in gs for r in by.values()] + [1e-9])
            for i, (_, by) in enumerate(gs):
                for k, v in enumerate(values):
                    y = i - 0.4 + step * (k + 0.5)
                    r = by.get(v)
                    f = r.figure(figure) if r else None
                    if f is None or f["median"] is None:
                        why = "not in this run" if r is None else "not run here" if r.all_skipped else "n/a"
                        ax.text(top * 0.01, y, why, va="center", fontsize=8, color="#777")
                        continue
                    ns.add(f["n"])
                    if f["median"] == 0:
                        ax.text(top * 0.01, y, "0", va="center", fontsize=8, color="#333")
                    ax.barh(y, f["median"], height=step * 0.9, color=style.WRITER_COLOURS[k % 10],
                            edgecolor="#444", lw=0.5)
                    ax.errorbar(f["median"], y, xerr=[[f["median"] - f["min"]], [f["max"] - f["median"]]],
                                color="black", capsize=2, lw=0.8)
            ax.set_yticks(range(len(gs)), [name for name, _ in gs])
            ax.set_ylim(len(gs) - 0.5, -0.5)
            ax.set_xlim(0, top * 1.08)
            ax.set_xlabel(xlabel)
            ax.grid(axis="y", visible=False)
            ax.set_title(f"{mode} mode", loc="left")
    key.legend(handles=[Patch(color=style.WRITER_COLOURS[k % 10], label=words[v]) for k, v in enumerate(values)],
               loc="center left", ncol=len(values), frameon=False, fontsize=9.5)
    few = f"{min(ns)}" if len(ns) == 1 else f"{min(ns)} to {max(ns)}"
    key.text(1.0, 0.5, f"each bar: median of {few} backup{'s' if max(ns) > 1 else ''}"
             + (" (a difference is one sample each, not a trend)" if max(ns) == 1 else ""),
             ha="right", va="center", fontsize=9, color="#555", transform=key.transAxes)
    return fig


def legend_axes(fig, row):
    """One axes spanning a row of panels, for a legend below them (matplotlib 3.6
    lays out figure legends over the panels)."""
    gs = row[0].get_subplotspec().get_gridspec()
    for ax in row:
        ax.remove()
    ax = fig.add_subplot(gs[-1, :])
    ax.axis("off")
    return ax


@chart("filesystems", "Backup time and writer stall per filesystem",
       "From the summary rows: per journal mode and strategy, one bar per filesystem the database was on. Left: "
       "backup time, median over the completed backups; right: the longest wait of one writer beyond its "
       "schedule, median over the steady backups; whiskers: smallest and largest. 'not run here': the strategy "
       "cannot run on that filesystem. Each filesystem has its own capacity probe, so the writers' rate differs "
       "between them (see Capacity probes).")
def filesystems(results):
    return side_by_side(results, "filesystem", lambda r: r.filesystem)


@chart("sqlite-versions", "SQLite versions side by side",
       "From the summary rows: per journal mode and strategy, one bar per SQLite build the cell ran with (its "
       "workers, backup and validator). Left: backup time, median over the completed backups; right: the longest "
       "wait of one writer beyond its schedule, median over the steady backups; whiskers: smallest and largest. "
       "Each build has its own capacity probe, so the writers' rate differs between them (see Capacity probes).")
def sqlite_versions(results):
    return side_by_side(results, "sqlite", lambda r: f"SQLite {r.sqlite_version}"
                        + (" (system)" if r.sqlite == "system" else ""))


def _latency(b):
    """A backup's writer latency during it: (ms, is_p99). p99 when its n supports
    one, else the maximum of its n; None when no commit was due."""
    d = b.during
    if d["p99_ms"] is not None:
        return d["p99_ms"], True
    return (d["max_ms"], False) if d["n"] else (None, False)


@chart("scheduled-backups", "Backups on a schedule",
       "Trials that ran several backups while the load continued, against the time each backup started. Backup "
       "time (▶: stopped at its time limit); the writers' commit latency during each backup, as p99 (filled) "
       "where at least 100 commits were due in it, else the maximum of those that were (hollow, n beside it); "
       "the longest wait of one writer beyond its schedule; and the -wal file's size over the whole trial, each "
       "backup shaded. Writer figures come from steady trials only.")
def scheduled_backups(results):
    trials = [t for t in results.trials if len(t.backups) > 1 and not t.skipped and t.harness_error is None]
    if not trials:
        return None
    wal = [t for t in trials if t.mode == "wal" and t.series() and t.series().sizes]
    panels = 3 + bool(wal)
    key_h = 0.25 * ((len(trials) + 3) // 2) + 0.2
    fig, all_axes = plt.subplots(panels + 1, 1, figsize=(style.WIDTH, 2.3 * panels + key_h + 0.3),
                                 layout="constrained", gridspec_kw={"height_ratios": [2.3] * panels + [key_h]})
    axes, key_ax = all_axes[:-1], legend_axes(fig, all_axes[-1:])
    for ax in axes[1:]:
        ax.sharex(axes[0])
    reps = len({t.repetition for t in trials}) > 1
    # One line style per journal mode, filesystem, build and repetition: the
    # colour is the strategy's, so one strategy in two modes differs by style.
    places = results._ordered((t.mode, t.filesystem, t.sqlite, t.repetition) for t in trials)
    handles = []
    for j, t in enumerate(trials):
        row = next(r for r in results.rows if r.key == t.key)
        c = style.colour(results, t.label)
        ls = MODE_STYLES[places.index((t.mode, t.filesystem, t.sqlite, t.repetition)) % len(MODE_STYLES)]
        name = f"{row.name} · {t.mode}" + (f" · rep {t.repetition}" if reps else "")
        handles.append(Line2D([], [], color=c, ls=ls, marker="o", ms=4, label=name))
        xs = [b.start_s for b in t.backups]
        done = [(b.start_s, b.duration_s) for b in t.backups if b.status == "completed"]
        axes[0].plot([x for x, _ in done], [d for _, d in done], ls=ls, marker="o", ms=4, color=c)
        for b in t.backups:
            if b.status == "timeout" and b.get("backup/time_limit_s"):
                axes[0].plot([b.start_s], [b.get("backup/time_limit_s")], marker=">", ms=9, color=c, ls="")
        if t.impact_counts:
            lat = [_latency(b) for b in t.backups]
            axes[1].plot([x for x, (v, _) in zip(xs, lat) if v is not None], [v for v, _ in lat if v is not None],
                         ls=ls, color=c, lw=1)
            for x, b, (v, is_p99) in zip(xs, t.backups, lat):
                if v is None:
                    continue
                axes[1].plot([x], [v], marker="o", ms=5, ls="", color=c, mfc=c if is_p99 else "white")
                if not is_p99:
                    axes[1].annotate(f"n={b.during['n']}", (x, v), textcoords="offset points",
                                     xytext=(5, 4 if j % 2 == 0 else -11), fontsize=8, color=c)
            stalls = [(x, b.stall_ms) for x, b in zip(xs, t.backups) if b.stall_ms is not None]
            axes[2].plot([x for x, _ in stalls], [v for _, v in stalls], ls=ls, marker="o", ms=4, color=c)
        if t in wal:
            s = t.series()
            axes[3].plot([p[0] / 1e6 for p in s.sizes], [p[1] / 1e6 for p in s.sizes], ls=ls, color=c, lw=1.2)
            for b0, b1 in s.impacts:
                axes[3].axvspan(b0 / 1e6, b1 / 1e6, color=style.WINDOW_COLOUR, alpha=0.12, lw=0)
    labels = ["backup time (s)", "writer latency during (ms)", "writer wait beyond\nschedule (ms)",
              "-wal size (MB)"]
    for ax, ylabel in zip(axes, labels):
        ax.set_ylabel(ylabel)
        if ax is not axes[1]:
            ax.set_ylim(bottom=0)
        ax.xaxis.set_tick_params(labelbottom=True)
    axes[1].set_yscale("log")
    axes[-1].set_xlabel("seconds since the trial started")
    key = [Line2D([], [], marker="o", ls="", color="#444", label="p99"),
           Line2D([], [], marker="o", ls="", color="#444", mfc="white", label="max of n (n < 100)")]
    if wal:
        key.append(Patch(color=style.WINDOW_COLOUR, alpha=0.25, label="a backup"))
    key_ax.legend(handles=handles + key, loc="center", ncol=2, fontsize=9, frameon=False)
    return fig
