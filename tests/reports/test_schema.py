"""The schema of results.json (docs/results.schema.json) against the contract
(docs/contract.md) and the fixtures; the report reads names and rules from the
file (results_model) and refuses a file of another version with one line; a
faults run's rows are named as `run` names them, in summary.md and the page."""
import json
import os
import re
import subprocess
import unittest

import jsonschema

import support as S

M = S.M


def schema():
    with open(S.SCHEMA) as f:
        return json.load(f)


def contract_block():
    """The results.json block of docs/contract.md."""
    with open(S.CONTRACT) as f:
        text = f.read()
    section = text[text.index("## results.json"):]
    return section.split("```")[1]


def schema_names(node, out=None):
    """Every property name the schema defines, and every value it enumerates."""
    out = set() if out is None else out
    if isinstance(node, dict):
        out.update(node.get("properties", {}))
        for v in node.get("enum", []):
            if isinstance(v, str):
                out.add(v)
        if isinstance(node.get("const"), str):
            out.add(node["const"])
        for v in node.values():
            schema_names(v, out)
    elif isinstance(node, list):
        for v in node:
            schema_names(v, out)
    return out


class ContractAndSchema(unittest.TestCase):
    def test_the_schema_is_a_valid_draft_2020_12_schema(self):
        s = schema()
        self.assertEqual(s["$schema"], "https://json-schema.org/draft/2020-12/schema")
        jsonschema.Draft202012Validator.check_schema(s)

    def test_every_field_of_the_schema_is_in_the_contract(self):
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", contract_block()))
        missing = sorted(n for n in schema_names(schema()) if re.fullmatch(r"[a-z_][a-z0-9_]*", n) and n not in words)
        self.assertEqual(missing, [], "fields in docs/results.schema.json that docs/contract.md does not list")

    def test_every_field_the_contract_quotes_is_in_the_schema(self):
        quoted = set(re.findall(r'"([a-z_][a-z0-9_]*)"', contract_block()))
        missing = sorted(quoted - schema_names(schema()))
        self.assertEqual(missing, [], "fields docs/contract.md names that docs/results.schema.json lacks")

    def test_the_schema_requires_every_derived_value(self):
        d = schema()["$defs"]
        for f in ("row", "impact_counts", "axes"):
            self.assertIn(f, d["trial"]["required"])
        for f in ("key", "name", "name_parts", "fault"):
            self.assertIn(f, d["summary_row"]["required"])
        self.assertIn("impact_representative", d["strategy"]["required"])
        self.assertIn("verdicts", schema()["required"])


def schema_at(path, node, root):
    """(types, required) of a '/'-separated path below a schema node, following
    $ref; a numeric step is an array's item."""
    required = True
    for step in path.strip("/").split("/"):
        while "$ref" in node:
            node = root["$defs"][node["$ref"].split("/")[-1]]
        if step.isdigit():
            node = node["items"]
            continue
        required = required and step in node.get("required", [])
        node = node["properties"][step]
    while "$ref" in node:
        node = root["$defs"][node["$ref"].split("/")[-1]]
    if "enum" in node:  # an enumeration's values are its types
        return {{str: "string", bool: "boolean", type(None): "null"}.get(type(v), "number") for v in node["enum"]}, \
            required
    kinds = node.get("type", [])
    return set([kinds] if isinstance(kinds, str) else kinds), required


# The field checks kept beside the readers for their error messages, as the
# schema's types: each must agree with docs/results.schema.json.
AS_SCHEMA = {M.TEXT: {"string"}, M.NUMBER: {"number", "integer"}, M.FLAG: {"boolean"}, M.LIST: {"array"},
             M.OBJECT: {"object"}, "kString": {"string"}, "kNumber": {"number", "integer"}, "kBool": {"boolean"},
             "kObject": {"object"}, "kNonEmptyArray": {"array"}, "kStringOrNull": {"string", "null"}}


