#!/usr/bin/python3
"""The CI examples under examples/ci/ are what a user copies, so each is run here
as its engine would run it, for N = 3 shards:

- the file parses (YAML with python3-yaml, or the shell script as it is);
- every backup-bench command line in it is accepted by its subcommand's
  `--check` (run: the trial count and estimate; report/compare: the shards
  found and checked), with that engine's variables set;
- the shards run with each engine's own variables (GitHub: the matrix value in
  --shard K/N; GitLab: CI_NODE_INDEX 1..3; Kubernetes: JOB_COMPLETION_INDEX and
  BB_SHARDS; Slurm: SLURM_ARRAY_TASK_ID from the #SBATCH --array range), each
  records the shard and engine it got, and the file's own report and compare
  lines merge the collected folder into one report whose trials are exactly
  those of one unsharded run of the same scenario and seed, and a compare
  against a stored baseline that writes the Markdown and JUnit CI shows.

Runs are kept tiny: the `backup-bench` on PATH is a wrapper that replaces the
size, strategies, repetitions and phases of every `run` with small ones (the
lines are otherwise run verbatim). Artifact upload/download steps are not run:
every job shares one working folder, which is what they produce.

usage: test_ci_examples.py BACKUP_BENCH_BINARY"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples", "ci")
BINARY = None  # set from argv
N = 3
TINY = ["--db-mb", "1", "--strategies", "online,vacuum-into", "--repeat", "1", "--rate", "20",
        "--set", "warmup_s=0.1", "--set", "baseline_s=0.3", "--set", "cooldown_s=0.1"]
REPLACED = {"--db-mb", "--strategies", "--repeat", "--rate"}  # flags with a value the wrapper replaces

WRAPPER = """#!/usr/bin/python3
# backup-bench for the examples' test: tiny runs; --check first when asked.
import json, os, sys
args = sys.argv[1:]
tiny, replaced = json.loads(os.environ["BB_TEST_TINY"]), set(json.loads(os.environ["BB_TEST_REPLACED"]))
if args and args[0] == "run":
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
        elif a in replaced:
            skip = True
        else:
            out.append(a)
    args = out + tiny
if os.environ.get("BB_TEST_CHECK") and args and args[0] in ("run", "report", "compare"):
    args.append("--check")
with open(os.environ["BB_TEST_LOG"], "a") as f:
    f.write(json.dumps(args) + "\\n")
