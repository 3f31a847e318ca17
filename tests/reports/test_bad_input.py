"""The report on input it cannot use: one clear line, exit 2, no traceback, no
page written; and a FIFO never blocks it."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import support

REPORT = os.path.join(support.REPORTS, "report.py")


class BadInput(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="bb-bad-input-")
        self.run_dir = os.path.join(self.dir, "run")
        os.makedirs(self.run_dir)
        self.out = os.path.join(self.dir, "out")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def report(self, target=None):
        p = subprocess.run([support.PYTHON, REPORT, "--out", self.out, target or self.run_dir],
                           capture_output=True, text=True, timeout=60)
        return p

    def expect_refused(self, p, words):
        self.assertEqual(p.returncode, 2, p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertNotIn("Traceback", p.stderr)
        for w in words:
            self.assertIn(w, lines[0])
        self.assertFalse(os.path.exists(os.path.join(self.out, "report.html")))

    def write(self, text):
        with open(os.path.join(self.run_dir, "results.json"), "w") as f:
            f.write(text)

    def test_a_run_with_no_trials(self):
        raw = support.fixture_json()
        raw["trials"], raw["summary"] = [], []
        self.write(json.dumps(raw))
        self.expect_refused(self.report(), ["no trials"])

    def test_wrong_types(self):
        raw = support.fixture_json()
        raw["trials"][3]["backup"]["status"] = 7
        self.write(json.dumps(raw))
        self.expect_refused(self.report(), ["trials[3].backup.status", "text"])
        raw = support.fixture_json()
        raw["summary"][0]["figures"]["backup_duration_s"]["median"] = "fast"
        self.write(json.dumps(raw))
        self.expect_refused(self.report(), ["summary[0].figures.backup_duration_s.median"])
        self.write(json.dumps({"schema": "backup-bench/2", "trials": "all of them"}))
        self.expect_refused(self.report(), ["trials"])
        self.write("[1, 2, 3]")
        self.expect_refused(self.report(), ["not a backup-bench results file"])

    def test_results_from_an_older_backup_bench_are_named_as_such(self):
        raw = support.fixture_json()
        for t in raw["trials"]:
            del t["backups"]
        self.write(json.dumps(raw))
        self.expect_refused(self.report(), ["older backup-bench", "backups"])

    def test_a_mistyped_backup_record(self):
        raw = support.fixture_json(support.SOAK)
        raw["trials"][1]["backups"][2]["writers"]["max_writer_stall_ms"] = "long"
        self.write(json.dumps(raw))
        self.expect_refused(self.report(), ["trials[1].backups[2].writers.max_writer_stall_ms", "number"])

    def test_a_folder_where_results_json_should_be(self):
        os.makedirs(os.path.join(self.run_dir, "results.json"))
        self.expect_refused(self.report(), ["is a folder"])

    def test_a_folder_without_results(self):
        self.expect_refused(self.report(), ["holds no results.json"])
        self.expect_refused(self.report(os.path.join(self.dir, "missing")), ["does not exist"])

    def test_a_fifo_does_not_hang(self):
        os.mkfifo(os.path.join(self.run_dir, "results.json"))
        self.expect_refused(self.report(), ["not a regular file"])  # subprocess's timeout guards a hang

    def test_a_truncated_file(self):
        with open(os.path.join(support.FIXTURE, "results.json")) as f:
            text = f.read()
        self.write(text[: len(text) // 2])
        self.expect_refused(self.report(), ["not valid JSON", "truncated"])
        self.write("")
        self.expect_refused(self.report(), ["empty"])

    def test_junk_in_a_series_is_left_out_not_drawn(self):
        shutil.copytree(support.FIXTURE, self.run_dir, dirs_exist_ok=True)
        series = os.path.join(self.run_dir, "trials", "000-wal-online-r0", "series.json")
        with open(series, "w") as f:
            f.write('{"commits": [[1, "x", 3, 0]], "windows_us": {"baseline": [0, 1], "impacts": [[1, 2]]}}')
        results = support.M.load(self.run_dir)
        t = results.trials_of("wal", "online")[0]
        self.assertIsNone(t.series())
        self.assertIsNotNone(results.trials_of("wal", "online")[1].series())

    def test_an_unwritable_output_folder(self):
        shutil.copytree(support.FIXTURE, self.run_dir, dirs_exist_ok=True)
        with open(self.out, "w") as f:
            f.write("a file, not a folder")
        p = self.report()
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("output folder", p.stderr)


class Membership(unittest.TestCase):
    """The charts pick a window's samples by the rule the C++ side used for n
    (results/metrics.h member(): the intended start, end - response, in the window)."""

    @staticmethod
    def sampled(results, t):
        with open(results.series_path(t)) as f:
            return bool(json.load(f).get("fixture_members_sampled"))

    def test_series_members_match_each_backups_n_in_results_json(self):
        checked = 0
        for path in (support.FIXTURE, support.SOAK):
            results = support.fixture(path)
            for t in results.trials:
                s = t.series()
                if s is None or not t.impact_counts or self.sampled(results, t):
                    continue
                self.assertEqual(len(s.impacts), len(t.backups))
                for b in t.backups:
                    self.assertEqual(len(s.members(b.index)), b.during["n"], (t.mode, t.label, b.index))
                    checked += 1
        self.assertGreater(checked, 20)

    def test_pooled_members_match_the_summary_rows_n(self):
        checked = 0
        for path in (support.FIXTURE, support.SOAK):
            results = support.fixture(path)
            for row in results.rows:
                steady = [t for t in row.trials if t.impact_counts]
                if not steady or any(self.sampled(results, t) for t in steady):
                    continue
                n = sum(len(t.series().members("impacts")) for t in steady)
                self.assertEqual(n, row.raw["writers_during"]["n"], row.name)
                base = sum(len(t.series().members("baseline")) for t in steady)
                self.assertLessEqual(base, row.raw["writers_baseline"]["n"])  # the fixture thins the baseline
                checked += 1
        self.assertGreater(checked, 10)


if __name__ == "__main__":
    unittest.main()
