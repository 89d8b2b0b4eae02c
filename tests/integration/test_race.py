"""The race kind: one shared counter, a read-modify-write with work between the read and
the write. Threads (Python under the GIL, and C pthreads on two cores) lose updates;
asyncio's coroutines, which switch only at an await outside the window, lose none;
processes share nothing (each counts in its own copy); with a lock every update counts."""

import json
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlib  # noqa: E402
from test_workloads import CBASE, HARNESS, with_fd3  # noqa: E402
import test_function  # noqa: E402


def race(argv):
    rc, report, err = with_fd3(argv)
    if rc != 0:
        raise AssertionError("%s exited %d: %s" % (" ".join(argv), rc, err))
    fig = json.loads(report)
    assert fig["final"] + fig["lost"] == fig["expected"], fig
    return fig


def py(model, *extra):
    return race([sys.executable, HARNESS, "--kind", "race", "--model", model, "--tasks", "4"]
                + list(extra))


def c(model, *extra):
    return race([CBASE, "--kind", "race", "--model", model, "--tasks", "4"] + list(extra))


class PythonModels(unittest.TestCase):
    def test_threads_lose_updates(self):
        for model in ("threading", "thread-pool"):
            fig = py(model)
            self.assertGreater(fig["lost"], 0, fig)
            self.assertTrue(fig["shared"])

    def test_coroutines_switch_only_at_await(self):
        fig = py("asyncio")
        self.assertEqual((fig["final"], fig["lost"]), (4000, 0))

    def test_locks_make_it_exact(self):
        for model in ("sequential", "threading-lock", "multiprocessing-value"):
            fig = py(model)
            self.assertEqual((fig["final"], fig["lost"]), (fig["expected"], 0), fig)
        self.assertTrue(py("threading-lock")["locked"])

    def test_processes_share_nothing(self):
        for model in ("multiprocessing", "process-pool"):
            fig = py(model, "--iterations", "2000")
            self.assertEqual(fig["final"], 0, fig)
            self.assertFalse(fig["shared"])
            self.assertEqual(sum(fig["per_task"]), 2000, fig)
        self.assertEqual(py("multiprocessing", "--iterations", "2000")["per_task"],
                         [500, 500, 500, 500])

    def test_race_models_only_for_race(self):
        rc, _, err = with_fd3([sys.executable, HARNESS, "--kind", "cpu", "--model",
                               "threading-lock"])
        self.assertEqual(rc, 2)
        self.assertIn("race only", err)


class CModels(unittest.TestCase):
    def setUp(self):
        if not os.access(CBASE, os.X_OK):
            self.skipTest("build/workloads/cbase not built: run make")

    def test_without_a_lock_updates_are_lost(self):
        for model in ("pthreads", "fork-shm"):
            fig = c(model)
            self.assertGreater(fig["lost"], 0, fig)

    def test_with_a_lock_every_update_counts(self):
        for model in ("sequential", "pthreads-mutex", "fork-shm-mutex"):
            fig = c(model)
            self.assertEqual((fig["final"], fig["lost"]), (20000, 0), fig)

    def test_fork_without_shared_memory(self):
        fig = c("fork", "--iterations", "1000")
        self.assertEqual(fig["final"], 0)
        self.assertEqual(fig["per_task"], [250, 250, 250, 250])


SPEC = """
name: race
defaults: {tasks: 4, timeout: 60s}
trace: {stacks: false}
workloads:
  - name: race
    kind: race
    models: [sequential, threading, threading-lock, asyncio, multiprocessing,
             multiprocessing-value]
  - name: race-c
    kind: race
    models: [c-sequential, c-pthreads, c-pthreads-mutex, c-fork, c-fork-shm]
"""


class Traced(unittest.TestCase):
    """conctrace run on the race kind: the findings, with the switches and waits traced."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="conctrace-race-")
        cls.skip = ctlib._skip_reason()
        if cls.skip:
            return
        spec = os.path.join(cls.tmp, "race.yaml")
        with open(spec, "w") as f:
            f.write(SPEC)
        cls.out = os.path.join(cls.tmp, "run")
        cls.rc, cls.stdout, cls.stderr = test_function.run(["-o", cls.out, spec])
        cls.runj = ctlib.load_json(os.path.join(cls.out, "run.json"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        if self.skip:
            ctlib.skip_loudly(self, self.skip)
        self.assertEqual(self.rc, 0, self.stderr)

    def case(self, wl, model):
        for x in self.runj["cases"]:
            if (x["workload"], x["model"]) == (wl, model):
                return x
        raise AssertionError("no case %s/%s" % (wl, model))

    def test_findings(self):
        for claim in ("threads share memory and lose unsynchronised updates",
                      "coroutines switch only at await: asyncio loses no update",
                      "processes share nothing: each has its own counter",
                      "with a lock around the read-modify-write, no update is lost"):
            self.assertIn("[holds] %s (race)" % claim, self.stdout)
        # the evidence is wrapped to the terminal: any space may be a line break
        self.assertRegex(self.stdout, r"race: threading lost\s+[1-9]\d*\s+of\s+4000\s+updates")
        self.assertRegex(self.stdout, r"c-pthreads\s+lost\s+[1-9]\d*\s+of\s+20000")

    def test_what_let_threads_interleave(self):
        thr = self.case("race", "threading")
        self.assertGreater(thr["workload_report"]["lost"], 0)
        # the GIL changed hands between the threads: waits for it were traced
        self.assertGreater(thr["totals"]["off_count"]["gil"], 0)
        aio = self.case("race", "asyncio")
        self.assertEqual(aio["workload_report"]["lost"], 0)
        self.assertEqual(aio["totals"]["off_ns"]["gil"], 0)

    def test_lock_waits_shown(self):
        for wl, model in (("race", "threading-lock"), ("race", "multiprocessing-value"),
                          ("race-c", "c-pthreads-mutex")):
            x = self.case(wl, model)
            self.assertEqual(x["workload_report"]["lost"], 0)
            self.assertGreater(x["totals"]["off_count"]["lock"], 0, (wl, model))
        self.assertRegex(self.stdout, r"threading-lock +4000 +4000 +0 +0% shared, locked +[1-9]")
        with open(os.path.join(self.out, "report.html")) as f:
            self.assertIn("<h3>The shared counter</h3>", f.read())


if __name__ == "__main__":
    unittest.main()