os.execv(os.environ["BB_TEST_REAL"], [os.environ["BB_TEST_REAL"]] + args)
"""


def command_lines(script):
    """The backup-bench command lines of a shell script, continuations joined."""
    joined = re.sub(r"\\\n\s*", " ", script)
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("backup-bench ")]


def keys(results):
    return sorted((t["mode"], t["label"], t["repetition"], t["seed"], t["cell"]) for t in results["trials"])


def read_json(path):
    with open(path) as f:
        return json.load(f)


class Examples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="bb-ci-examples-")
        bindir = os.path.join(cls.tmp, "bin")
        os.makedirs(bindir)
        wrapper = os.path.join(bindir, "backup-bench")
        with open(wrapper, "w") as f:
            f.write(WRAPPER)
        os.chmod(wrapper, os.stat(wrapper).st_mode | stat.S_IEXEC)
        cls.env = {k: v for k, v in os.environ.items()
                   if not k.startswith(("CI_", "SLURM_", "JOB_COMPLETION", "BB_SHARD", "GITHUB_"))}
        cls.env.update(PATH=bindir + os.pathsep + os.environ.get("PATH", ""), BB_TEST_REAL=BINARY,
                       BB_TEST_TINY=json.dumps(TINY), BB_TEST_REPLACED=json.dumps(sorted(REPLACED)),
                       BB_TEST_LOG=os.path.join(cls.tmp, "commands.log"))
        # The stored baseline, and the trial list every merged report must equal:
        # one unsharded run of the same scenario and seed.
        cls.baseline = os.path.join(cls.tmp, "baseline")
        r = subprocess.run([BINARY, "run", "--preset", "quick", *TINY, "--out", cls.baseline],
                           capture_output=True, text=True, env=cls.env)
        assert r.returncode == 0, r.stderr
        cls.unsharded = keys(read_json(os.path.join(cls.baseline, "results.json")))
        assert len(cls.unsharded) == 4, cls.unsharded  # 2 modes x 2 strategies

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def workdir(self, name):
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        return d

    def sh(self, line, cwd, env, check_first=True):
        """Runs one command line as the engine's shell would: --check first, then for real."""
        full = dict(self.env, **env)
        if check_first:
            c = subprocess.run(["sh", "-c", line], cwd=cwd, env=dict(full, BB_TEST_CHECK="1"),
                               capture_output=True, text=True)
            self.assertEqual(c.returncode, 0, f"--check refused: {line}\n{c.stdout}{c.stderr}")
            if line.split()[1] == "run":
                self.assertRegex(c.stdout, r"scenario \S+: \d+ trial\(s\)")
                self.assertIn("about", c.stdout)  # the estimate per shard
        r = subprocess.run(["sh", "-c", line], cwd=cwd, env=full, capture_output=True, text=True)
        return r

    def run_sequence(self, shard_lines, merge_lines, cwd, engine, expect_engine, shards_dir, baseline_dir,
                     outputs):
        """Runs the shard lines for each shard with `engine(k)`'s variables, then the merge lines."""
        shutil.copytree(self.baseline, baseline_dir)
        self.assertTrue(shard_lines, "no backup-bench run line")
        for k in range(N):
            for line in shard_lines:
                r = self.sh(line, cwd, engine(k))
                self.assertEqual(r.returncode, 0, f"{line}\n{r.stderr}")
        # Each shard folder says which shard it ran and where that came from.
        found = {}
        for entry in sorted(os.listdir(shards_dir)):
            res = read_json(os.path.join(shards_dir, entry, "results.json"))
            found[res["shard"]["k"]] = res
            self.assertEqual(res["shard"]["n"], N)
            self.assertEqual(res["job"]["engine"], expect_engine)
        self.assertEqual(sorted(found), list(range(N)))
        kinds = set()
        for line in merge_lines:
            r = self.sh(line, cwd, {})
            kind = line.split()[1]
            kinds.add(kind)
            self.assertIn(r.returncode, (0, 1) if kind == "compare" else (0,), f"{line}\n{r.stdout}{r.stderr}")
        self.assertEqual(kinds, {"report", "compare"})
        report_dir, markdown, junit = outputs
        merged = read_json(os.path.join(report_dir, "merged-results.json"))
        self.assertEqual(keys(merged), self.unsharded)
        self.assertTrue(os.path.isfile(os.path.join(report_dir, "report.html")))
        with open(markdown) as f:
            self.assertIn("|", f.read())  # the per-cell table CI shows
        suite = ET.parse(junit).getroot()
        self.assertTrue(suite.iter("testcase"), "no test case in the JUnit file")

    def test_github_actions(self):
        with open(os.path.join(EXAMPLES, "github-actions.yml")) as f:
            wf = yaml.safe_load(f)
        shard_job = wf["jobs"]["shard"]
        self.assertEqual(shard_job["strategy"]["matrix"]["shard"], list(range(N)))
        # The JUnit action needs to write a check run; the baseline comes with the
        # checkout, not from an artifact no job of this workflow uploads.
        self.assertEqual(wf["jobs"]["report"]["permissions"]["checks"], "write")
        self.assertFalse([s for s in wf["jobs"]["report"]["steps"]
                          if "download-artifact" in s.get("uses", "") and s.get("with", {}).get("path") == "baseline/"])
        d = self.workdir("github")
        summary = os.path.join(d, "step-summary.md")
        shard_scripts = [s["run"] for s in shard_job["steps"] if "run" in s]
        merge_scripts = [s["run"] for s in wf["jobs"]["report"]["steps"] if "run" in s]
        merge_lines = [ln for s in merge_scripts for ln in command_lines(s)]
        self.env["GITHUB_STEP_SUMMARY"] = summary
        try:
            lines = [ln for s in shard_scripts for ln in command_lines(s)]

            def shard_lines_for(k):
                return [ln.replace("${{ matrix.shard }}", str(k)) for ln in lines]
            # GitHub has no index variable: the matrix value is in the line itself.
            self.assertTrue(all("${{ matrix.shard }}" in ln for ln in lines if ln.split()[1] == "run"))
            shutil.copytree(self.baseline, os.path.join(d, "baseline"))
            for k in range(N):
                for line in shard_lines_for(k):
                    r = self.sh(line, d, {})
                    self.assertEqual(r.returncode, 0, f"{line}\n{r.stderr}")
            for k in range(N):
                res = read_json(os.path.join(d, "shards", f"shard-{k}", "results.json"))
                self.assertEqual((res["shard"]["k"], res["shard"]["n"], res["job"]["engine"]), (k, N, "flag"))
            for line in merge_lines:
                r = self.sh(line, d, {})
                self.assertIn(r.returncode, (0, 1), f"{line}\n{r.stdout}{r.stderr}")
            merged = read_json(os.path.join(d, "report", "merged-results.json"))
            self.assertEqual(keys(merged), self.unsharded)
            with open(summary) as f:
                self.assertIn("|", f.read())
            self.assertTrue(list(ET.parse(os.path.join(d, "compare.xml")).getroot().iter("testcase")))
        finally:
            del self.env["GITHUB_STEP_SUMMARY"]

    def test_gitlab_ci(self):
        with open(os.path.join(EXAMPLES, "gitlab-ci.yml")) as f:
            ci = yaml.safe_load(f)
        bench, report = ci["bench"], ci["report"]
        self.assertEqual(bench["parallel"], N)
        variables = {k: str(v) for k, v in (ci.get("variables") or {}).items()}
        d = self.workdir("gitlab")
        lines = [ln for s in bench["script"] for ln in command_lines(s)]

        def engine(k):  # GitLab counts its parallel jobs from 1
            return dict(variables, CI_NODE_INDEX=str(k + 1), CI_NODE_TOTAL=str(N), CI_JOB_ID=str(1000 + k))
        merge = [ln for s in report["script"] for ln in command_lines(s)]
        self.run_sequence(lines, merge, d, engine, "gitlab", os.path.join(d, "shards"), os.path.join(d, "baseline"),
                          (os.path.join(d, "report"), os.path.join(d, "compare.md"), os.path.join(d, "compare.xml")))
        self.assertEqual(report["artifacts"]["reports"]["junit"], "compare.xml")

    def test_kubernetes_indexed_job(self):
        with open(os.path.join(EXAMPLES, "kubernetes-indexed-job.yaml")) as f:
            docs = [doc for doc in yaml.safe_load_all(f) if doc]
        job = next(doc for doc in docs if doc["kind"] == "Job")
        self.assertEqual(job["spec"]["completionMode"], "Indexed")
        self.assertEqual(job["spec"]["completions"], N)
        merge_job = next(doc for doc in docs if doc["kind"] == "CronJob")["spec"]["jobTemplate"]
        d = self.workdir("kubernetes")
        results = os.path.join(d, "results")
        os.makedirs(results)

        def container_env(container):
            env = {}
            for e in container.get("env", []):
                # Downward-API values are the pod's: stand-ins here.
                env[e["name"]] = str(e["value"]) if "value" in e else f"test-{e['name'].lower()}"
            env["RESULTS"] = results  # the volume's mount point
            return env
        shard_c = job["spec"]["template"]["spec"]["containers"][0]
        merge_c = merge_job["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(container_env(shard_c)["BB_SHARDS"], str(N))
        lines = [ln for a in shard_c["args"] for ln in command_lines(a)]
        merge = [ln for a in merge_c["args"] for ln in command_lines(a)]
        self.assertEqual(container_env(merge_c)["RESULTS"], results)
        self.env["RESULTS"] = results  # the merge container's variables
        try:
            self.run_sequence(lines, merge, d, lambda k: dict(container_env(shard_c), JOB_COMPLETION_INDEX=str(k)),
                              "kubernetes", os.path.join(results, "shards"), os.path.join(results, "baseline"),
                              (os.path.join(results, "report"), os.path.join(results, "compare.md"),
                               os.path.join(results, "compare.xml")))
        finally:
            del self.env["RESULTS"]

    def test_slurm_array(self):
        path, merge_path = os.path.join(EXAMPLES, "slurm-array.sh"), os.path.join(EXAMPLES, "slurm-merge.sh")
        with open(path) as f:
            script = f.read()
        m = re.search(r"^#SBATCH --array=(\d+)-(\d+)$", script, re.M)
        self.assertIsNotNone(m, "no #SBATCH --array=A-B")
        first, last = int(m.group(1)), int(m.group(2))
        self.assertEqual(last - first + 1, N)
        for p in (path, merge_path):  # the scripts parse
            self.assertEqual(subprocess.run(["bash", "-n", p]).returncode, 0)
        d = self.workdir("slurm")
        results = os.path.join(d, "results")
        self.env["BB_RESULTS"] = results
        try:
            def engine(k):
                return {"SLURM_ARRAY_TASK_ID": str(first + k), "SLURM_ARRAY_TASK_MIN": str(first),
                        "SLURM_ARRAY_TASK_MAX": str(last), "SLURM_ARRAY_TASK_COUNT": str(N),
                        "SLURM_ARRAY_JOB_ID": "4242", "SLURM_JOB_ID": str(4243 + k)}
            # The scripts run whole, as sbatch runs them; --check first on each line.
            for line in command_lines(script):
                c = subprocess.run(["sh", "-c", line], cwd=d, env=dict(self.env, RESULTS=results, BB_TEST_CHECK="1",
                                                                        **engine(0)),
                                   capture_output=True, text=True)
                self.assertEqual(c.returncode, 0, f"--check refused: {line}\n{c.stdout}{c.stderr}")
                self.assertIn("shard from slurm", c.stdout)
            shutil.copytree(self.baseline, os.path.join(results, "baseline"))
            for k in range(N):
                r = subprocess.run(["bash", path], cwd=d, env=dict(self.env, **engine(k)), capture_output=True,
                                   text=True)
                self.assertEqual(r.returncode, 0, r.stderr)
                res = read_json(os.path.join(results, "shards", f"shard-{first + k}", "results.json"))
                self.assertEqual((res["shard"]["k"], res["job"]["engine"]), (k, "slurm"))
                self.assertEqual(res["job"]["vars"]["SLURM_ARRAY_JOB_ID"], "4242")
            with open(merge_path) as f:
                for line in command_lines(f.read()):
                    c = subprocess.run(["sh", "-c", line], cwd=d, env=dict(self.env, RESULTS=results,
                                                                            BB_TEST_CHECK="1"),
                                       capture_output=True, text=True)
                    self.assertEqual(c.returncode, 0, f"--check refused: {line}\n{c.stdout}{c.stderr}")
            r = subprocess.run(["bash", merge_path], cwd=d, env=self.env, capture_output=True, text=True)
            self.assertIn(r.returncode, (0, 1), r.stdout + r.stderr)
            merged = read_json(os.path.join(results, "report", "merged-results.json"))
            self.assertEqual(keys(merged), self.unsharded)
            with open(os.path.join(results, "compare.md")) as f:
                self.assertIn("|", f.read())
            self.assertTrue(list(ET.parse(os.path.join(results, "compare.xml")).getroot().iter("testcase")))
        finally:
            del self.env["BB_RESULTS"]


if __name__ == "__main__":
    BINARY = os.path.abspath(sys.argv.pop(1))
    unittest.main()
