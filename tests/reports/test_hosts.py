"""The header of a merged run names every host its shards ran on, and warns when
they differ in CPU, cores, kernel, filesystem or SQLite version (results.json's
`hosts` and `host_differences`, computed by the merge)."""
import unittest

from support import Changed, fixture

import hosts
import page

HOST_A = {"hostname": "node-a", "cpu": "AMD EPYC", "cores": 2, "kernel": "Linux 6.1", "filesystem": "ext4",
          "sqlite_version": "3.40.1", "shards": [0, 2]}


def merged(host_b, differences):
    def edit(raw):
        raw["sources"] = ["s0/results.json", "s1/results.json", "s2/results.json"]
        raw["shard"] = {"k": [0, 1, 2], "n": 3}
        raw["hosts"] = [HOST_A, dict(host_b, shards=[1])]
        raw["host_differences"] = differences
    return edit


class Hosts(unittest.TestCase):
    def test_a_plain_run_has_no_hosts_line_and_no_warning(self):
        r = fixture()
        self.assertIsNone(hosts.context_line(r))
        self.assertIsNone(hosts.warning(r))

    def test_each_host_is_named_with_its_shards(self):
        b = dict(HOST_A, hostname="node-b")
        with Changed(merged(b, [])) as r:
            line = hosts.context_line(r)
            self.assertIn("Merged from 3 of 3 shards", line)
            self.assertIn("node-a (shards 0, 2", line)
            self.assertIn("node-b (shard 1", line)
            self.assertIn(line, page.context(r))
            self.assertIsNone(hosts.warning(r))  # alike hosts: nothing to warn about

    def test_hosts_that_differ_are_a_warning_in_the_header(self):
        b = dict(HOST_A, hostname="node-b", cores=8, kernel="Linux 6.8")
        diffs = [{"field": "cores", "values": [2, 8]}, {"field": "kernel", "values": ["Linux 6.1", "Linux 6.8"]}]
        with Changed(merged(b, diffs)) as r:
            w = hosts.warning(r)
            self.assertIn("core count: 2 vs 8", w)
            self.assertIn("kernel: Linux 6.1 vs Linux 6.8", w)
            self.assertIn(w, page.warnings(r))


if __name__ == "__main__":
    unittest.main()
