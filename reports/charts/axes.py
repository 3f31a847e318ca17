"""Charts for axes a run may have: several database sizes (from the summary
rows), several filesystems or SQLite versions (each trial a dot: the summary
rows do not split by them), and scheduled backups within one trial
(`backups[]`). Each returns None when the run lacks that axis."""
import matplotlib.pyplot as plt
import numpy as np

from charts import chart, style

MODE_STYLES = ["-", "--", ":", "-."]


def fit_s_per_gb(sizes_mb, seconds):
    """Least-squares slope of backup time against size, in seconds per GB."""
    if len(sizes_mb) < 2:
        return None
    slope, _ = np.polyfit(np.array(sizes_mb) / 1024.0, np.array(seconds), 1)
    return float(slope)


@chart("scaling", "Scaling with database size",
       "Medians over repetitions per database size (summary rows): backup time with a fitted time per GB in the "
       "legend, throughput, the longest gap of one writer, and WAL growth during the backup (WAL mode). Line "
       "style: journal mode.")
def scaling(results):
    sizes = sorted({r.db_mb for r in results.rows})
    if len(sizes) < 2:
        return None
    fig, axes = plt.subplots(2, 2, figsize=(style.WIDTH, 7.4))
    panels = [("backup_duration_s", "backup time (s)", 1), ("backup_mb_per_s", "throughput (MB/s)", 1),
              ("max_writer_gap_ms", "longest gap of one writer (ms)", 1), ("wal_growth_bytes", "WAL growth (MB)",
                                                                             1e-6)]
    handles = {}
    for ax, (name, ylabel, scale) in zip(axes.flat, panels):
        for j, mode in enumerate(results.modes):
            for lab in results.labels:
                pts = sorted((r.db_mb, r.median(name)) for r in results.rows_of(mode, lab)
                             if r.median(name) is not None)
                if len(pts) < 2:
                    continue
                xs, ys = [p[0] for p in pts], [p[1] * scale for p in pts]
                legend = f"{lab} · {mode}"
                if name == "backup_duration_s":
                    gb = fit_s_per_gb(xs, ys)
                    legend += f" ({gb:.2f} s/GB)" if gb is not None else ""
                line, = ax.plot(xs, ys, MODE_STYLES[j % 4], marker="o", color=style.colour(results, lab), ms=4)
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


def _strip(results, dim, what):
    """Each steady trial a dot, per strategy (a row), one colour per value of `dim`."""
    values = results.axis(dim)
    if len(values) < 2:
        return None
    modes = results.modes
    labels = [lab for lab in results.labels if any(not t.skipped for t in results.trials_of(label=lab))]
    fig, axes = plt.subplots(2, len(modes), figsize=(style.WIDTH, 0.42 * len(labels) * 2 + 1.6), squeeze=False,
                             sharey=True, layout="constrained")
    for j, mode in enumerate(modes):
        for i, (path, xlabel) in enumerate((("backup/duration_s", "backup time (s)"),
                                            ("writers/max_writer_gap_ms", "longest gap of one writer (ms)"))):
            ax = axes[i][j]
            for k, v in enumerate(values):
                xs, ys = [], []
                for y, lab in enumerate(labels):
                    for t in results.trials_of(mode, lab):
                        if getattr(t, dim) != v:
                            continue
                        ok = t.status == "completed" if i == 0 else t.impact_counts
                        if ok and t.get(path) is not None:
                            xs.append(t.get(path))
                            ys.append(y + (k - (len(values) - 1) / 2) * 0.25)
                ax.plot(xs, ys, "o", ms=5, color=style.WRITER_COLOURS[k % 10], label=f"{what} {v}".strip(),
                        alpha=0.85)
            ax.set_yticks(range(len(labels)), labels)
            ax.set_ylim(len(labels) - 0.5, -0.5)
            ax.set_xlabel(xlabel)
            ax.set_title(f"{mode} mode", loc="left")
        axes[0][j].legend(fontsize=9)
    return fig


@chart("filesystems", "Backup time and writer impact per filesystem",
       "Each dot is one trial (completed backups for time, steady trials for the writer gap), one colour per "
       "filesystem the database was on.")
def filesystems(results):
    return _strip(results, "filesystem", "")


@chart("sqlite-versions", "SQLite versions side by side",
       "Each dot is one trial, one colour per SQLite version (runs merged from builds with different SQLite "
       "versions).")
def sqlite_versions(results):
    return _strip(results, "sqlite_version", "SQLite")


@chart("scheduled-backups", "Scheduled backups within a trial",
       "Trials that ran several backups on a schedule: per backup, its time, the longest gap of one writer "
       "during it, and the -wal size when it ended, against the time it started.")
def scheduled_backups(results):
    trials = [t for t in results.trials if isinstance(t.raw.get("backups"), list) and t.raw["backups"]]
    if not trials:
        return None
    fig, axes = plt.subplots(3, 1, figsize=(style.WIDTH, 8.0), sharex=True)
    seen = set()
    for t in trials:
        key = (t.mode, t.label)
        if key in seen:  # the first repetition of each cell
            continue
        seen.add(key)
        bs = [b for b in t.raw["backups"] if isinstance(b, dict) and isinstance(b.get("start_s"), (int, float))]
        xs = [b["start_s"] for b in bs]
        style_ = MODE_STYLES[results.modes.index(t.mode) % 4]
        c = style.colour(results, t.label)
        for ax, get in zip(axes, (lambda b: b.get("duration_s"),
                                  lambda b: (b.get("writers") or {}).get("max_writer_gap_ms"),
                                  lambda b: (b.get("wal_bytes") or 0) / 1e6 if "wal_bytes" in b else None)):
            pts = [(x, get(b)) for x, b in zip(xs, bs) if isinstance(get(b), (int, float))]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style_, marker="o", ms=4, color=c,
                        label=f"{t.label} · {t.mode}")
    for ax, ylabel in zip(axes, ("backup time (s)", "longest writer gap (ms)", "-wal size (MB)")):
        ax.set_ylabel(ylabel)
        ax.set_xlabel("seconds since the trial started")
        ax.xaxis.set_tick_params(labelbottom=True)
    axes[0].legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    fig.tight_layout()
    return fig
