"""Shared by the report's Python tests: paths, the checked-in fixture, and a
copy of it that a test may change."""
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
PYTHON = "/usr/bin/python3"
sys.path.insert(0, REPORTS)

import results_model as M  # noqa: E402


def fixture():
    return M.load(FIXTURE)


def fixture_json():
    with open(os.path.join(FIXTURE, "results.json")) as f:
        return json.load(f)


class Changed:
    """A temporary copy of the fixture whose results.json a test rewrote:
    `with Changed(fn) as results:` where fn(raw_json) edits it in place."""

    def __init__(self, edit):
        self.edit = edit

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="bb-report-test-")
        shutil.copytree(FIXTURE, self.dir, dirs_exist_ok=True)
        raw = copy.deepcopy(fixture_json())
        self.edit(raw)
        with open(os.path.join(self.dir, "results.json"), "w") as f:
            json.dump(raw, f)
        return M.load(self.dir)

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)
