"""The fixture's report in headless Chromium (Debian's `chromium`) at 900 and
1400 px wide: every chart image loaded and no text overflows its container.
Skips, saying why, when chromium is not installed. BB_SCREENSHOTS=DIR also
saves a full-page screenshot at each width there, to look at."""
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import support
import report

CHROMIUM = shutil.which("chromium")
CHECK_JS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "page_check.js")


def chromium(args, profile):
    """Runs headless chromium as root can (no sandbox, no GPU, a fresh profile)."""
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}"] + args
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def check(page_path, width, profile):
    """The page's own report (page_check.js) at `width` px: {bad, images, height}."""
    with open(page_path) as f:
        page = f.read()
    with open(CHECK_JS) as f:
        script = f.read()
    checked = page_path[:-5] + f"-check-{width}.html"
    with open(checked, "w") as f:
        f.write(page.replace("</body>", f"<script>{script}</script></body>"))
    p = chromium([f"--window-size={width},1200", "--virtual-time-budget=10000", "--dump-dom",
                  "file://" + checked], profile)
    found = re.findall(r'<pre id="bb-check">(\{.*?)</pre>', p.stdout, re.S)
    if not found:
        raise AssertionError(f"chromium printed no check result (exit {p.returncode}): {p.stderr[-500:]}")
    return json.loads(html.unescape(found[-1]))


@unittest.skipIf(CHROMIUM is None, "chromium is not installed (scripts/setup installs it)")
class InChromium(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="bb-browser-test-")
        cls.profile = os.path.join(cls.dir, "profile")
        cls.page = report.write(support.fixture(), os.path.join(cls.dir, "out"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def render(self, width):
        result = check(self.page, width, self.profile)
        shots = os.environ.get("BB_SCREENSHOTS")
        if shots:
            os.makedirs(shots, exist_ok=True)
            chromium([f"--window-size={width},{result['height'] + 20}",
                      f"--screenshot={os.path.join(shots, f'report-{width}.png')}", "file://" + self.page],
                     self.profile)
        return result

    def test_at_900_px(self):
        r = self.render(900)
        self.assertEqual(r["images"], 6)
        self.assertEqual(r["bad"], [])

    def test_at_1400_px(self):
        r = self.render(1400)
        self.assertEqual(r["images"], 6)
        self.assertEqual(r["bad"], [])

    def test_the_check_catches_an_overflow_and_a_broken_image(self):
        broken = os.path.join(self.dir, "broken.html")
        with open(broken, "w") as f:
            f.write("<!doctype html><html><body><div style='width:200px'><p style='white-space:nowrap'>"
                    + "overflowing " * 40 + "</p></div><img alt=missing src='nothing.png'></body></html>")
        kinds = {b["kind"] for b in check(broken, 900, self.profile)["bad"]}
        self.assertIn("text overflows its box", kinds)
        self.assertIn("image not loaded", kinds)


if __name__ == "__main__":
    unittest.main()