class FieldChecksAgreeWithTheSchema(unittest.TestCase):
    def check(self, fields, definition):
        root = schema()
        for path, kind in fields.items():
            with self.subTest(field=path, definition=definition):
                types, required = schema_at(path, root["$defs"][definition], root)
                optional = kind.endswith("?")
                want = AS_SCHEMA[kind.rstrip("?")] | ({"null"} if optional else set())
                self.assertTrue(types & (want - {"null"}), f"{path}: schema says {sorted(types)}, check says {kind}")
                self.assertTrue(types <= want or types - want <= {"integer"} and "number" in want,
                                f"{path}: schema allows {sorted(types)}, the check only {sorted(want)}")
                if not optional:
                    self.assertTrue(required, f"{path}: checked as always present, but the schema does not require it")

    def test_the_reports_trial_and_row_checks(self):
        self.check(M.TRIAL_FIELDS, "trial")
        self.check(M.ROW_FIELDS, "summary_row")

    def test_the_merges_trial_checks(self):
        with open(os.path.join(S.ROOT, "results", "merge.cpp")) as f:
            text = f.read()
        table = text[text.index("kTrialFields[] = {"):]
        table = table[:table.index("};")]
        fields = dict(re.findall(r'\{"([^"]+)", Want::(k\w+)\}', table))
        self.assertGreater(len(fields), 20)
        self.check(fields, "trial")


class Fixtures(unittest.TestCase):
    def test_every_fixture_is_this_version_and_gives_every_row_a_key_and_name(self):
        for path in S.ALL:
            r = S.fixture(path)
            self.assertEqual(r.raw["schema"], M.SCHEMA, path)
            keys = [row.key for row in r.rows]
            self.assertEqual(len(keys), len(set(keys)), path)
            for t in r.trials:
                self.assertIn(t.key, keys, path)  # every trial's row exists
            for row in r.rows:
                self.assertTrue(row.trials, f"{path}: {row.name} has no trial")

    def test_the_fixtures_cover_every_axis(self):
        trials = [t for p in S.ALL for t in S.fixture(p).trials]
        self.assertEqual(len({t.fault for t in trials}), 8)  # none and the seven faults
        self.assertGreater(max(len(t.backups) for t in trials), 1)  # scheduled backups
        self.assertGreater(len({t.sqlite for t in trials}), 1)
        self.assertGreater(len({t.filesystem for t in trials}), 1)
        shards = [S.fixture_json(p)["shard"] for p in S.SHARDS]
        self.assertEqual(shards, [{"k": 0, "n": 2}, {"k": 1, "n": 2}])

    def test_a_faulted_trial_never_counts_for_writer_figures(self):
        r = S.fixture(S.FAULTS)
        self.assertEqual(len(r.trials), 7)
        self.assertFalse(any(t.impact_counts for t in r.trials))

    def test_wrong_verdicts_come_from_the_file(self):
        r = S.fixture()
        self.assertEqual(r.wrong_verdicts, ("CORRUPT", "INCONSISTENT", "STALE"))

        def only_stale(raw):
            for v in raw["verdicts"]:
                v["wrong_snapshot"] = v["status"] == "STALE"
        with S.Changed(only_stale) as c:
            self.assertEqual(c.wrong_verdicts, ("STALE",))


class FaultRows(unittest.TestCase):
    """The issue's run: every fault against online in WAL mode, seven rows."""

    def test_seven_distinct_rows_named_as_the_console_names_them(self):
        import summary_table
        r = S.fixture(S.FAULTS)
        names = [row.name for row in r.rows]
        self.assertEqual(len(set(names)), 7)
        self.assertTrue(all(n.startswith("online+") for n in names), names)
        console = [line for line in summary_table.text_lines(r)[1:]]
        self.assertEqual([line.split()[1] for line in console], names)
        md = summary_table.markdown(r).splitlines()
        rows = [line for line in md if line.startswith("| wal |")]
        self.assertEqual([line.split("|")[2].strip() for line in rows], names)
        html = summary_table.html_table(r)
        self.assertEqual(re.findall(r"<tr class='[^']*'><td class=name>wal</td><td class=name>([^<]*)</td>", html),
                         names)


class OtherVersions(unittest.TestCase):
    def test_a_file_of_the_previous_version_is_refused_with_one_line_saying_what_to_do(self):
        with self.assertRaises(M.BadInput) as e:
            with S.Changed(lambda raw: raw.update(schema="backup-bench/1")):
                pass
        msg = str(e.exception)
        self.assertNotIn("\n", msg)
        self.assertIn("backup-bench/1", msg)
        self.assertIn("run the scenario again", msg)


if __name__ == "__main__":
    unittest.main()
