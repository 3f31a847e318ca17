"""The seed article's claims judged on the checked-in fixture: each claim's
verdict (and each journal mode's) is what the fixture supports, so a change
that flips one fails here; and the rules behind them, on edited copies."""
import os
import unittest

import support
import claims as C
from support import Changed, each_backup, fixture

# What the fixture (a quick run, 24 MB, 2 repetitions, rollback mode paced at 10%
# of its capacity) supports, per claim: (overall, {evidence title: verdict}).
EXPECTED = [
    (C.DEPENDS, {"wal mode": C.SUPPORTED, "delete mode": C.CONTRADICTED}),       # online: writers proceed
    (C.SUPPORTED, {"wal mode": C.SUPPORTED, "delete mode": C.SUPPORTED}),        # online: consistent
    (C.SUPPORTED, {"wal mode": C.SUPPORTED, "delete mode": C.SUPPORTED}),        # online: graceful
    (C.SUPPORTED, {"wal mode": C.SUPPORTED, "delete mode": C.SUPPORTED}),        # vacuum: consistent, smaller
    (C.DEPENDS, {"wal mode": C.CONTRADICTED, "delete mode": C.SUPPORTED}),       # vacuum: blocks writers
    (C.PARTLY, {"wal mode": C.PARTLY, "delete mode": C.PARTLY}),                 # exclusive: blocks all
    (C.NOT_TESTED, {"wal mode, 24 MB": C.NOT_TESTED, "delete mode, 24 MB": C.NOT_TESTED}),  # efficiency
    (C.PARTLY, {"wal mode": C.PARTLY, "delete mode": C.SUPPORTED}),              # raw copy: risky
    (C.PARTLY, {"wal mode": C.PARTLY, "delete mode": C.PARTLY}),                 # sqlite3 .backup
    (C.NOT_OBSERVED, {"fs-snapshot, wal mode": C.NOT_OBSERVED,
                      "fs-snapshot, delete mode": C.NOT_OBSERVED}),              # crash-consistent
]


def per_mode(claim):
    """{title: verdict} read from the evidence lines ("wal mode: supported. ...")."""
    out = {}
    for e in claim["evidence"]:
        title, sep, rest = e.partition(": ")
        for st in (C.SUPPORTED, C.CONTRADICTED, C.PARTLY, C.DEPENDS, C.NOT_OBSERVED, C.NO_DATA, C.NOT_TESTED):
            if sep and rest.startswith(st + "."):
                out[title] = st
    return out


def judged(results):
    return C.judge_claims(results)


class ClaimsOnTheFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.claims = judged(fixture())

    def test_every_claim_has_the_verdict_the_fixture_supports(self):
        self.assertEqual(len(self.claims), len(EXPECTED))
        for c, (overall, modes) in zip(self.claims, EXPECTED):
            with self.subTest(quote=c["quote"][:50]):
                self.assertEqual(c["status"], overall, c["evidence"])
                self.assertEqual(per_mode(c), modes, c["evidence"])

    def test_the_article_is_named_and_quoted_in_full(self):
        self.assertEqual(C.ARTICLE, "SQLite Backup: Safely Closing Connections & Handling Open Handles")
        for c in self.claims:
            self.assertTrue(c["quote"][0].isupper() and c["quote"].endswith("."), c["quote"])

    def test_each_quote_is_word_for_word_in_the_article(self):
        path = os.path.join(support.ROOT, "..", "shared", "reference", "seed-article.txt")
        if not os.path.isfile(path):
            self.skipTest("../shared/reference/seed-article.txt is absent (a fresh clone)")
        with open(path, encoding="utf-8") as f:
            article = " ".join(f.read().split())
        for c in self.claims:
            self.assertIn(c["quote"], article)

    def test_the_evidence_has_the_runs_numbers(self):
        online = self.claims[0]["evidence"]
        self.assertIn("of 9 commits due during the backups (2 steady trials), 6 were delayed", online[1])
        raw = self.claims[7]["evidence"][1]
        self.assertIn("Verdicts OK 1, INCONSISTENT 1 over 2 trials", raw)

    def test_evidence_is_complete_sentences_without_internal_tags(self):
        for c in self.claims:
            for e in c["evidence"]:
                self.assertTrue(e.endswith("."), e)
                self.assertNotIn("[", e)  # no "[supported]"-style tags
                self.assertNotIn("_", e.split(":")[0])  # no field names as titles


