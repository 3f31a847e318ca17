"""The charts on the fixtures (what each draws and what it refuses to draw):
the quick run; the soak fixture's scheduled backups; the axes fixture's
filesystems and SQLite builds side by side; and, on synthetic edits of the
quick run, axes no fixture has (several sizes, faults)."""
import copy
import os
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
        at = lambda i: [p for p in ax.patches if abs(p.get_y() + p.get_height() / 2 - i) < 0.01]  # noqa: E731
        row = next(r for r in self.r.rows_of("wal", "cli-backup"))
        self.assertEqual(row.raw["backup_statuses"], {"timeout": 2})  # both repetitions hit the limit
        i = labels.index("cli-backup")
        self.assertEqual(at(i), [])
        marks = [line for line in ax.lines if list(line.get_xdata()) == [5.0] and line.get_marker() == ">"]
        self.assertEqual(len(marks), 1)
        online = next(r for r in self.r.rows_of("wal", "online"))
        self.assertEqual([round(b.get_width(), 9) for b in at(labels.index("online"))],
                         [round(online.median("backup_duration_s"), 9)])

    def test_writer_impact_bars_are_results_jsons_writer_stall(self):
        fig = impact.writer_impact(self.r)
        ax = fig.axes[0]
        labels = [t.get_text().split("\n")[0] for t in ax.get_yticklabels()]
        for row in self.r.rows_of("wal"):
            if row.all_skipped or row.median("max_writer_stall_ms") is None:
                continue
            i = labels.index(row.name)
            bars = [p for p in ax.patches if abs(p.get_y() + p.get_height() / 2 - i) < 0.01]
            self.assertEqual([b.get_width() for b in bars], [row.median("max_writer_stall_ms")], row.name)

    def test_wal_growth_gives_long_and_time_limited_backups_their_own_panel(self):
        lines = wal._lines(self.r)
        short, long_ = wal.split(lines)
        self.assertEqual([x[0] for x in long_], ["cli-backup"])
        fig = wal.wal_growth(self.r)
        top = fig.axes[0]
        longest_short = max(d for *_, d in short)
        self.assertLessEqual(top.get_xlim()[1], longest_short * 1.05 + 0.021)

    def test_wal_growth_of_several_sizes_has_panels_per_size(self):
        r = support.fixture(os.path.join(support.FIXTURE, "sizes"))
        fig = wal.wal_growth(r)
        titles = [ax.get_title(loc="left") for ax in fig.axes]
        self.assertEqual(titles, ["wal mode, 8 MB", "wal mode, 24 MB"])
        for ax in fig.axes:  # one line per strategy, named without the size the title gives
            self.assertEqual([t.get_text() for t in ax.get_legend().get_texts()],
                             ["online", "raw-copy", "litestream"])

    def test_every_registered_strategy_has_its_own_colour(self):
        from charts import style
        r = support.fixture(os.path.join(support.FIXTURE, "sizes"))  # a run with the whole registry of 12
        colours = [style.colour(r, name) for name in r.strategies]
        self.assertGreater(len(colours), 10)  # more than one palette of ten
        self.assertEqual(len(set(colours)), len(colours))

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

    def test_cdf_draws_what_results_json_counts(self):
        """The samples drawn are chosen by the membership rule results.json used for n."""
        for row in self.r.rows:
            steady = [t for t in row.trials if t.impact_counts]
            if not steady or any(_sampled(self.r, t) for t in steady):
                continue
            self.assertEqual(len(timeline.pooled(steady, "impacts")), row.raw["writers_during"]["n"], row.name)

    def test_axes_the_fixture_lacks_draw_nothing(self):
        for fn in (charts_axes.scaling, charts_axes.filesystems, charts_axes.sqlite_versions,
                   charts_axes.scheduled_backups):
            self.assertIsNone(fn(self.r), fn.__name__)
        self.assertEqual(page.fault_table(self.r), "")


def _two_sizes(raw):
    """Every summary row again at 64 MB (the backup 2.5x longer), and the second
    repetition's trials moved there; keys and names as `run` would write them
    (results/schema.cpp: the size joins every name once the rows differ in it)."""
    extra = []
    for r in raw["summary"]:
        big = copy.deepcopy(r)
        big["db_mb"] = 64
        big["key"] = r["key"].replace(f"@{r['db_mb']}MB", "@64MB")
        f = big["figures"]["backup_duration_s"]
        for k in ("median", "min", "max"):
            if f[k] is not None:
                f[k] *= 2.5
        extra.append(big)
    raw["summary"] += extra
    for r in raw["summary"]:
        at = 1 + sum(1 for dim, _ in r["name_parts"] if dim == "fault")
        r["name_parts"].insert(at, ["db_mb", f" {r['db_mb']}MB"])
        r["name"] = "".join(text for _, text in r["name_parts"])
    for t in raw["trials"]:
        if t["repetition"] == 1:
            t["row"] = t["row"].replace(f"@{t['db_mb']}MB", "@64MB")
            t["db_mb"] = 64


def _sampled(results, t):
    """Whether make_fixture.py sampled this trial's window members (too many to keep)."""
    import json
    with open(results.series_path(t)) as f:
        return bool(json.load(f).get("fixture_members_sampled"))


