"""scripts/install-litestream: installs once, fetches nothing the second time,
and refuses a package whose checksum is not the published one. Offline: it
installs from the verified package a real setup keeps in the tool cache
(skipped when setup has never installed Litestream here)."""
import os
import pathlib
import subprocess
import tempfile
import unittest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "install-litestream"


def real_tools_dir():
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.environ.get("HOME", "/tmp"), ".cache")
    return pathlib.Path(os.environ.get("BB_TOOLS_DIR") or os.path.join(cache, "backup-bench", "tools"))


PACKAGE = real_tools_dir() / "downloads" / "litestream-linux-x64-1.0.1.tgz"


@unittest.skipUnless(PACKAGE.exists(), f"no verified Litestream package at {PACKAGE} (run scripts/setup)")
class InstallLitestream(unittest.TestCase):
    def run_script(self, tools, tgz):
        env = dict(os.environ, BB_TOOLS_DIR=str(tools), BB_LITESTREAM_TGZ=str(tgz))
        return subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)

    def test_installs_once_then_fetches_nothing(self):
        with tempfile.TemporaryDirectory() as d:
            tools = pathlib.Path(d) / "tools"
            first = self.run_script(tools, PACKAGE)
            self.assertEqual(first.returncode, 0, first.stderr)
            exe = tools / "litestream-v0.3.13" / "litestream"
            self.assertTrue(os.access(exe, os.X_OK))
            self.assertEqual(subprocess.run([str(exe), "version"], capture_output=True, text=True).stdout.strip(),
                             "v0.3.13")
            record = (tools / "litestream-v0.3.13" / "installed.json").read_text()
            self.assertIn('"version": "v0.3.13"', record)
            # The second run needs no package at all: it must not look for one.
            second = self.run_script(tools, pathlib.Path(d) / "no-such-package.tgz")
            self.assertEqual(second.returncode, 0, second.stderr)
            self.assertEqual(second.stderr, "")

    def test_a_changed_binary_is_installed_again(self):
        with tempfile.TemporaryDirectory() as d:
            tools = pathlib.Path(d) / "tools"
            self.assertEqual(self.run_script(tools, PACKAGE).returncode, 0)
            exe = tools / "litestream-v0.3.13" / "litestream"
            with open(exe, "r+b") as f:
                f.seek(1000)
                f.write(b"\0\0\0\0")
            again = self.run_script(tools, PACKAGE)
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertIn("differs from its record", again.stderr)
            self.assertEqual(subprocess.run([str(exe), "version"], capture_output=True, text=True).stdout.strip(),
                             "v0.3.13")

    def test_a_corrupted_download_is_refused(self):
        with tempfile.TemporaryDirectory() as d:
            bad = pathlib.Path(d) / "corrupt.tgz"
            data = bytearray(PACKAGE.read_bytes())
            data[len(data) // 2] ^= 0xFF
            bad.write_bytes(bytes(data))
            tools = pathlib.Path(d) / "tools"
            r = self.run_script(tools, bad)
            self.assertEqual(r.returncode, 1)
            self.assertIn("REFUSED", r.stderr)
            self.assertIn("checksum", r.stderr)
            self.assertFalse((tools / "litestream-v0.3.13" / "litestream").exists())
            self.assertFalse((tools / "litestream-v0.3.13" / "installed.json").exists())


if __name__ == "__main__":
    unittest.main()
