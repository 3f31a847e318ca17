"""Backup time and throughput per strategy, from the summary rows. A backup that
hit its time limit or failed has no duration: it is drawn as a mark at the
limit (or a note), never as a bar."""
import matplotlib.pyplot as plt

from charts import chart, style


def _limit(results, row):
    limits = [t.get("backup/time_limit_s") for t in row.trials if t.get("backup/time_limit_s")]
    return max(limits) if limits else None


@chart("backup-speed", "Backup time and throughput",
       "Bars: median over the completed backups (whiskers: fastest and slowest); n is the number of completed "
       "backups (every backup of every repetition). A backup stopped at its time limit has no duration: it is "
       "marked at the limit (▶|), and failed backups are counted beside the bar. raw-copy is a plain file copy "
       "and shows the disk's own speed.")
def backup_speed(results):
    modes = results.modes
    rows_per_mode = [[r for r in results.rows_of(mode) if not r.all_skipped] for mode in modes]
    if not any(r.figure("backup_duration_s")["n"] or r.raw["backup_statuses"].get("timeout")
               for rs in rows_per_mode for r in rs):
        return None
    heights = [0.4 * max(1, len(rs)) + 0.9 for rs in rows_per_mode]
    fig, axes = plt.subplots(len(modes), 3, figsize=(style.WIDTH, sum(heights) + 0.4), squeeze=False,
                             layout="constrained",
                             gridspec_kw={"height_ratios": heights, "width_ratios": [1.5, 0.5, 0.9]})
    fig.get_layout_engine().set(hspace=0.08, wspace=0.0)
    durations = [r.figure("backup_duration_s") for rs in rows_per_mode for r in rs]
    limits = [_limit(results, r) for rs in rows_per_mode for r in rs if r.raw["backup_statuses"].get("timeout")]
    lo = min([d["min"] for d in durations if d["min"]] + [x for x in limits if x] or [1e-3])
    hi = max([d["max"] for d in durations if d["max"]] + [x for x in limits if x] or [1])
    log = hi / max(lo, 1e-6) > 30
    for (ax_t, ax_n, ax_s), mode, rows in zip(axes, modes, rows_per_mode):
        names = [r.name for r in rows]
        for i, r in enumerate(rows):
            c = style.colour(results, r.label)
            d, s = r.figure("backup_duration_s"), r.figure("backup_mb_per_s")
            notes = []
            if d["median"] is not None:
                ax_t.barh(i, d["median"], height=0.62, color=c, edgecolor="#444", lw=0.6)
                ax_t.errorbar(d["median"], i, xerr=[[d["median"] - d["min"]], [d["max"] - d["median"]]],
                              color="black", capsize=3, lw=1)
                notes.append(f"n={d['n']}")
            if s["median"] is not None:
                ax_s.barh(i, s["median"], height=0.62, color=c, edgecolor="#444", lw=0.6)
                ax_s.errorbar(s["median"], i, xerr=[[s["median"] - s["min"]], [s["max"] - s["median"]]],
                              color="black", capsize=3, lw=1)
            timeouts = r.raw["backup_statuses"].get("timeout", 0)
            failed = r.raw["backup_statuses"].get("failed", 0) - r.raw["harness_errors"]
            limit = _limit(results, r)
            if timeouts and limit:
                ax_t.plot([limit], [i], marker=">", color="#6a1b9a", ms=9, ls="")
                ax_t.plot([limit, limit], [i - 0.3, i + 0.3], color="#6a1b9a", lw=2)
                notes.append(f"{timeouts}× hit the {limit:g} s limit")
            if failed > 0:
                notes.append(f"{failed}× failed")
            # Notes go in the row's own line at the right of the panel: they cannot overlap.
            ax_n.text(0.03, i, "\n".join(notes), va="center", fontsize=9.5, linespacing=1.1,
                      color="#333" if not (timeouts or failed > 0) else "#6a1b9a")
        ax_n.set_ylim(len(rows) - 0.4, -0.6)
        ax_n.axis("off")
        for ax in (ax_t, ax_s):
            ax.set_ylim(len(rows) - 0.4, -0.6)
            ax.grid(axis="y", visible=False)
        ax_t.set_yticks(range(len(rows)), names)
        ax_s.set_yticks(range(len(rows)), [""] * len(rows))
        if log:
            ax_t.set_xscale("log")
            ax_t.set_xlim(lo / 1.6, hi * 1.6)
        else:
            ax_t.set_xlim(0, hi * 1.1)
        ax_t.set_xlabel("backup time (s)")
        ax_s.set_xlabel("throughput (MB/s)")
        ax_t.set_title(f"{mode} mode: backup time", loc="left")
        ax_s.set_title("throughput", loc="left")
    return fig
