"""The recommendation per journal mode on the checked-in fixture (what it
recommends, what it leaves out and why), and its rules on edited copies."""
import unittest

import support
import recommend as R
import summary_table
from support import Changed, each_backup


def by_mode(results):
    return {r["mode"]: r for r in R.recommend(results)}


def left_out(rec):
    return {label: kind for label, kind, _ in rec["left_out"]}


class RecommendationOnTheFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rec = by_mode(support.fixture())

    def test_wal_mode_recommends_wal_snapshot_copy_and_says_what_it_cannot_rank_apart(self):
        wal = self.rec["wal"]
        self.assertEqual(wal["recommended"]["label"], "wal-snapshot-copy")
        self.assertEqual([c["label"] for c in wal["candidates"]], ["wal-snapshot-copy", "online", "vacuum-into"])
        # Every candidate's writers waited less than one schedule period (1.7 ms) beyond it.
        self.assertEqual({c["label"] for c in wal["ties"]}, {"online", "vacuum-into"})

    def test_delete_mode_recommends_exclusive_copy_and_says_what_it_cannot_rank_apart(self):
        d = self.rec["delete"]
        self.assertEqual(d["recommended"]["label"], "exclusive-copy")
        self.assertEqual({c["label"] for c in d["ties"]}, {"online"})  # ranges over the backups overlap
        self.assertIn("vacuum-into", [c["label"] for c in d["candidates"]])  # ranked apart: much longer waits

    def test_what_is_left_out_and_how_it_is_marked(self):
        not_here = {"btrfs-snapshot": "expected", "reflink-copy": "expected",  # not run on ext4
                    "incremental": "expected"}                                 # no sqlite_dbpage in this build
        self.assertEqual(left_out(self.rec["wal"]), {
            "exclusive-copy": "expected", "raw-copy": "expected",  # unsafe in WAL mode by design
            "cli-backup": "failed",                                # a time limit, not a wrong snapshot
            "fs-snapshot": "info",                                 # freezes processes
            **not_here})
        self.assertEqual(left_out(self.rec["delete"]), {
            "raw-copy": "expected", "wal-snapshot-copy": "expected", "cli-backup": "failed", "fs-snapshot": "info",
            **not_here})

    def test_fs_snapshot_is_never_a_candidate(self):
        for rec in self.rec.values():
            self.assertNotIn("fs-snapshot", [c["label"] for c in rec["candidates"]])
            self.assertIn("not representative", dict((lab, why) for lab, _, why in rec["left_out"])["fs-snapshot"])

    def test_the_impact_figure_is_results_jsons_writer_stall(self):
        for rec in self.rec.values():
            for c in rec["candidates"]:
                f = c["row"].raw["figures"]["max_writer_stall_ms"]
                self.assertEqual((c["impact"], c["impact_range"]), (f["median"], (f["min"], f["max"])))


class RecommendationPerPlace(unittest.TestCase):
    """The axes fixture: one answer per journal mode x filesystem x SQLite build."""

    @classmethod
    def setUpClass(cls):
        cls.recs = R.recommend(support.fixture(support.AXES))

    def test_one_answer_per_mode_filesystem_and_build(self):
        self.assertEqual([r["where"] for r in self.recs],
                         [f"{m} mode, {fs}, SQLite {v}" for m in ("wal", "delete") for fs in ("btrfs", "ext4")
                          for v in ("3.40.1", "3.50.4")])
        self.assertEqual(len({r["id"] for r in self.recs}), len(self.recs))

    def test_each_answer_reads_its_own_rows(self):
        for r in self.recs:
            for c in r["candidates"]:
                self.assertEqual((c["row"].mode, c["row"].filesystem, c["row"].sqlite),
                                 (r["mode"], r["filesystem"], r["sqlite"]))
        ext4 = [r for r in self.recs if r["filesystem"] == "ext4"]
        for r in ext4:
            self.assertEqual(left_out(r), {"btrfs-snapshot": "expected"})  # needs btrfs
            self.assertEqual(r["recommended"]["label"], "online")


def _rows(raw, mode, label, fn):
    for r in raw["summary"]:
        if r["mode"] == mode and r["label"] == label:
            fn(r)


class RecommendationRules(unittest.TestCase):
    def test_a_longer_writer_stall_moves_the_recommendation(self):
        def worse(r):
            for k in ("median", "min", "max"):
                r["figures"]["max_writer_stall_ms"][k] = 500.0
        with Changed(lambda raw: _rows(raw, "wal", "wal-snapshot-copy", worse)) as res:
            self.assertEqual(by_mode(res)["wal"]["recommended"]["label"], "online")

    def test_a_wrong_snapshot_of_a_safe_strategy_is_an_alarm_and_left_out(self):
        def stale(raw):
            for t in raw["trials"]:
                if t["mode"] == "wal" and t["label"] == "wal-snapshot-copy" and t["repetition"] == 0:
                    each_backup(t, lambda b: b["verdict"].update(status="STALE"))
            _rows(raw, "wal", "wal-snapshot-copy", lambda r: r.update(verdicts={"OK": 1, "STALE": 1}))
        with Changed(stale) as res:
            wal = by_mode(res)["wal"]
        self.assertEqual(left_out(wal)["wal-snapshot-copy"], "alarm")
        self.assertEqual(wal["recommended"]["label"], "online")

    def test_a_strategy_with_no_steady_trial_has_no_known_impact(self):
        with Changed(lambda raw: _rows(raw, "delete", "exclusive-copy", lambda r: r.update(steady=0, unsteady=2))) \
                as res:
            d = by_mode(res)["delete"]
        self.assertEqual(left_out(d)["exclusive-copy"], "info")
        self.assertEqual(d["recommended"]["label"], "online")
        self.assertEqual(d["excluded"]["unsteady"], 2)

    def test_trials_that_failed_in_the_harness_say_nothing_about_the_strategy(self):
        def harness(raw):
            for t in raw["trials"]:
                if t["mode"] == "delete" and t["label"] == "online":
                    t["harness_error"] = "writer 0 exited with code 127 before the load was stopped"
                    t["expected_safe"] = False  # as `run` records it for such a trial today
                    each_backup(t, lambda b: (b["backup"].update(status="failed"),
                                              b["verdict"].update(status="FAILED")))
            _rows(raw, "delete", "online", lambda r: r.update(harness_errors=2, steady=0, expected_safe=False,
                                                              verdicts={"FAILED": 2}))
        with Changed(harness) as res:
            d = by_mode(res)["delete"]
            notes = summary_table.notes(res.rows_of("delete", "online")[0], res)
        why = dict((lab, (kind, w)) for lab, kind, w in d["left_out"])["online"]
        self.assertEqual(why[0], "info")
        self.assertIn("failed in the harness", why[1])
        self.assertNotIn("expected", [k for k, _ in notes])  # not "unsafe by design"
        self.assertIn("exclusive-copy", [c["label"] for c in d["candidates"]])

    def test_no_candidate_means_no_recommendation(self):
        def unsafe(raw):
            for r in raw["summary"]:
                r["expected_safe"] = False
        with Changed(unsafe) as res:
            for rec in R.recommend(res):
                self.assertIsNone(rec["recommended"])


if __name__ == "__main__":
    unittest.main()
