"""report.html on the fixture: the answer first, a table of contents, plain
words, complete evidence, links to the raw files, expected results marked as
expected, and the files written beside it."""
import html
import os
import re
import shutil
import tempfile
import unittest

import support
import claims as C
import page
import report


def visible_text(page):
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    page = re.sub(r"src='data:[^']*'", "", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


class Page(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.out = tempfile.mkdtemp(prefix="bb-page-test-")
        cls.results = support.fixture()
        path = report.write(cls.results, cls.out)
        with open(path) as f:
            cls.page = f.read()
        cls.text = visible_text(cls.page)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.out, ignore_errors=True)

    def test_the_answer_comes_first_then_the_charts_then_the_claims(self):
        order = [self.page.find(f"id={x}") for x in ("answer", "summary", "charts", "claims", "details", "files")]
        self.assertTrue(all(i > 0 for i in order), order)
        self.assertEqual(order, sorted(order))
        self.assertLess(self.page.find("<nav>"), order[0])

    def test_every_contents_link_has_a_target(self):
        nav = self.page[self.page.find("<nav>"):self.page.find("</nav>")]
        targets = re.findall(r"href='#([^']+)'", nav)
        self.assertGreater(len(targets), 10)
        for t in targets:
            self.assertRegex(self.page, rf"id=['\"]?{re.escape(t)}['\" >]")

    def test_viewport_meta_and_links_to_the_raw_files(self):
        self.assertIn("<meta name=viewport content='width=device-width, initial-scale=1'>", self.page)
        rel = os.path.relpath(support.FIXTURE, self.out)
        for name in ("results.json", "trials.csv"):
            self.assertIn(f"href='{os.path.join(rel, name)}'", self.page)
        self.assertIn("href='summary.md'", self.page)
        self.assertTrue(os.path.isfile(os.path.join(self.out, "summary.md")))

    def test_the_article_is_named_and_every_claim_and_evidence_is_complete(self):
        self.assertIn(C.ARTICLE, self.text)
        for c in C.judge_claims(self.results):
            self.assertIn(" ".join(c["quote"].split()), " ".join(self.text.split()))
            for e in c["evidence"]:
                self.assertIn(" ".join(e.split()), " ".join(self.text.split()))

    def test_plain_words_not_internal_tags(self):
        for tag in ("[supported]", "[refuted]", "max_stall_ms", "max_writer_gap_ms", "delayed_commits", "p99_ms",
                    "impact_counts", "harness_error", "too short", "1× proceeds", "no data"):
            self.assertNotIn(tag, self.text)

    def test_expected_results_are_marked_expected_and_failures_give_reasons(self):
        self.assertIn("<li class=expected>expected: not safe in wal mode", self.page)
        self.assertIn("not run here: WAL mode only", self.text)
        self.assertIn("2× timed out: no snapshot within the 5 s time limit", self.text)
        self.assertNotIn("class=alarm", self.page)  # nothing in the fixture is an alarm

    def test_fs_snapshot_is_marked_not_representative(self):
        self.assertIn("its writer impact is not representative", self.text)
        self.assertIn("fs-snapshot is never recommended", self.text)

    def test_chart_images_are_embedded_with_their_display_size(self):
        imgs = re.findall(r"<img alt='[^']*' width=(\d+) height=(\d+) src='data:image/png;base64,", self.page)
        self.assertEqual(len(imgs), 6)
        for w, _ in imgs:
            self.assertLessEqual(int(w), 950)  # about 900 px: text stays readable in a 900 px window


class PagesOfTheOtherFixtures(unittest.TestCase):
    """The soak and axes fixtures' pages: the charts their axes call for, and an
    answer per place."""

    def write(self, path):
        out = tempfile.mkdtemp(prefix="bb-page-test-")
        self.addCleanup(shutil.rmtree, out, True)
        with open(report.write(support.fixture(path), out)) as f:
            page = f.read()
        return page, visible_text(page)

    def test_scheduled_backups(self):
        page, text = self.write(support.SOAK)
        self.assertIn("id='scheduled-backups'", page)
        self.assertIn("4 backups per trial, 1 s apart", text)
        self.assertIn("median over 4 steady backups", text)

    def test_filesystems_and_sqlite_builds(self):
        page, text = self.write(support.AXES)
        for name in ("filesystems", "sqlite-versions"):
            self.assertIn(f"id='{name}'", page)
        self.assertNotIn("id='scheduled-backups'", page)
        for heading, anchor in (("wal mode, btrfs, SQLite 3.50.4", "rec-wal-btrfs-3.50.4"),
                                ("delete mode, ext4, SQLite 3.40.1", "rec-delete-ext4-3.40.1")):
            self.assertIn(f"<a href='#{anchor}'>{heading}</a>", page)
            self.assertIn(f"<h3 id='{anchor}'>{heading}", page)
        self.assertIn("SQLite builds", text)
        self.assertIn("mkfs.btrfs", text)  # the filesystems' details
        self.assertIn("database on btrfs, ext4", text)

    def test_the_users_database_and_workload_file_are_named(self):
        def edit(raw):
            raw["database"] = {"file": "app.db", "bytes": 1234567, "page_size": 8192, "pages": 151, "tables": 4,
                               "indices": 5}
            raw["workload_file"] = {"name": "app.toml", "hash": "00ff00ff00ff00ff"}
        with support.Changed(edit) as results:
            lines = page.context(results)
        self.assertIn("Database app.db: 1,234,567 bytes, page size 8192, 151 pages, 4 tables, 5 indices "
                      "(a copy per trial)", lines)
        self.assertIn("Workload file app.toml (hash 00ff00ff00ff00ff)", lines)
        self.assertFalse(any(line.startswith(("Database", "Workload file")) for line in page.context(support.fixture())))


if __name__ == "__main__":
    unittest.main()
