"""Shared by the report's Python tests: paths, the checked-in fixtures (a quick
run; soak/: scheduled backups; axes/: filesystems and SQLite builds; faults/:
every fault against online; shards/0 and shards/1: the shards of one run), and
a copy of one that a test may change."""
import copy
import json
import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPORTS = os.path.join(ROOT, "reports")
FIXTURE = os.path.join(ROOT, "tests", "data", "report-fixture")
SOAK = os.path.join(FIXTURE, "soak")  # online and raw-copy, WAL mode, 4 backups 1 s apart in one trial
AXES = os.path.join(FIXTURE, "axes")  # online, btrfs-snapshot on btrfs and ext4, SQLite 3.40.1 and 3.50.4
FAULTS = os.path.join(FIXTURE, "faults")  # online, WAL mode, each of the seven faults once
SHARDS = [os.path.join(FIXTURE, "shards", k) for k in ("0", "1")]  # online, vacuum-into; wal, delete
ALL = [FIXTURE, SOAK, AXES, FAULTS] + SHARDS
SCHEMA = os.path.join(ROOT, "docs", "results.schema.json")
CONTRACT = os.path.join(ROOT, "docs", "contract.md")
BINARY = os.environ.get("BB_BINARY") or os.path.join(ROOT, "build", "backup-bench")
PYTHON = "/usr/bin/python3"
sys.path.insert(0, REPORTS)

import results_model as M  # noqa: E402


def fixture(path=FIXTURE):
    return M.load(path)


def fixture_json(path=FIXTURE):
    with open(os.path.join(path, "results.json")) as f:
        return json.load(f)


def each_backup(t, fn):
    """Applies fn to every backup record of trial t and to its top-level copy of
    the first (results.json keeps both), so an edit reads the same everywhere."""
    fn(t)
    for b in t["backups"]:
        fn(b)


class Changed:
    """A temporary copy of the fixture whose results.json a test rewrote:
    `with Changed(fn) as results:` where fn(raw_json) edits it in place."""

    def __init__(self, edit, base=FIXTURE):
        self.edit = edit
        self.base = base

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="bb-report-test-")
        shutil.copytree(self.base, self.dir, dirs_exist_ok=True)
        raw = copy.deepcopy(fixture_json(self.base))
        self.edit(raw)
        with open(os.path.join(self.dir, "results.json"), "w") as f:
            json.dump(raw, f)
        return M.load(self.dir)

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)
