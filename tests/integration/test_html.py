"""report.html in a real browser (headless Chromium): the page loads without script errors,
the flame graphs and the per-core timeline are drawn, and a click on a flame frame zooms."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlib  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0"]


class Html(unittest.TestCase):
    def setUp(self):
        ctlib.require_bpf(self)
        if not CHROMIUM:
            reason = "chromium not installed (apt-get install chromium, or make deps)"
            ctlib.skip_loudly(self, reason)
        self.tmp = tempfile.mkdtemp(prefix="conctrace-html-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def browse(self, page):
        prof = os.path.join(self.tmp, "chromium-profile")
        p = subprocess.run([CHROMIUM] + FLAGS + ["--user-data-dir=" + prof, "--dump-dom",
                                                 "file://" + page + "#selftest"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        m = re.search(r'<pre id="selftest">([^<]*)</pre>', p.stdout)
        self.assertIsNotNone(m, "the page's self-test did not run:\n" + p.stderr[-2000:])
        errors = [l for l in p.stderr.splitlines()
                  if "CONSOLE" in l and ("Uncaught" in l or "Error" in l)]
        self.assertEqual(errors, [], "console errors")
        return json.loads(m.group(1).replace("&quot;", '"'))

    def test_record_page(self):
        out = os.path.join(self.tmp, "run")
        p = subprocess.run([ctlib.CONCTRACE, "record", "-q", "-o", out, "--",
                            ctlib.helper("cpu_hog"), os.path.join(self.tmp, "truth.json")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           env=ctlib.clean_env(), timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        page = os.path.join(out, "report.html")
        self.assertTrue(os.path.exists(page), "record did not write report.html")
        self.assertLess(os.path.getsize(page), 20 * 1000 * 1000)
        with open(page) as f:
            html = f.read()
        self.assertNotRegex(html, r'(src|href)="https?:', "the page loads something remote")
        r = self.browse(page)
        self.assertEqual(r["flames"], 2, r)
        self.assertGreater(r["frames"], 3, r)
        self.assertGreater(r["timeline_rects"], 2, r)
        self.assertTrue(r.get("zoomed"), "a click did not zoom the flame graph: %s" % r)

    def test_run_page_has_comparison(self):
        spec = os.path.join(self.tmp, "spec.yaml")
        with open(spec, "w") as f:
            f.write("name: html\ntrace: {timeline: true}\nworkloads:\n  - name: w\n"
                    "    models:\n      a: {command: [%s, %s/t1]}\n      b: {command: [%s, %s/t2]}\n"
                    % (ctlib.helper("cpu_hog"), self.tmp, ctlib.helper("blockers"), self.tmp))
        out = os.path.join(self.tmp, "run")
        p = subprocess.run([ctlib.CONCTRACE, "run", "-q", "-o", out, spec],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           env=ctlib.clean_env(), timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        page = os.path.join(out, "report.html")
        with open(page) as f:
            html = f.read()
        self.assertIn("Findings", html)
        self.assertIn("Parallelism profile", html)
        self.assertEqual(html.count('class="case'), 2)
        r = self.browse(page)
        self.assertEqual(r["flames"], 4, r)
        self.assertTrue(r.get("zoomed"), r)


if __name__ == "__main__":
    unittest.main()
