"""The report's summary table and summary.md show the numbers of `run`'s table
(cell by cell: the same numbers, in plainer words). That the text table equals
what `run` prints is checked in C++ (tests/reports/report_test.cpp) against
summary_table() itself, on every fixture."""
import html
import os
import re
import tempfile
import unittest

import support
import summary_table as T

NUMBER = re.compile(r"\d+(?:\.\d+)?")


def numbers(text):
    return NUMBER.findall(text)


class SummaryTable(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.results = support.fixture()

    def test_report_cells_hold_the_same_numbers_as_the_run_table(self):
        for row in self.results.rows:
            for key, (run_text, report_text) in T.cells(row).items():
                with self.subTest(row=f"{row.mode}/{row.label}", column=key):
                    self.assertEqual(numbers(run_text), numbers(report_text))

    def test_the_html_table_shows_those_cells_in_order(self):
        page = T.html_table(self.results)
        body_rows = re.findall(r"<tr class='[^']*'>(.*?)</tr>", page)
        data_rows = [r for r in body_rows if "colspan" not in r]
        self.assertEqual(len(data_rows), len(self.results.rows))
        for row, tr in zip(self.results.rows, data_rows):
            shown = [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
            self.assertEqual(shown, [T.cells(row)[k][1] for k, *_ in T.COLUMNS])

    def test_small_samples_read_as_the_maximum_of_n(self):
        row = next(r for r in self.results.rows if r.mode == "wal" and r.label == "exclusive-copy")
        self.assertIsNone(row.raw["writers_during"]["p99_ms"])
        run_text, report_text = T.cells(row)["during_p99"]
        self.assertTrue(run_text.startswith("max "), run_text)
        self.assertRegex(report_text, r"^max \d+\.\d of \d+$")

    def test_faulted_rows_say_so_in_both_texts(self):
        for row in support.fixture(support.FAULTS).rows:
            with self.subTest(row=row.name):
                self.assertEqual(T.cells(row)["base_p99"], ("faulted", "faulted"))
                self.assertEqual(T.cells(row)["during_p99"], ("faulted", "faulted"))

    def test_wal_figures_do_not_apply_in_delete_mode(self):
        for row in self.results.rows_of("delete"):
            self.assertEqual(T.cells(row)["wal_peak"], ("n/a", "n/a"))

    def test_expected_results_are_marked_expected_and_failures_give_their_reason(self):
        notes = {(r.mode, r.label): T.notes(r, self.results) for r in self.results.rows}
        kinds = lambda key: [k for k, _ in notes[key]]  # noqa: E731
        self.assertIn("expected", kinds(("wal", "raw-copy")))
        self.assertIn("expected", kinds(("wal", "exclusive-copy")))
        self.assertNotIn("alarm", [k for n in notes.values() for k, _ in n])
        failed = [t for k, t in notes[("wal", "cli-backup")] if k == "failed"]
        self.assertEqual(failed, ["2× timed out: no snapshot within the 5 s time limit"])

    def test_summary_md_has_every_row(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "summary.md")
            T.write_markdown(self.results, path)
            with open(path) as f:
                lines = [x for x in f.read().splitlines() if x.startswith("| ")]
        self.assertEqual(len(lines), 1 + len(self.results.rows))  # header + rows
        for row, line in zip(self.results.rows, lines[1:]):
            cells = [c.strip() for c in line.strip("|").split(" | ")]
            self.assertEqual(cells[: len(T.COLUMNS)], [T.cells(row)[k][1] for k, *_ in T.COLUMNS])


class SummaryTableWithAxes(unittest.TestCase):
    """The axes fixture: rows split by filesystem and SQLite build."""

    @classmethod
    def setUpClass(cls):
        cls.results = support.fixture(support.AXES)

    def test_rows_are_named_as_run_names_them(self):
        names = [r.name for r in self.results.rows_of("wal", "online")]
        self.assertEqual(names, ["online btrfs sqlite-3.40.1", "online btrfs sqlite-3.50.4",
                                 "online ext4 sqlite-3.40.1", "online ext4 sqlite-3.50.4"])
        lines = T.text_lines(self.results)
        self.assertTrue(lines[1].startswith("wal     online btrfs sqlite-3.40.1 "), lines[1])

    def test_the_page_and_summary_md_get_filesystem_and_sqlite_columns(self):
        page = T.html_table(self.results)
        self.assertIn("<th>filesystem</th><th>SQLite</th>", page)
        first = re.findall(r"<td[^>]*>(.*?)</td>", page)[:4]
        self.assertEqual(first, ["wal", "online", "btrfs", "3.40.1"])
        md = T.markdown(self.results)
        self.assertIn("| wal | online | ext4 | 3.50.4 |", md)
        self.assertIn("SQLite 3.40.1, 3.50.4", md.splitlines()[0])

    def test_a_one_place_run_has_no_such_columns(self):
        page = T.html_table(support.fixture())
        self.assertNotIn("<th>filesystem</th>", page)
        self.assertNotIn("<th>SQLite</th>", page)


if __name__ == "__main__":
    unittest.main()