class ScheduledBackups(unittest.TestCase):
    """The soak fixture: 4 backups 1 s apart in each trial (online, raw-copy; WAL mode)."""

    @classmethod
    def setUpClass(cls):
        cls.r = support.fixture(support.SOAK)

    def tearDown(self):
        import matplotlib.pyplot as plt
        plt.close("all")

    def test_one_point_per_backup_at_its_start(self):
        fig = charts_axes.scheduled_backups(self.r)
        self.assertIsNotNone(fig)
        duration, latency, stall, wal_size = fig.axes[:4]
        self.assertEqual(len(duration.lines), 2)  # a line per trial
        for line, t in zip(duration.lines, self.r.trials):
            self.assertEqual(list(line.get_xdata()), [b.start_s for b in t.backups])
            self.assertEqual(list(line.get_ydata()), [b.duration_s for b in t.backups])
        for line, t in zip(stall.lines, self.r.trials):
            self.assertEqual(list(line.get_ydata()), [b.stall_ms for b in t.backups])
        self.assertEqual(wal_size.get_xlabel(), "seconds since the trial started")

    def test_a_withheld_p99_reads_as_the_maximum_of_n_hollow(self):
        fig = charts_axes.scheduled_backups(self.r)
        latency = fig.axes[1]
        marks = [line for line in latency.lines if line.get_marker() == "o"]
        backups = [b for t in self.r.trials for b in t.backups if b.during["n"]]
        self.assertEqual(len(marks), len(backups))
        for b in backups:
            self.assertIsNone(b.during["p99_ms"])  # fewer than 100 commits due in each backup
        self.assertTrue(all(line.get_markerfacecolor() == "white" for line in marks))
        self.assertEqual(sorted(line.get_ydata()[0] for line in marks), sorted(b.during["max_ms"] for b in backups))
        shown = sorted(t.get_text() for t in latency.texts)
        self.assertEqual(shown, sorted(f"n={b.during['n']}" for b in backups))

    def test_the_wal_over_the_whole_trial_with_each_backup_shaded(self):
        fig = charts_axes.scheduled_backups(self.r)
        wal_size = fig.axes[3]
        self.assertEqual(len(wal_size.patches), sum(len(t.backups) for t in self.r.trials))
        for line, t in zip(wal_size.lines, self.r.trials):
            s = t.series()
            self.assertEqual(len(line.get_xdata()), len(s.sizes))
            self.assertGreater(line.get_xdata()[-1], s.impacts[-1][1] / 1e6)  # past the last backup

    def test_timeline_and_wal_charts_use_the_first_backup(self):
        fig = timeline.latency_timeline(self.r)
        self.assertIn("backup 1 of 4", fig.axes[0].get_title(loc="left"))


class SideBySide(unittest.TestCase):
    """The axes fixture: online and btrfs-snapshot on btrfs and ext4, SQLite 3.40.1
    (the system's) and 3.50.4, both journal modes; one repetition each."""

    @classmethod
    def setUpClass(cls):
        cls.r = support.fixture(support.AXES)

    def tearDown(self):
        import matplotlib.pyplot as plt
        plt.close("all")

    def _legend(self, fig):
        return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]

    def _bars(self, ax, group, names_from=None):
        labels = [t.get_text() for t in (names_from or ax).get_yticklabels()]
        i = labels.index(group)
        return sorted((p.get_y() + p.get_height() / 2, p.get_width()) for p in ax.patches
                      if abs(p.get_y() + p.get_height() / 2 - i) < 0.5)

    def test_filesystems_side_by_side_from_the_summary_rows(self):
        fig = charts_axes.filesystems(self.r)
        self.assertEqual(self._legend(fig), ["btrfs", "ext4"])
        time, stall = fig.axes[0], fig.axes[1]  # wal mode
        for ax, figure in ((time, "backup_duration_s"), (stall, "max_writer_stall_ms")):
            rows = self.r.rows_of("wal", "online", sqlite="3.50.4")
            self.assertEqual([w for _, w in self._bars(ax, "online sqlite-3.50.4", names_from=time)],
                             [r.median(figure) for r in rows])  # btrfs, then ext4
        # btrfs-snapshot cannot run on ext4: one bar and a note, not a zero.
        self.assertEqual(len(self._bars(time, "btrfs-snapshot sqlite-3.40.1")), 1)
        self.assertIn("not run here", [t.get_text() for t in time.texts])

    def test_sqlite_versions_side_by_side_from_the_summary_rows(self):
        fig = charts_axes.sqlite_versions(self.r)
        self.assertEqual(self._legend(fig), ["SQLite 3.40.1 (system)", "SQLite 3.50.4"])
        time = fig.axes[0]
        groups = [t.get_text() for t in time.get_yticklabels()]
        self.assertEqual(groups, ["online btrfs", "online ext4", "btrfs-snapshot btrfs"])  # none skipped
        rows = self.r.rows_of("wal", "online", filesystem="ext4")
        self.assertEqual([w for _, w in self._bars(time, "online ext4")],
                         [r.median("backup_duration_s") for r in rows])

    def test_other_charts_name_rows_as_run_does(self):
        fig = impact.writer_impact(self.r)
        labels = [t.get_text().split("\n")[0] for t in fig.axes[0].get_yticklabels()]
        self.assertIn("online ext4 sqlite-3.50.4", labels)
        self.assertNotIn("btrfs-snapshot ext4 sqlite-3.50.4", labels)  # skipped rows are not drawn
        self.assertIsNone(charts_axes.scheduled_backups(self.r))
        self.assertIsNone(charts_axes.scaling(self.r))


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
            self.assertEqual(r.rows[0].name, "online 24MB")  # as `run` names it

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