def _set(raw, mode, label, fn):
    n = 0
    for t in raw["trials"]:
        if t["mode"] == mode and t["label"] == label:
            fn(t)
            n += 1
    assert n, (mode, label)


def _backups(fn):
    """An edit of every backup record of a trial (and of its top-level copy)."""
    return lambda t: each_backup(t, fn)


class ClaimRules(unittest.TestCase):
    def test_writers_held_up_during_online_contradicts_the_first_claim(self):
        def hold(b):
            b["writers"]["delayed_commits"] = b["writers"]["during"]["n"]
        with Changed(lambda raw: _set(raw, "wal", "online", _backups(hold))) as r:
            c = judged(r)[0]
        self.assertEqual(per_mode(c)["wal mode"], C.CONTRADICTED)
        self.assertEqual(c["status"], C.CONTRADICTED)

    def test_writers_free_during_online_in_rollback_mode_supports_it(self):
        def free(b):
            b["writers"]["delayed_commits"] = 0
        with Changed(lambda raw: _set(raw, "delete", "online", _backups(free))) as r:
            c = judged(r)[0]
        self.assertEqual(per_mode(c)["delete mode"], C.SUPPORTED)
        self.assertEqual(c["status"], C.SUPPORTED)

    def test_unsteady_trials_are_left_out_and_counted(self):
        def unsteady(t):
            t["load"]["steady"] = False
            t["load"]["reason"] = "writer 0 behind schedule"
            t["impact_counts"] = False  # as `run` writes it for an unsteady trial
        with Changed(lambda raw: _set(raw, "wal", "online", unsteady)) as r:
            c = judged(r)[0]
        self.assertEqual(per_mode(c)["wal mode"], C.NO_DATA)
        self.assertIn("2 unsteady trials left out", c["evidence"][0])

    def test_a_torn_raw_copy_fully_supports_the_risk_claim(self):
        def corrupt(b):
            b["verdict"]["status"] = "CORRUPT"
            b["verdict"]["detail"] = "integrity_check: page 3 is never used"
        with Changed(lambda raw: _set(raw, "wal", "raw-copy", _backups(corrupt))) as r:
            c = judged(r)[7]
        self.assertEqual(per_mode(c)["wal mode"], C.SUPPORTED)
        self.assertEqual(c["status"], C.SUPPORTED)
        self.assertIn("page 3 is never used", c["evidence"][0])

    def test_a_wrong_cli_backup_snapshot_contradicts_the_wrapper_claim(self):
        def stale(b):
            b["verdict"]["status"] = "STALE"
        with Changed(lambda raw: _set(raw, "delete", "cli-backup", _backups(stale))) as r:
            c = judged(r)[8]
        self.assertEqual(per_mode(c)["delete mode"], C.CONTRADICTED)

    def test_one_wrong_snapshot_among_a_trials_backups_counts(self):
        """Verdicts are one per snapshot: a later backup's counts, not only the first's."""
        def later_stale(raw):
            for t in raw["trials"]:
                if t["label"] == "online":
                    t["backups"][-1]["verdict"]["status"] = "STALE"
        with Changed(later_stale, base=support.SOAK) as r:
            c = judged(r)[1]
        self.assertEqual(c["status"], C.CONTRADICTED)
        self.assertIn("Verdicts OK 3, STALE 1 over 1 trial (4 snapshots)", c["evidence"][0])

    def test_vacuum_that_never_holds_writers_contradicts_the_lock_claim(self):
        def free(b):
            b["writers"]["delayed_commits"] = 0
        with Changed(lambda raw: _set(raw, "delete", "vacuum-into", _backups(free))) as r:
            c = judged(r)[4]
        self.assertEqual(c["status"], C.CONTRADICTED)

    def test_a_strategy_missing_from_the_run_is_not_tested(self):
        def drop(raw):
            raw["trials"] = [t for t in raw["trials"] if t["strategy"] != "vacuum-into"]
            raw["summary"] = [r for r in raw["summary"] if r["strategy"] != "vacuum-into"]
        with Changed(drop) as r:
            c = judged(r)[4]
        self.assertEqual(c["status"], C.NOT_TESTED)
        self.assertEqual(c["evidence"], ["No trials of vacuum-into ran in this run."])


