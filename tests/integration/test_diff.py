"""conctrace diff: two recorded runs compared, with differential flame graphs; and two
cases of one run."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import xml.dom.minidom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlib  # noqa: E402


class Diff(unittest.TestCase):
    def setUp(self):
        ctlib.require_bpf(self)
        self.tmp = tempfile.mkdtemp(prefix="conctrace-diff-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def record(self, name, argv):
        out = os.path.join(self.tmp, name)
        p = subprocess.run([ctlib.CONCTRACE, "record", "-q", "-o", out, "--"] + argv,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           env=ctlib.clean_env(), timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        return out

    def test_two_records(self):
        a = self.record("a", [ctlib.helper("hot_block")])
        b = self.record("b", [ctlib.helper("blockers"), os.path.join(self.tmp, "truth.json")])
        flames = os.path.join(self.tmp, "flames")
        p = subprocess.run([ctlib.CONCTRACE, "diff", "-o", flames, a, b], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        for what in ("wall", "on-CPU", "effective parallelism", "off-CPU sleep"):
            self.assertIn(what, p.stdout)
        # blockers waits in poll and for a child, hot_block does not: new reasons are marked
        self.assertRegex(p.stdout, r"off-CPU poll .* new \*")
        svgs = sorted(os.listdir(flames))
        self.assertEqual(len(svgs), 2, svgs)
        for s in svgs:
            xml.dom.minidom.parse(os.path.join(flames, s))

    def test_same_run_two_cases_and_errors(self):
        a = self.record("a", [ctlib.helper("hot_block")])
        p = subprocess.run([ctlib.CONCTRACE, "diff", "--case-a", "1", "--case-b", "1", a, a],
                           stdout=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(p.returncode, 0)
        self.assertNotIn("*", p.stdout.split("change", 1)[1], "a case differs from itself")
        p = subprocess.run([ctlib.CONCTRACE, "diff", a, os.path.join(self.tmp, "nothing")],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE)
        self.assertIn("nothing/run.json", p.stderr)
        p = subprocess.run([ctlib.CONCTRACE, "diff", "--case-a", "5", a, a],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE)
        # two `run` runs without a (workload, model) in common: an error, not an empty diff
        runs = []
        for name, model in (("x", "threading"), ("y", "asyncio")):
            d = os.path.join(self.tmp, name)
            os.mkdir(d)
            r = ctlib.load_json(os.path.join(a, "run.json"))
            r["kind"] = "run"
            r["cases"][0].update(workload="w", model=model)
            with open(os.path.join(d, "run.json"), "w") as f:
                json.dump(r, f)
            runs.append(d)
        p = subprocess.run([ctlib.CONCTRACE, "diff"] + runs, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stdout)
        self.assertIn("no case (workload and model) in common", p.stderr)
        p = subprocess.run([ctlib.CONCTRACE, "diff", "--case-a", "1", "--case-b", "1"] + runs,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    unittest.main()
