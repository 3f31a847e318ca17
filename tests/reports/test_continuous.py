"""Continuous replication beside periodic backups (reports/continuous.py) on the
continuous/ fixture (a quick run of online, litestream and python-backup in
both modes), and on edited copies of it: every number comes from results.json's
summary rows, the recommendation keeps its rules, and a run without a
continuous strategy has no such section."""
import html
import os
import tempfile
import unittest

import support
from support import Changed
import continuous as CT  # noqa: E402 (support puts reports/ on the path)
import recommend as R  # noqa: E402
import summary_table  # noqa: E402

FIXTURE = os.path.join(support.FIXTURE, "continuous")


def section(results):
    return html.unescape(CT.section_html(results, html.escape))


class OnTheFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.results = support.fixture(FIXTURE)
        cls.row = next(r for r in cls.results.rows_of("wal") if r.label == "litestream")

    def test_wal_mode_puts_litestream_beside_the_periodic_strategies(self):
        [(where, cont, periodic)] = CT.groups(self.results)
        self.assertEqual(where, "wal mode")
        self.assertEqual([r.label for r in cont], ["litestream"])
        self.assertEqual([r.label for r in periodic], ["online", "python-backup"])

    def test_the_sentences_carry_results_jsons_figures(self):
        c = self.row.raw["continuous"]
        text = CT.continuous_sentence(self.row)
        self.assertIn(f"{c['recovery_point_tx']['median']:g} committed transaction(s)", text)
        self.assertIn(f"p99 {c['cost']['with']['p99_ms']:.1f} ms", text)
        self.assertIn(f"p99 {c['cost']['without']['p99_ms']:.1f} ms", text)
        online = next(r for r in self.results.rows_of("wal") if r.label == "online")
        self.assertIn("its recovery point is that interval", CT.periodic_sentence(online, None))
        self.assertIn("every 30 s", CT.periodic_sentence(online, 30))

    def test_the_section_says_why_rollback_mode_has_no_litestream(self):
        s = section(self.results)
        self.assertIn("Continuous replication beside periodic backups", s)
        self.assertIn("delete mode: litestream skipped: Litestream replicates the WAL", s)
        self.assertNotIn("<h4>delete mode", s)

    def test_summary_md_has_the_sentences(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "summary.md")
            summary_table.write_markdown(self.results, path)
            with open(path) as f:
                text = f.read()
        self.assertIn("### Continuous vs periodic, wal mode", text)
        self.assertIn(CT.continuous_sentence(self.row), text)

    def test_litestream_is_a_candidate_where_its_snapshots_are_ok(self):
        rec = {r["mode"]: r for r in R.recommend(self.results)}
        self.assertIn("litestream", [c["label"] for c in rec["wal"]["candidates"]])
        self.assertTrue(any(t.startswith("continuous replication, litestream") for t in rec["wal"]["tradeoffs"]))
        self.assertEqual({lab: kind for lab, kind, _ in rec["delete"]["left_out"]}.get("litestream"), "expected")


class OnSeveralSizes(unittest.TestCase):
    """The sizes/ fixture: online, raw-copy and litestream at 8 and 24 MB. Only
    rows of one cell compare, so each size is a group of its own, named."""

    @classmethod
    def setUpClass(cls):
        cls.results = support.fixture(os.path.join(support.FIXTURE, "sizes"))

    def test_each_size_is_its_own_group(self):
        groups = CT.groups(self.results)
        self.assertEqual([g[0] for g in groups], ["wal mode, 8MB", "wal mode, 24MB"])
        for where, cont, periodic in groups:
            size = where.split(", ")[1]
            self.assertEqual([r.name for r in cont], [f"litestream {size}"])
            self.assertEqual([r.name for r in periodic], [f"online {size}", f"raw-copy {size}"])

    def test_summary_md_names_the_size_and_says_a_skip_once(self):
        text = CT.markdown(self.results)
        self.assertIn("### Continuous vs periodic, wal mode, 8MB", text)
        self.assertIn("### Continuous vs periodic, wal mode, 24MB", text)
        self.assertEqual(text.count("delete mode: litestream skipped"), 1, text)

    def test_the_page_has_a_table_per_size(self):
        s = section(self.results)
        self.assertIn("<h4>wal mode, 8MB</h4>", s)
        self.assertIn("<h4>wal mode, 24MB</h4>", s)


class OnEditedCopies(unittest.TestCase):
    def test_a_wrong_restore_leaves_litestream_out_with_an_alarm(self):
        def edit(raw):
            for t in raw["trials"]:
                if t["strategy"] == "litestream" and t["mode"] == "wal":
                    t["verdict"]["status"] = "INCONSISTENT"
                    for b in t["backups"]:
                        b["verdict"]["status"] = "INCONSISTENT"
                    break
            for row in raw["summary"]:
                if row["label"] == "litestream" and row["mode"] == "wal":
                    row["verdicts"] = {"INCONSISTENT": 1, "OK": row["verdicts"]["OK"] - 1}
        with Changed(edit, FIXTURE) as results:
            wal = {r["mode"]: r for r in R.recommend(results)}["wal"]
            self.assertNotIn("litestream", [c["label"] for c in wal["candidates"]])
            self.assertEqual({lab: kind for lab, kind, _ in wal["left_out"]}["litestream"], "alarm")

    def test_a_withheld_cost_is_said_not_invented(self):
        def edit(raw):
            for row in raw["summary"]:
                if row.get("continuous"):
                    row["continuous"]["cost"]["withheld"] = "no steady trial without a companion in this cell"
        with Changed(edit, FIXTURE) as results:
            row = next(r for r in results.rows_of("wal") if r.label == "litestream")
            text = CT.continuous_sentence(row)
            self.assertIn("not measured here (no steady trial without a companion", text)
            self.assertNotIn("without it (", text)

    def test_no_section_without_a_continuous_strategy(self):
        self.assertEqual(CT.section_html(support.fixture(), html.escape), "")
        self.assertEqual(CT.markdown(support.fixture()), "")


if __name__ == "__main__":
    unittest.main()
