"""The verdict matrix and the writer-impact bars, both from the summary rows."""
from matplotlib.patches import Patch

from charts import chart, style
import figures as F


@chart("verdicts", "Snapshot verdicts",
       "Each cell counts the verdicts of one strategy in one journal mode, one per snapshot (every backup of "
       "every repetition, on every filesystem and SQLite build of the run). Grey with "
       "'expected': a strategy that is not safe in that mode by design (the unsafe control, exclusive-copy in WAL "
       "mode) produced what it was expected to; red, orange or yellow there would be an alarm.")
def verdicts(results):
    labels, modes = results.labels, results.modes
    fig, axes = style.figure(1, height=0.48 * len(labels) + 0.5)
    ax = axes[0][0]
    for i, lab in enumerate(labels):
        for j, mode in enumerate(modes):
            rows = results.rows_of(mode, lab)
            counts = {}
            for r in rows:
                for k, v in r.raw["verdicts"].items():
                    counts[k] = counts.get(k, 0) + int(v)
                if r.raw["harness_errors"]:  # FAILED in the harness, not in the strategy
                    counts["FAILED"] = counts.get("FAILED", 0) - int(r.raw["harness_errors"])
                    counts["harness error"] = counts.get("harness error", 0) + int(r.raw["harness_errors"])
            # A row whose every trial failed in the harness does not know its expected safety.
            expected_unsafe = rows and not all(r.expected_safe or not r.ran for r in rows)
            # The worst first: wrong snapshots (results.json's table), FAILED, OK, ...
            worst = next((v for v in results.wrong_verdicts + ("FAILED", "OK", "harness error", "SKIPPED")
                          if counts.get(v)), None)
            colour = style.VERDICT_COLOURS.get(worst, "white")
            text = F.verdict_counts(counts) if counts else "not in this run"
            if worst == "SKIPPED" and len([k for k in counts if counts[k]]) == 1:
                text = "not run here"
            elif expected_unsafe and worst in results.wrong_verdicts + ("FAILED",):
                colour = style.EXPECTED_COLOUR
                text += "  (expected)"
            ax.add_patch(__import__("matplotlib").patches.Rectangle((j, i), 1, 1, color=colour, ec="white", lw=2))
            ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=10.5)
    ax.set_xlim(0, len(modes))
    ax.set_ylim(len(labels), 0)
    ax.set_xticks([j + 0.5 for j in range(len(modes))], [f"{m} mode" for m in modes])
    ax.xaxis.tick_top()
    ax.set_yticks([i + 0.5 for i in range(len(labels))], labels)
    ax.tick_params(length=0)
    ax.grid(False)
    for s in ax.spines.values():
        s.set_visible(False)
    harness = any(r.raw["harness_errors"] for r in results.rows)
    handles = [Patch(color=c, label=v) for v, c in style.VERDICT_COLOURS.items()
               if v != "SKIPPED" and (v != "harness error" or harness)]
    handles.append(Patch(color=style.EXPECTED_COLOUR, label="not OK, as expected"))
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), frameon=False, fontsize=9.5,
               handlelength=1.2, columnspacing=1.0)
    fig.tight_layout(rect=(0, 0.55 / (0.48 * len(labels) + 1.1), 1, 1))
    return fig


def _impact_note(results, row):
    """One or two short lines for the right of a bar."""
    r = row.raw
    if r["steady"] == 0:
        return "no steady trial" if not row.all_skipped else "not run here"
    first = []
    d = row.median("delayed_commits")
    if d is not None:
        first.append(f"{d:g} delayed")
    p = r["writers_during"]
    if p["n"]:
        first.append(F.percentile(p).replace(" (n=", ", n=").rstrip(")") if p["p99_ms"] is not None
                     else F.percentile(p))
    else:
        first.append("no commit due")
    second = []
    if r["unsteady"]:
        second.append(f"{r['unsteady']} unsteady left out")
    if not results.impact_representative(row.strategy):
        second.append("freezes processes: not representative")
    return " · ".join(first) + ("\n" + " · ".join(second) if second else "")


@chart("writer-impact", "Writer impact per strategy",
       "Bar: the longest gap of one writer between its own commits during a backup, beyond the gap its own "
       "schedule allows (results.json's max_writer_stall_ms), median over the steady backups (whiskers: smallest "
       "and largest). No bar: no measurable impact. Grey tick: one schedule period; a difference smaller than "
       "that can be the phase of the schedule. Hatched: not representative of a real backup. On the right: "
       "commits delayed beyond the baseline's p99 (median per backup) and the commit latency during the backups, "
       "as p99 with its sample count n when there are at least 100 samples, else the maximum of n.")
def writer_impact(results):
    modes = results.modes
    rows_per_mode = [[r for r in results.rows_of(mode) if not r.all_skipped] for mode in modes]
    heights = [0.46 * max(1, len(rs)) + 1.0 for rs in rows_per_mode]
    if not any(r.raw["steady"] for rs in rows_per_mode for r in rs):
        return None
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    fig, axes = plt.subplots(len(modes), 2, figsize=(style.WIDTH, sum(heights) + 0.3), squeeze=False,
                             layout="constrained",
                             gridspec_kw={"height_ratios": heights, "width_ratios": [2.0, 1.0]})
    fig.get_layout_engine().set(hspace=0.08, wspace=0.0)
    for (ax, ax_note), mode, rows in zip(axes, modes, rows_per_mode):
        for i, r in enumerate(rows):
            g = r.figure("max_writer_stall_ms")
            if r.floor_ms:
                ax.plot([r.floor_ms], [i], marker="|", ms=16, mew=1.6, color="#888", ls="", zorder=4)
            if g["median"] is None:
                continue
            representative = results.impact_representative(r.strategy)
            ax.barh(i, g["median"], height=0.62, color=style.colour(results, r.label) if representative else "white",
                    edgecolor="#444", hatch="" if representative else "///", lw=0.6)
            ax.errorbar(g["median"], i, xerr=[[g["median"] - g["min"]], [g["max"] - g["median"]]], color="black",
                        capsize=3, lw=1)
        # Notes live in their own panel, one line per bar: they cannot overlap.
        ax_note.set_ylim(len(rows) - 0.4, -1.0)
        ax_note.axis("off")
        for i, r in enumerate(rows):
            ax_note.text(0.02, i, _impact_note(results, r), va="center", fontsize=9.5, linespacing=1.1)
        ax.set_yticks(range(len(rows)), [r.name + ("" if r.expected_safe else "\n(unsafe here)") for r in rows],
                      linespacing=1.0)
        ax.set_ylim(len(rows) - 0.4, -1.0)
        ax.set_xlim(left=0)
        ax.set_xlabel("longest wait of one writer beyond its schedule (ms)")
        ax.set_title(f"{mode} mode", loc="left")
        ax.grid(axis="y", visible=False)
        ax.legend(handles=[Line2D([], [], marker="|", ms=12, mew=1.6, color="#888", ls="",
                                  label="one schedule period")], loc="upper right", fontsize=9, frameon=False)
    return fig
