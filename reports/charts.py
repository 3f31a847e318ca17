"""The report's charts (matplotlib, Agg): each is written as NAME.png and NAME.svg
in the output folder; each function returns the chart's name, or None when the
run has no data for it."""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

import bbdata as D  # noqa: E402

KNOWN = ["online", "vacuum-into", "exclusive-copy", "raw-copy", "wal-snapshot-copy", "cli-backup", "fs-snapshot"]
PALETTE = plt.get_cmap("tab10").colors
VERDICT_COLOURS = {"OK": "#4caf50", "STALE": "#fdd835", "INCONSISTENT": "#fb8c00", "CORRUPT": "#e53935",
                   "FAILED": "#6a1b9a", "SKIPPED": "#bdbdbd", "HARNESS ERROR": "#90a4ae"}
MODE_HATCH = {0: "", 1: "//", 2: "..", 3: "xx"}

plt.rcParams.update({"font.size": 10, "axes.titlesize": 10.5, "figure.titlesize": 12.5,
                     "legend.fontsize": 9, "axes.grid": True, "grid.alpha": 0.3, "svg.fonttype": "none"})


class Charts:
    def __init__(self, results, out_dir, context):
        self.r = results
        self.trials = results["trials"]
        self.out = out_dir
        self.context = context  # one line: what was measured on what
        self.labels = D.labels(self.trials)
        self.modes = D.modes(self.trials)
        self.groups = D.groups(self.trials)

    def colour(self, label):
        strategy = next((t["strategy"] for t in self.trials if t.get("label") == label), label)
        if label in KNOWN:
            return PALETTE[KNOWN.index(label)]
        if strategy in KNOWN:  # a variant of a known strategy: the light shade of its hue
            return plt.get_cmap("tab20").colors[2 * KNOWN.index(strategy) + 1]
        return PALETTE[(7 + self.labels.index(label)) % 10]

    def save(self, fig, name, title):
        fig.suptitle(f"{title}\n{self.context}", fontsize=11.5)
        for ext in ("png", "svg"):
            fig.savefig(os.path.join(self.out, f"{name}.{ext}"), dpi=110 if ext == "png" else None,
                        bbox_inches="tight")
        plt.close(fig)
        return name

    # --- latency over time, one panel per strategy × mode, backup window shaded
    def latency_timeline(self):
        rows = [lab for lab in self.labels]
        if not rows:
            return None
        fig, axes = plt.subplots(len(rows), len(self.modes), figsize=(6.2 * len(self.modes), 2.3 * len(rows) + 1),
                                 squeeze=False, sharey=True)
        for i, lab in enumerate(rows):
            for j, mode in enumerate(self.modes):
                ax = axes[i][j]
                ts = self.groups.get((mode, lab), [])
                t = D.representative(ts)
                ax.set_title(f"{lab} · {mode}" + (f" · rep {t.get('repetition')}" if t else ""))
                s = D.load_series(t) if t else None
                if not s or not s.get("commits"):
                    why = "skipped" if ts and all(D.skipped(x) for x in ts) else "no data"
                    if ts and D.get(ts[0], "backup/error"):
                        why += ": " + str(D.get(ts[0], "backup/error"))[:60]
                    ax.text(0.5, 0.5, why, ha="center", va="center", transform=ax.transAxes, color="grey")
                    continue
                ev = s["events"]
                bs, be = ev["backup_start_ms"], ev["backup_end_ms"]
                xs = [(c[0] - bs) / 1000 for c in s["commits"]]
                ys = [max(c[1], 1e-3) for c in s["commits"]]
                ax.axvspan(0, (be - bs) / 1000, color="#e53935", alpha=0.18, lw=0, label="backup window")
                for edge in (0, (be - bs) / 1000):  # edges keep a window of a few ms visible
                    ax.axvline(edge, color="#e53935", lw=0.8, alpha=0.8)
                ax.scatter(xs, ys, s=3, color=self.colour(lab), alpha=0.6, lw=0, rasterized=True)  # SVG stays small
                ax.set_yscale("log")
                v = D.verdict(t)
                ax.text(0.99, 0.95, v, transform=ax.transAxes, ha="right", va="top", fontsize=9,
                        bbox=dict(fc=VERDICT_COLOURS.get(v, "white"), ec="none", alpha=0.8))
                if i == len(rows) - 1:
                    ax.set_xlabel("time since backup start (s)")
                if j == 0:
                    ax.set_ylabel("commit latency (ms)")
        handles = [Patch(color="#e53935", alpha=0.3, label="backup window"),
                   plt.Line2D([], [], marker="o", ls="", color="grey", label="one writer commit (response time)")]
        height = 2.3 * len(rows) + 1  # inches; the legend goes below the panels, the title above
        fig.legend(handles=handles, loc="lower center", ncol=2, bbox_to_anchor=(0.5, 0), frameon=False)
        fig.tight_layout(rect=(0, 0.45 / height, 1, 1 - 0.75 / height))
        return self.save(fig, "latency-timeline", "Writer commit latency over time (typical repetition per cell)")

    def _bars(self, ax, metric, ylabel, log=True, ref=None):
        """Grouped bars: x = label, one bar per mode; median with min–max whiskers."""
        n = len(self.modes)
        width = 0.8 / max(n, 1)
        any_data = False
        for j, mode in enumerate(self.modes):
            for i, lab in enumerate(self.labels):
                v = D.values(self.groups.get((mode, lab), []), metric)
                x = i + (j - (n - 1) / 2) * width
                if not v:
                    ax.text(x, 0.02, "n/a", transform=ax.get_xaxis_transform(), ha="center", fontsize=7,
                            color="grey")
                    continue
                any_data = True
                m = D.median(v)
                ax.bar(x, m, width * 0.92, color=self.colour(lab), hatch=MODE_HATCH.get(j, ""),
                       edgecolor="black", lw=0.5)
                ax.errorbar(x, m, yerr=[[m - min(v)], [max(v) - m]], color="black", capsize=3, lw=1)
                unfinished = sum(1 for t in self.groups.get((mode, lab), [])
                                 if D.get(t, "backup/status") in ("failed", "timeout") and not D.harness_failed(t))
                if unfinished:  # its duration is the time limit or the time to fail, not a backup time
                    ax.annotate(f"{unfinished}× failed/\ntimed out", (x, max(v)), xytext=(0, 4),
                                textcoords="offset points", ha="center", fontsize=7.5, color="#6a1b9a")
                if ref:
                    rv = D.values(self.groups.get((mode, lab), []), ref)
                    if rv:
                        ax.plot([x - width / 2, x + width / 2], [D.median(rv)] * 2, color="black", ls=":", lw=1.5)
        ax.set_xticks(range(len(self.labels)))
        ax.set_xticklabels(self.labels, rotation=20, ha="right")
        ax.set_ylabel(ylabel)
        # Log only when the values span orders of magnitude; bars on a short log axis mislead.
        lo, hi = self._span(metric)
        if log and any_data and lo > 0 and hi / lo > 50:
            ax.set_yscale("log")
            ax.set_ylim(top=ax.get_ylim()[1] * 3)  # room for the failed/timed-out notes
        else:
            ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.12)
        return any_data

    def _span(self, metric):
        v = [x for ts in self.groups.values() for x in D.values(ts, metric) if x > 0]
        return (min(v), max(v)) if v else (0, 0)

    def _mode_legend(self, extra=()):
        h = [Patch(facecolor="white", edgecolor="black", hatch=MODE_HATCH.get(j, ""), label=f"{m} mode")
             for j, m in enumerate(self.modes)]
        return h + list(extra)

    # --- longest stall and p99 during the backup
    def stall_p99(self):
        fig, axes = plt.subplots(2, 1, figsize=(12, 9))
        ok = self._bars(axes[0], "writers/during/p99_ms", "writer commit p99 during backup (ms)",
                        ref="writers/baseline/p99_ms")
        axes[0].set_title("p99 commit latency during the backup window")
        self._bars(axes[1], "writers/max_stall_ms", "longest writer stall (ms)")
        axes[1].set_title("Longest interval with no writer commit")
        if not ok:
            plt.close(fig)
            return None
        extra = [plt.Line2D([], [], color="black", ls=":", lw=1.5, label="baseline p99 (before backup)"),
                 plt.Line2D([], [], color="black", marker="_", ls="-", label="min–max over repetitions")]
        axes[0].legend(handles=self._mode_legend(extra), loc="upper left", bbox_to_anchor=(1.01, 1))
        fig.tight_layout(rect=(0, 0, 1, 0.93))
        return self.save(fig, "stall-p99", "Writer impact per strategy and journal mode (bar = median)")

    # --- latency CDF during the backup, with the baseline
    def latency_cdf(self):
        fig, axes = plt.subplots(len(self.modes), 2, figsize=(13, 4.2 * len(self.modes)), squeeze=False)
        drawn = False
        for i, mode in enumerate(self.modes):
            base = []
            for lab in self.labels:
                during = []
                for t in self.groups.get((mode, lab), []):
                    s = D.load_series(t) if not D.skipped(t) else None
                    if not s:
                        continue
                    b, d, _ = D.window_commits(s)
                    base += b
                    during += d
                if during:
                    drawn = True
                    self._cdf(axes[i][0], axes[i][1], during, lab, self.colour(lab), "-")
            if base:
                self._cdf(axes[i][0], axes[i][1], base, "baseline (no backup)", "black", "--")
            for k, ax in enumerate(axes[i]):
                ax.set_xscale("log")
                ax.set_xlabel("commit latency (ms)")
                ax.set_title(f"{mode} mode: " + ("CDF of commit latency during the backup" if k == 0 else
                                                  "tail: fraction of commits slower than x"))
            axes[i][0].set_ylabel("fraction of commits ≤ x")
            axes[i][1].set_ylabel("fraction of commits > x")
            axes[i][1].set_yscale("log")
            axes[i][1].legend(*axes[i][0].get_legend_handles_labels(), loc="lower left", fontsize=8.5)
        if not drawn:
            plt.close(fig)
            return None
        fig.tight_layout(rect=(0, 0, 1, 0.95))
        return self.save(fig, "latency-cdf", "Writer commit latency distribution during the backup vs baseline "
                                             "(all repetitions pooled)")

    @staticmethod
    def _cdf(ax, ax_tail, v, label, colour, ls):
        v = sorted(max(x, 1e-3) for x in v)
        n = len(v)
        ys = [(k + 1) / n for k in range(n)]
        ax.plot(v, ys, ls=ls, color=colour, label=f"{label} (n={n})", lw=1.4)
        tail = [(n - k - 1) / n for k in range(n - 1)]
        ax_tail.plot(v[:-1], tail, ls=ls, color=colour, lw=1.4)

    # --- backup duration and throughput
    def backup_speed(self):
        fig, axes = plt.subplots(2, 1, figsize=(12, 9))
        ok = self._bars(axes[0], "backup/duration_s", "backup duration (s)")
        axes[0].set_title("Backup duration")
        self._bars(axes[1], "backup/mb_per_s", "throughput (MB/s)")
        axes[1].set_title("Backup throughput (bytes of the snapshot / duration)")
        if not ok:
            plt.close(fig)
            return None
        extra = []
        styles = ["--", ":", "-.", (0, (5, 1))]
        for j, mode in enumerate(self.modes):
            v = D.values(self.groups.get((mode, "raw-copy"), []), "backup/mb_per_s")
            if v:
                axes[1].axhline(D.median(v), color="black", ls=styles[j % 4], lw=1)
                extra.append(plt.Line2D([], [], color="black", ls=styles[j % 4],
                                        label=f"plain file copy (raw-copy), {mode}"))
        extra.append(plt.Line2D([], [], color="black", marker="_", ls="-", label="min–max over repetitions"))
        axes[0].legend(handles=self._mode_legend(extra), loc="upper left", bbox_to_anchor=(1.01, 1))
        fig.tight_layout(rect=(0, 0, 1, 0.93))
        return self.save(fig, "backup-speed", "Backup duration and throughput per strategy (bar = median)")

    # --- WAL size over time around the backup
    def wal_growth(self):
        modes = []
        for mode in self.modes:
            if any(max((x[1] for x in (D.load_series(t) or {}).get("sizes", [])), default=0) > 0
                   for t in self.trials if t.get("mode") == mode and not D.skipped(t)):
                modes.append(mode)
        if not modes:
            return None
        fig, axes = plt.subplots(1, len(modes), figsize=(7 * len(modes), 4.6), squeeze=False)
        for j, mode in enumerate(modes):
            ax = axes[0][j]
            longest = 0
            for lab in self.labels:
                t = D.representative(self.groups.get((mode, lab), []))
                s = D.load_series(t) if t else None
                if not s or not s.get("sizes"):
                    continue
                bs, be = s["events"]["backup_start_ms"], s["events"]["backup_end_ms"]
                longest = max(longest, (be - bs) / 1000)
                pts = [((x[0] - bs) / 1000, x[1] / 1e6) for x in s["sizes"]
                       if bs - 1000 <= x[0] <= be + 1000]
                if not pts:
                    continue
                ax.plot([p[0] for p in pts], [p[1] for p in pts], color=self.colour(lab), lw=1.5, label=lab)
                ax.axvline((be - bs) / 1000, color=self.colour(lab), ls=":", lw=1)
            ax.axvline(0, color="black", lw=1)
            ax.set_title(f"{mode} mode: -wal file size (backup starts at 0, dotted = its end)")
            ax.set_xlabel("time since backup start (s)")
            ax.set_ylabel("WAL file size (MB)")
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
        fig.tight_layout(rect=(0, 0, 1, 0.9))
        return self.save(fig, "wal-growth", "WAL growth during the backup (typical repetition)")

    # --- verdict matrix
    def verdict_matrix(self):
        fig, ax = plt.subplots(figsize=(2.6 * len(self.modes) + 3, 0.55 * len(self.labels) + 1.8))
        for i, lab in enumerate(self.labels):
            for j, mode in enumerate(self.modes):
                ts = self.groups.get((mode, lab), [])
                counts = {}
                for t in ts:
                    v = "HARNESS ERROR" if D.harness_failed(t) else D.verdict(t)
                    counts[v] = counts.get(v, 0) + 1
                order = ["CORRUPT", "INCONSISTENT", "STALE", "FAILED", "OK", "SKIPPED", "HARNESS ERROR"]
                worst = next((v for v in order
                              if v in counts), None)
                ax.add_patch(plt.Rectangle((j, i), 1, 1, color=VERDICT_COLOURS.get(worst, "white"), ec="white",
                                           lw=2))
                text = "  ".join(f"{k} {n}" for k, n in sorted(counts.items(), key=lambda kv: D.VERDICTS.index(
                    kv[0]) if kv[0] in D.VERDICTS else 99)) or "not run"
                ax.text(j + 0.5, i + 0.5, text, ha="center", va="center", fontsize=9)
        ax.set_xlim(0, len(self.modes))
        ax.set_ylim(len(self.labels), 0)
        ax.set_xticks([j + 0.5 for j in range(len(self.modes))])
        ax.set_xticklabels([f"{m} mode" for m in self.modes])
        ax.set_yticks([i + 0.5 for i in range(len(self.labels))])
        ax.set_yticklabels(self.labels)
        ax.grid(False)
        ax.legend(handles=[Patch(color=c, label=v) for v, c in VERDICT_COLOURS.items()], loc="upper left",
                  bbox_to_anchor=(1.01, 1), title="colour = worst verdict")
        fig.tight_layout(rect=(0, 0, 1, 0.85))
        return self.save(fig, "verdicts", "Snapshot verdicts (count per verdict over repetitions)")

    # --- scaling: backup time and stall vs database size
    def scaling(self):
        sizes = D.sizes(self.trials)
        if len(sizes) < 2:
            return None
        g = D.groups(self.trials, by_size=True)
        fig, axes = plt.subplots(1, 2, figsize=(13, 5))
        styles = ["-", "--", ":", "-."]
        for (metric, ax, yl) in (("backup/duration_s", axes[0], "backup duration (s)"),
                                 ("writers/max_stall_ms", axes[1], "longest writer stall (ms)")):
            for j, mode in enumerate(self.modes):
                for lab in self.labels:
                    xs, ys = [], []
                    for sz in sizes:
                        v = D.values(g.get((mode, lab, sz), []), metric)
                        if v:
                            xs.append(sz)
                            ys.append(max(D.median(v), 1e-3))
                    if xs:
                        ax.plot(xs, ys, ls=styles[j % 4], marker="o", color=self.colour(lab), label=f"{lab} · {mode}")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("database size (MB)")
            ax.set_ylabel(yl)
        axes[0].set_title("Backup duration vs database size")
        axes[1].set_title("Longest writer stall vs database size")
        axes[1].legend(loc="upper left", bbox_to_anchor=(1.01, 1))
        fig.tight_layout(rect=(0, 0, 1, 0.9))
        return self.save(fig, "scaling", "Scaling with database size (median over repetitions)")

    def all(self):
        out = []
        for f in (self.latency_timeline, self.stall_p99, self.latency_cdf, self.backup_speed, self.wal_growth,
                  self.verdict_matrix, self.scaling):
            name = f()
            if name:
                out.append(name)
        return out
