"""The -wal file's size around the backup, WAL mode only: one shared time axis cut
at the longest completed backup, so a backup that ran to its time limit does
not squash the others (it is clipped, with a mark and its real length)."""
import matplotlib.pyplot as plt

from charts import chart, style
from charts.timeline import typical


@chart("wal-growth", "WAL size during the backup",
       "Size of the -wal file in a typical repetition of each strategy (WAL mode), on one time axis from 0.2 s "
       "before the backup to the end of the longest completed backup; each line ends where its backup ended "
       "(dot). A backup that ran longer (a time limit) is clipped at the right edge with ▶ and its length. A "
       "backup that holds a read transaction stops checkpoints from resetting the WAL, so the WAL grows.")
def wal_growth(results):
    modes = [m for m in results.modes if m == "wal"]
    if not modes:
        return None
    lines = []
    for lab in results.labels:
        t = typical(results, "wal", lab)
        s = t.series() if t else None
        if not s or not s.sizes:
            continue
        b0, b1 = s.window("impact")
        lines.append((lab, t, s, b0, (b1 - b0) / 1e6))
    if not lines:
        return None
    done = [d for lab, t, s, b0, d in lines if t.status == "completed"]
    cut = max(done) if done else max(d for *_, d in lines)
    pre = 0.2
    right = cut * 1.05 + 0.02
    fig, axes = style.figure(1, height=3.6)
    ax = axes[0][0]
    clipped = []
    for lab, t, s, b0, dur in lines:
        pts = [((x[0] - b0) / 1e6, x[1] / 1e6) for x in s.sizes if -pre <= (x[0] - b0) / 1e6 <= min(dur, right)]
        if not pts:
            continue
        c = style.colour(results, lab)
        ax.plot([p[0] for p in pts], [p[1] for p in pts], color=c, lw=1.6,
                label=lab + ("" if t.status == "completed" else f" ({t.status})"))
        if dur <= right:
            ax.plot([pts[-1][0]], [pts[-1][1]], "o", color=c, ms=4)
        else:
            ax.plot([right], [pts[-1][1]], ">", color=c, ms=9, clip_on=False)
            clipped.append(f"{lab} ran {dur:.2f} s ({t.status})")
    ax.axvline(0, color="black", lw=1)
    ax.set_xlim(-pre, right)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("seconds since the backup started")
    ax.set_ylabel("-wal file size (MB)")
    ax.set_title("wal mode" + ("; clipped: " + ", ".join(clipped) if clipped else ""), loc="left", fontsize=10.5)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=9.5, frameon=False)
    fig.tight_layout()
    return fig
