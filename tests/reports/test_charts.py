"""The charts on the fixture (what each draws and what it refuses to draw) and
the charts for axes no real run has yet (several sizes, filesystems, SQLite
versions, scheduled backups, faults), on synthetic edits of the fixture."""
import copy
import unittest

import support
import charts
import page
import summary_table
from charts import axes as charts_axes
from charts import impact, speed, timeline, wal
from support import Changed


class ChartsOnTheFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.r = support.fixture()

    def tearDown(self):
        import matplotlib.pyplot as plt
        plt.close("all")

    def test_a_time_limited_backup_is_a_mark_at_the_limit_not_a_bar(self):
        fig = speed.backup_speed(self.r)
        ax = fig.axes[0]  # wal mode: backup time
        self.assertIn("wal mode", ax.get_title(loc="left"))
        labels = [t.get_text() for t in ax.get_yticklabels()]
        i = labels.index("cli-backup")
        row = next(r for r in self.r.rows_of("wal", "cli-backup"))
        self.assertEqual(row.raw["backup_statuses"].get("timeout"), 1)
        bars = [p for p in ax.patches if abs(p.get_y() + p.get_height() / 2 - i) < 0.01]
        self.assertEqual([round(b.get_width(), 6) for b in bars], [round(row.median("backup_duration_s"), 6)])
        marks = [line for line in ax.lines if list(line.get_xdata()) == [5.0] and line.get_marker() == ">"]
        self.assertEqual(len(marks), 1)

    def test_wal_growth_gives_long_and_time_limited_backups_their_own_panel(self):
        lines = wal._lines(self.r)
        short, long_ = wal.split(lines)
        self.assertEqual([x[0] for x in long_], ["cli-backup"])
        fig = wal.wal_growth(self.r)
        top = fig.axes[0]
        longest_short = max(d for *_, d in short)
        self.assertLessEqual(top.get_xlim()[1], longest_short * 1.05 + 0.021)

    def test_cdf_only_where_n_supports_a_tail_with_n_in_the_legend(self):
        fig = timeline.latency_cdf(self.r)
        shown = [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]
        big = {r.label for r in self.r.rows if r.raw["writers_during"]["n"] >= timeline.MIN_TAIL_N}
        self.assertEqual({s.split(" (n=")[0] for s in shown if not s.startswith("before")}, big)
        self.assertTrue(all("(n=" in s for s in shown))

    def test_timeline_dots_coloured_by_writer_and_x_label_on_every_row(self):
        fig = timeline.latency_timeline(self.r)
        drawn = [ax for ax in fig.axes if ax.collections]
        self.assertGreater(len(drawn), 8)
        for ax in drawn:
            colours = {tuple(c.get_facecolor()[0][:3]) for c in ax.collections if len(c.get_offsets())}
            self.assertEqual(len(colours), 2, ax.get_title(loc="left"))  # two writers, two colours
            self.assertTrue(ax.get_xlabel())
            self.assertTrue(any(line.get_linestyle() == "--" for line in ax.lines))  # the schedule's period

    def test_fs_snapshot_bars_are_hatched_as_not_representative(self):
        fig = impact.writer_impact(self.r)
        hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
        self.assertEqual(len(hatched), 1)

    def test_axes_the_fixture_lacks_draw_nothing(self):
        for fn in (charts_axes.scaling, charts_axes.filesystems, charts_axes.sqlite_versions,
                   charts_axes.scheduled_backups):
            self.assertIsNone(fn(self.r), fn.__name__)
        self.assertEqual(page.fault_table(self.r), "")


def _two_sizes(raw):
    """Every summary row again at 64 MB (the backup 2.5x longer), and the second
    repetition's trials moved there."""
    extra = []
    for r in raw["summary"]:
        big = copy.deepcopy(r)
        big["db_mb"] = 64
        f = big["figures"]["backup_duration_s"]
        for k in ("median", "min", "max"):
            if f[k] is not None:
                f[k] *= 2.5
        extra.append(big)
    raw["summary"] += extra
    for t in raw["trials"]:
        if t["repetition"] == 1:
            t["db_mb"] = 64


class FutureAxes(unittest.TestCase):
    def tearDown(self):
        import matplotlib.pyplot as plt
        plt.close("all")

    def test_fitted_time_per_gb(self):
        self.assertAlmostEqual(charts_axes.fit_s_per_gb([1024, 2048, 4096], [1.0, 2.0, 4.0]), 1.0)
        self.assertIsNone(charts_axes.fit_s_per_gb([64], [1.0]))

    def test_several_sizes_get_the_scaling_chart(self):
        with Changed(_two_sizes) as r:
            fig = charts_axes.scaling(r)
            self.assertIsNotNone(fig)
            legend = [t.get_text() for t in fig.legends[0].get_texts()]
            self.assertTrue(any("s/GB)" in x for x in legend), legend)
            self.assertIn("size (MB)", summary_table.html_table(r))  # the summary gets a size column

    def test_several_filesystems_and_sqlite_versions_are_drawn_side_by_side(self):
        def edit(raw):
            for t in raw["trials"]:
                t["filesystem"] = "btrfs" if t["repetition"] else "ext4"
                t["sqlite_version"] = "3.46.0" if t["repetition"] else "3.40.1"
        with Changed(edit) as r:
            for fn, values in ((charts_axes.filesystems, {"btrfs", "ext4"}),
                               (charts_axes.sqlite_versions, {"SQLite 3.46.0", "SQLite 3.40.1"})):
                fig = fn(r)
                self.assertIsNotNone(fig)
                shown = {t.get_text().strip() for t in fig.axes[0].get_legend().get_texts()}
                self.assertEqual(shown, values)
            self.assertTrue(any("different SQLite versions" in w for w in page.warnings(r)))

    def test_scheduled_backups_within_a_trial(self):
        def edit(raw):
            for t in raw["trials"]:
                if t["label"] in ("online", "vacuum-into") and t["mode"] == "wal":
                    t["backups"] = [{"start_s": 1.0 + 2 * k, "duration_s": 0.1 + 0.01 * k, "status": "completed",
                                     "writers": {"max_writer_gap_ms": 5.0 + k}, "wal_bytes": 4e6 + 1e6 * k}
                                    for k in range(5)]
        with Changed(edit) as r:
            fig = charts_axes.scheduled_backups(r)
            self.assertIsNotNone(fig)
            self.assertEqual(len(fig.axes[0].lines), 2)  # one line per (mode, label)
            self.assertTrue(all(ax.get_xlabel() for ax in fig.axes))

    def test_a_fault_table(self):
        def edit(raw):
            for t in raw["trials"]:
                t["fault"] = {"kind": "kill-writer"} if t["repetition"] else "pause-writer"
        with Changed(edit) as r:
            table = page.fault_table(r)
        self.assertIn("kill-writer", table)
        self.assertIn("pause-writer", table)
        self.assertIn("<th>online</th>", table)

    def test_the_registry_draws_only_what_applies(self):
        names = [name for name, *_ in charts.REGISTRY]
        self.assertEqual(names[:6], ["verdicts", "writer-impact", "backup-speed", "latency-timeline",
                                     "latency-cdf", "wal-growth"])
        self.assertEqual(set(names[6:]), {"scaling", "filesystems", "sqlite-versions", "scheduled-backups"})


if __name__ == "__main__":
    unittest.main()
