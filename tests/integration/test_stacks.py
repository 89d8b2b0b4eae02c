"""Stacks: a C program with a known hot function and known blocking calls is recorded; the
on-CPU profile's hottest leaf must be that function, and the off-CPU profile must hold the
blocking stacks under the right reasons."""

import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlib  # noqa: E402


class HotAndBlocking(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="conctrace-stacks-")
        cls.out = os.path.join(cls.tmp, "run")
        cls.reason = ctlib._skip_reason()
        if cls.reason:
            return
        cls.p = subprocess.run([ctlib.CONCTRACE, "record", "-q", "--sample-hz", "199", "-o",
                                cls.out, "--", ctlib.helper("hot_block")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=ctlib.clean_env(), timeout=120)
        cls.st = None
        path = os.path.join(cls.out, "stacks.json")
        if os.path.exists(path):
            with open(path) as f:
                cls.st = json.load(f)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        if self.reason:
            ctlib.skip_loudly(self, self.reason)
        self.assertEqual(self.p.returncode, 0, self.p.stderr)
        self.assertIsNotNone(self.st, "no stacks.json written")

    def frames(self, s):
        return [self.st["frames"][i] for i in s["stack"]]

    def test_hottest_leaf_is_hot_leaf(self):
        leaves = collections.Counter()
        for s in self.st["samples"]:
            if s["reason"] == "oncpu":
                user = [f for f in self.frames(s) if not f.startswith("[")]
                leaves[self.frames(s)[-1]] += s["count"]
        self.assertTrue(leaves, "no on-CPU samples")
        leaf, n = leaves.most_common(1)[0]
        self.assertEqual(leaf, "hot_leaf", "on-CPU leaves: %s" % leaves.most_common(5))
        # hundreds of ms at 199 Hz: dozens of samples
        self.assertGreater(n, 20)

    def test_hot_leaf_called_from_hot_caller(self):
        for s in self.st["samples"]:
            if s["reason"] == "oncpu" and self.frames(s)[-1] == "hot_leaf":
                fr = self.frames(s)
                self.assertIn("hot_caller", fr, fr)
                self.assertLess(fr.index("hot_caller"), fr.index("hot_leaf"))
                self.assertIn("main", fr, fr)

    def off_cpu(self, reason, func):
        total = 0
        for s in self.st["samples"]:
            if s["reason"] == reason and func in self.frames(s):
                total += s["ns"]
        return total

    def test_sleep_stack(self):
        ns = self.off_cpu("sleep", "block_here")
        self.assertGreater(ns, 280 * ctlib.MS, "sleep under block_here: %d ns" % ns)
        for s in self.st["samples"]:
            if s["reason"] == "sleep" and "block_here" in self.frames(s):
                fr = self.frames(s)
                self.assertLess(fr.index("main"), fr.index("block_here"))
                self.assertTrue(any("nanosleep" in f for f in fr), fr)   # the kernel part

    def test_io_stack(self):
        ns = self.off_cpu("io", "read_pipe_here")
        self.assertGreater(ns, 180 * ctlib.MS, "io under read_pipe_here: %d ns" % ns)

    def test_folded_and_svg_files(self):
        """record wrote the folded stacks and flame graphs; the folded totals are the stacks'."""
        oncpu = sum(s["count"] for s in self.st["samples"] if s["reason"] == "oncpu")
        offcpu = sum(s["ns"] for s in self.st["samples"] if s["reason"] != "oncpu")
        for name, want in (("oncpu.folded", oncpu), ("offcpu.folded", offcpu)):
            with open(os.path.join(self.out, name)) as f:
                lines = [l for l in f.read().splitlines() if l]
            self.assertEqual(sum(int(l.rsplit(" ", 1)[1]) for l in lines), want, name)
            if name == "offcpu.folded":
                roots = {l.split(";", 1)[0] for l in lines}
                self.assertTrue(roots <= set(ctlib.REASONS), roots)
        import xml.dom.minidom
        for name in ("oncpu.svg", "offcpu.svg"):
            xml.dom.minidom.parse(os.path.join(self.out, name))

    def test_off_cpu_matches_thread_figures(self):
        """The stacks' off-CPU time per reason equals the thread table's (same events)."""
        with open(os.path.join(self.out, "run.json")) as f:
            c = json.load(f)["cases"][0]
        by_reason = collections.Counter()
        for s in self.st["samples"]:
            if s["reason"] != "oncpu":
                by_reason[s["reason"]] += s["ns"]
        for r in ("sleep", "io"):
            ctlib.assert_close(self, by_reason[r], c["totals"]["off_ns"][r], rel=0.001,
                               what="off-CPU %s in stacks vs totals" % r)


if __name__ == "__main__":
    unittest.main()
