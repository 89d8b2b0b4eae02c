"""The fuzz targets' inputs replayed without libFuzzer (tools/fuzz/replay.c, built like the
tests, so under the sanitizer build with ASan and UBSan): the seeds made from the tests'
fixtures and every reproducer the fuzzer found (tools/fuzz/regress/TARGET/). Each must run
to its end without a sanitizer report."""

import glob
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlib  # noqa: E402

FUZZ = os.path.join(ctlib.REPO, "tools", "fuzz")
FIX = os.path.join(ctlib.REPO, "tests", "fixtures", "export")
SEEDS = {
    "spec": glob.glob(os.path.join(ctlib.REPO, "workloads", "*.yaml")) +
            glob.glob(os.path.join(FUZZ, "seeds", "spec", "*")),
    "run_json": [os.path.join(FIX, "run.json")],
    "stacks_json": [os.path.join(FIX, "stacks.json")],
    "timeline": [os.path.join(FIX, "timeline.bin")],
}


class FuzzRegress(unittest.TestCase):
    def replay(self, target):
        exe = os.path.join(ctlib.BUILD, "tests", "fuzz", "replay_" + target)
        self.assertTrue(os.access(exe, os.X_OK), "%s is not built (make test builds it)" % exe)
        inputs = sorted(SEEDS[target] + glob.glob(os.path.join(FUZZ, "regress", target, "*")))
        self.assertTrue(inputs)
        p = subprocess.run([exe] + inputs, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        self.assertIn("replayed %d inputs" % len(inputs), p.stdout)
        self.assertNotIn("runtime error", p.stderr, p.stderr[-3000:])
        self.assertNotIn("Sanitizer", p.stderr, p.stderr[-3000:])

    def test_spec(self):
        self.replay("spec")

    def test_run_json(self):
        self.replay("run_json")

    def test_stacks_json(self):
        self.replay("stacks_json")

    def test_timeline(self):
        self.replay("timeline")


if __name__ == "__main__":
    unittest.main()
