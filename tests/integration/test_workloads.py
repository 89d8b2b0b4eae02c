"""The reference workloads on their own (no tracing, no root): every kind in every model
runs, does the requested amount of work and reports it on fd 3."""

import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlib  # noqa: E402

HARNESS = os.path.join(ctlib.REPO, "workloads", "python", "harness.py")
CBASE = os.path.join(ctlib.BUILD, "workloads", "cbase")
PY_MODELS = ("sequential", "threading", "multiprocessing", "asyncio", "thread-pool",
             "process-pool")
SMALL = {"cpu": ["--size", "20000"], "io": ["--requests", "12", "--latency-us", "1000"],
         "mixed": ["--requests", "12", "--latency-us", "1000", "--work", "1000"],
         "lock": ["--iterations", "2000"],
         "convoy": ["--size", "20000", "--requests", "8", "--latency-us", "1000", "--work", "5000"]}
EXPECT_OPS = {"cpu": 20000, "io": 12, "mixed": 12, "lock": 2000, "convoy": 8}


def with_fd3(argv):
    """Run argv with a pipe on fd 3; return (returncode, fd-3 text, stderr)."""
    r, w = os.pipe()
    try:
        # the pipe is close-on-exec; dup2 onto fd 3 makes an inheritable copy there
        p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             close_fds=False, preexec_fn=lambda: os.dup2(w, 3))
        os.close(w)
        w = -1
        with os.fdopen(r, "r") as f:
            report = f.read()
        _, err = p.communicate(timeout=60)
        return p.returncode, report, err.decode(errors="replace")
    finally:
        if w >= 0:
            os.close(w)


class Harness(unittest.TestCase):
    def test_every_kind_and_model(self):
        for kind, extra in SMALL.items():
            for model in PY_MODELS:
                with self.subTest(kind=kind, model=model):
                    rc, report, err = with_fd3([sys.executable, HARNESS, "--kind", kind,
                                                "--model", model, "--tasks", "3"] + extra)
                    self.assertEqual(rc, 0, err)
                    lines = report.strip().splitlines()
                    self.assertEqual(len(lines), 1, "exactly one JSON line on fd 3: %r" % report)
                    fig = json.loads(lines[0])
                    self.assertEqual((fig["kind"], fig["model"], fig["tasks"]), (kind, model, 3))
                    self.assertEqual(fig["ops"], EXPECT_OPS[kind])
                    self.assertGreater(fig["elapsed_s"], 0)
                    if kind in ("io", "mixed", "convoy"):
                        # a real round trip through the delay server takes at least its latency
                        self.assertGreaterEqual(fig["latency_p50_ms"], 1.0)
                        self.assertGreaterEqual(fig["latency_p99_ms"], fig["latency_p50_ms"])
                    if model == "asyncio" and kind in ("io", "mixed", "convoy"):
                        self.assertIn("loop_lag_p99_ms", fig)

    def test_bad_arguments(self):
        p = subprocess.run([sys.executable, HARNESS, "--kind", "cpu", "--model", "nope"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"invalid choice", p.stderr)

    def test_no_fd3_is_fine(self):
        p = subprocess.run([sys.executable, HARNESS, "--kind", "cpu", "--model", "sequential",
                            "--size", "1000"], stdin=subprocess.DEVNULL, close_fds=True)
        self.assertEqual(p.returncode, 0)


class CBase(unittest.TestCase):
    def setUp(self):
        if not os.access(CBASE, os.X_OK):
            self.skipTest("build/workloads/cbase not built: run make")

    def test_every_kind_and_model(self):
        cases = {"cpu": (["--size", "1000000"], 1000000, ("sequential", "pthreads", "fork")),
                 "io": (["--requests", "20", "--latency-us", "1000"], 20,
                        ("sequential", "pthreads", "fork", "epoll")),
                 "lock": (["--iterations", "100000"], 100000, ("sequential", "pthreads", "fork"))}
        for kind, (extra, ops, models) in cases.items():
            for model in models:
                with self.subTest(kind=kind, model=model):
                    rc, report, err = with_fd3([CBASE, "--kind", kind, "--model", model,
                                                "--tasks", "3"] + extra)
                    self.assertEqual(rc, 0, err)
                    fig = json.loads(report)
                    self.assertEqual((fig["kind"], fig["model"], fig["ops"]), (kind, model, ops))
                    if kind == "io":
                        self.assertGreaterEqual(fig["latency_p50_ms"], 1.0)

    def test_epoll_only_for_io(self):
        p = subprocess.run([CBASE, "--kind", "cpu", "--model", "epoll"],
                           stderr=subprocess.PIPE)
        self.assertEqual(p.returncode, 2)


if __name__ == "__main__":
    unittest.main()