class ClaimsOnScheduledBackups(unittest.TestCase):
    """The soak fixture: one trial per strategy, 4 backups each."""

    @classmethod
    def setUpClass(cls):
        cls.claims = judged(fixture(support.SOAK))

    def test_writer_flow_pools_every_backup_of_a_trial(self):
        r = fixture(support.SOAK)
        t = r.trials_of("wal", "online")[0]
        due = sum(b["writers"]["during"]["n"] for b in t.raw["backups"])
        self.assertEqual(due, r.rows_of("wal", "online")[0].raw["writers_during"]["n"])  # 104, the summary's n
        self.assertIn(f"of {due} commits due during the backups (1 steady trial, 4 backups)",
                      self.claims[0]["evidence"][0])
        self.assertEqual(self.claims[0]["status"], C.SUPPORTED)

    def test_every_snapshot_is_counted(self):
        self.assertIn("Verdicts OK 4 over 1 trial (4 snapshots)", self.claims[1]["evidence"][0])
        self.assertIn("4 of 4 backups finished", self.claims[2]["evidence"][0])
        self.assertIn("Verdicts STALE 4 over 1 trial (4 snapshots)", self.claims[7]["evidence"][0])


class ClaimsPerPlace(unittest.TestCase):
    """The axes fixture: each journal mode on btrfs and ext4 with SQLite 3.40.1 and 3.50.4."""

    def test_each_filesystem_and_build_is_judged_apart(self):
        c = judged(fixture(support.AXES))[1]  # online: consistent
        self.assertEqual(set(per_mode(c)), {f"{m} mode, {fs}, SQLite {v}" for m in ("wal", "delete")
                                            for fs in ("btrfs", "ext4") for v in ("3.40.1", "3.50.4")})
        self.assertEqual(c["status"], C.SUPPORTED)

    def test_btrfs_snapshot_is_judged_where_it_ran(self):
        c = judged(fixture(support.AXES))[9]  # crash-consistent
        self.assertEqual(set(per_mode(c)), {f"btrfs-snapshot, {m} mode, btrfs, SQLite {v}"
                                            for m in ("wal", "delete") for v in ("3.40.1", "3.50.4")})
        self.assertEqual(c["status"], C.NOT_OBSERVED)


if __name__ == "__main__":
    unittest.main()


class ClaimsLeaveFaultsOut(unittest.TestCase):
    """A trial with an injected fault tests the fault, not the article's claim."""

    def test_a_run_of_faults_only_judges_no_claim_of_the_strategy(self):
        claims = judged(fixture(support.FAULTS))
        online = [c for c in claims if c["strategy"] == "online"]
        self.assertTrue(online)
        for c in online:
            self.assertEqual(c["status"], C.NOT_TESTED, c)
            self.assertIn("had an injected fault", c["evidence"][0])

    def test_a_failed_backup_under_a_fault_does_not_count_against_the_strategy(self):
        def killed(t):
            t["axes"]["fault"] = "kill-backup"
            t["impact_counts"] = False
            each_backup(t, lambda b: (b["backup"].update(status="failed", error="killed by the fault"),
                                      b["verdict"].update(status="FAILED")))
        clean = judged(fixture())
        with Changed(lambda raw: _set(raw, "wal", "online", killed)) as r:
            faulted = judged(r)
        for before, after in zip(clean, faulted):
            if before["strategy"] != "online":
                continue
            self.assertNotIn("wal mode", per_mode(after), after)
            self.assertFalse(any("killed by the fault" in e for e in after["evidence"]), after)
            self.assertEqual(per_mode(after), {k: v for k, v in per_mode(before).items() if k != "wal mode"})
