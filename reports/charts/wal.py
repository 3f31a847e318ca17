"""The -wal file's size around the backup, WAL mode only, on a shared time axis
cut at the longest completed backup. A backup far longer than the others
(more than LONG times their median) or stopped at its time limit gets its own
panel, so it does not squash the rest against zero. A run of several database
sizes gets a pair of panels per size: a line per strategy and size in one panel
would be a legend no reader can match to its lines."""
import statistics

import matplotlib.pyplot as plt

from charts import chart, style
from charts.timeline import typical

LONG = 5.0
PRE_S = 0.2


def _lines(results, rows=None, without=()):
    """[(name, trial, series, backup start µs, backup seconds)]: one typical trial
    per row (every WAL-mode row unless given), around its first backup; names
    leave out the dimensions in `without`."""
    out = []
    for row in sorted(results.rows_of("wal") if rows is None else rows, key=lambda r: results.labels.index(r.label)):
        t = typical(row)
        s = t.series() if t else None
        if not s or not s.sizes:
            continue
        b0, b1 = s.impact(0)
        out.append((results.row_name(row, without), t, s, b0, (b1 - b0) / 1e6))
    return out


def split(lines):
    """(short, long): long are the backups that did not complete or took more than
    LONG times the median of the completed ones."""
    done = [d for _, t, _, _, d in lines if t.status == "completed"]
    typical_s = statistics.median(done) if done else 0
    long_ = [x for x in lines if x[1].status != "completed" or (typical_s and x[4] > LONG * max(typical_s, 0.02))]
    short = [x for x in lines if x not in long_]
    return short, long_


def _dashes(results, t):
    """One line style per place (filesystem x SQLite build) when the run has several."""
    places = results._ordered((x.filesystem, x.sqlite) for x in results.trials)
    return ["-", "--", ":", "-."][places.index((t.filesystem, t.sqlite)) % 4]


def _panel(ax, results, lines, title):
    done = [d for _, t, _, _, d in lines if t.status == "completed"]
    right = (max(done) if done else max(d for *_, d in lines)) * 1.05 + 0.02
    clipped = []
    for lab, t, s, b0, dur in lines:
        pts = [((x[0] - b0) / 1e6, x[1] / 1e6) for x in s.sizes if -PRE_S <= (x[0] - b0) / 1e6 <= min(dur, right)]
        if not pts:
            continue
        c = style.colour(results, t.label)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color=c, lw=1.6, ls=_dashes(results, t),
                label=lab + ("" if t.status == "completed" else f" ({'time limit' if t.status == 'timeout' else t.status})"))
        if dur <= right:
            ax.plot([pts[-1][0]], [pts[-1][1]], "o", color=c, ms=4)
        else:
            ax.plot([right], [pts[-1][1]], ">", color=c, ms=9, clip_on=False)
            clipped.append(f"{lab} {dur:.1f} s")
    ax.axvline(0, color="black", lw=1)
    ax.set_xlim(-PRE_S, right)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("seconds since the backup started")
    ax.set_ylabel("-wal size (MB)")
    ax.set_title(title + (" (▶ clipped: " + ", ".join(clipped) + ")" if clipped else ""), loc="left", fontsize=10.5)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9.5, frameon=False)
    return right


@chart("wal-growth", "WAL size during the backup",
       "Size of the -wal file in a typical repetition of each strategy (WAL mode), from 0.2 s before the backup; "
       "each line ends where its backup ended (dot). The time axis is cut at the longest completed backup; "
       "backups far longer than the others, or stopped at their time limit, are in a panel of their own (a "
       "backup past the axis's end is clipped with ▶); a run of several database sizes has panels per size. A backup that holds a read transaction stops checkpoints "
       "from resetting the WAL, so the WAL grows.")
def wal_growth(results):
    if "wal" not in results.modes:
        return None
    sizes = results.varies("db_mb")
    panels = []
    for mb in sorted(results.axis("db_mb")) if sizes else [None]:
        rows = results.rows_of("wal", **({"db_mb": mb} if sizes else {}))
        lines = _lines(results, rows, without=("db_mb",) if sizes else ())
        short, long_ = split(lines)
        where = "wal mode" + (f", {mb} MB" if sizes else "")
        panels += [(short, where)] if short else []
        panels += [(long_, where + ": long or time-limited backups")] if long_ else []
    if not panels:
        return None
    fig, axes = plt.subplots(len(panels), 1, figsize=(style.WIDTH, 3.3 * len(panels) + 0.3), squeeze=False,
                             layout="constrained")
    for ax, (ls, title) in zip((a[0] for a in axes), panels):
        _panel(ax, results, ls, title)
    return fig
