"""The user's own function in every model (`function:` workloads, `conctrace run
--function`): results compared across models, exceptions counted with their traceback,
results that cannot be pickled failing only the process models, a call that never returns
ending at the case timeout, and a module that does not import named before anything runs."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlib  # noqa: E402
from test_workloads import HARNESS, with_fd3  # noqa: E402

PYPROGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pyprogs")
PROCESS_MODELS = ("multiprocessing", "multiprocessing-fork", "multiprocessing-spawn",
                  "multiprocessing-forkserver", "process-pool", "process-pool-spawn",
                  "process-pool-forkserver")


def harness(fn, model, *extra, tasks=2, calls=6):
    rc, report, err = with_fd3([sys.executable, HARNESS, "--function", "userfns:" + fn,
                                "--pythonpath", PYPROGS, "--model", model, "--tasks",
                                str(tasks), "--calls", str(calls)] + list(extra))
    return rc, (json.loads(report) if report.strip() else None), err


class Harness(unittest.TestCase):
    """The harness alone: no tracing, no root."""

    def test_plain_function_same_results_everywhere(self):
        digests = {}
        for model in ("sequential", "threading", "thread-pool", "asyncio-to-thread",
                      "multiprocessing-fork", "multiprocessing-spawn", "process-pool",
                      "process-pool-forkserver", "asyncio-process-pool-spawn"):
            with self.subTest(model=model):
                rc, fig, err = harness("crunch", model, "--args", "[3000, 7]")
                self.assertEqual(rc, 0, err)
                self.assertEqual((fig["calls"], fig["errors"], fig["ops"]), (6, 0, 6))
                self.assertGreater(fig["latency_p50_ms"], 0)
                self.assertGreaterEqual(fig["latency_p99_ms"], fig["latency_p50_ms"])
                if "process" in model or "multiprocessing" in model:
                    self.assertEqual(fig["start_method"],
                                     model.rsplit("-", 1)[1] if model.endswith(
                                         ("fork", "spawn", "forkserver")) else "fork")
                digests[model] = fig["results_digest"]
        self.assertEqual(len(set(digests.values())), 1, digests)

    def test_async_def(self):
        rc, a, err = harness("fetch", "asyncio", "--args", '[20, "t"]', tasks=3, calls=6)
        self.assertEqual(rc, 0, err)
        # three coroutines on one loop wait together: 2 rounds of 20 ms, not 6
        self.assertLess(a["elapsed_s"], 0.1, a)
        self.assertGreaterEqual(a["latency_p50_ms"], 19, a)
        self.assertIn("loop_lag_p99_ms", a)
        rc, t, err = harness("fetch", "threading", "--args", '[20, "t"]', tasks=3, calls=6)
        self.assertEqual(rc, 0, err)
        self.assertEqual(a["results_digest"], t["results_digest"])
        self.assertEqual(a["result_sample"], '["t",20]')
        rc, fig, err = harness("fetch", "asyncio-to-thread", "--args", '[1, "t"]')
        self.assertEqual(rc, 1)
        self.assertIn("async def", fig["error"])
        rc, fig, err = harness("crunch", "asyncio", "--args", "[10]")
        self.assertEqual(rc, 1)
        self.assertIn("plain function", fig["error"])

    def test_exceptions_counted_with_first_traceback(self):
        for model in ("sequential", "threading", "process-pool", "multiprocessing-spawn"):
            with self.subTest(model=model):
                rc, fig, err = harness("picky", model, "--task-args", "[[3], [4]]", calls=8)
                self.assertEqual(rc, 0, err)
                # task 0's four calls pass 3 and raise; task 1's pass 4
                self.assertEqual((fig["calls"], fig["errors"], fig["first_error_call"]), (8, 4, 0))
                self.assertEqual(fig["first_error"], "ValueError: multiple of three: 3")
                self.assertIn('userfns.py", line', fig["first_traceback"])
                self.assertIn("in picky", fig["first_traceback"])
                self.assertNotIn("calls.py", fig["first_traceback"])

    def test_unpicklable_result_fails_only_process_models(self):
        for model in ("sequential", "threading", "thread-pool"):
            rc, fig, err = harness("make_gen", model, "--args", "[3]")
            self.assertEqual(rc, 0, (model, err))
        for model in PROCESS_MODELS + ("asyncio-process-pool",):
            with self.subTest(model=model):
                rc, fig, err = harness("make_gen", model, "--args", "[3]")
                self.assertEqual(rc, 1, err)
                self.assertRegex(fig["error"], r"^the result of call \d+ \(generator\) cannot "
                                 r"be pickled: TypeError: cannot pickle 'generator' object$")
                self.assertIn("cannot be pickled", err)

    def test_processes_share_nothing(self):
        rc, seq, _ = harness("counted", "sequential", calls=8)
        rc2, mp, _ = harness("counted", "multiprocessing", calls=8)
        self.assertEqual((rc, rc2), (0, 0))
        self.assertNotEqual(seq["results_digest"], mp["results_digest"])

    def test_bad_functions(self):
        cases = {"nosuchmod:f": "cannot import nosuchmod: ModuleNotFoundError: No module "
                                "named 'nosuchmod'",
                 "userfns:nope": "userfns has no attribute 'nope'",
                 "userfns:NOT_CALLABLE": "userfns:NOT_CALLABLE is int, not callable"}
        for fn, msg in cases.items():
            rc, report, err = with_fd3([sys.executable, HARNESS, "--function", fn,
                                        "--pythonpath", PYPROGS, "--probe"])
            self.assertEqual(rc, 1)
            self.assertEqual(json.loads(report)["error"], msg)


SPEC = """
name: fn
defaults: {tasks: 2, timeout: 20s}
baseline: sequential
trace: {stacks: false}
workloads:
  - name: crunch
    function: userfns:crunch
    args: [20000]
    calls: 8
    pythonpath: %(pyprogs)s
    models: [sequential, threading, multiprocessing-spawn, process-pool, asyncio-to-thread]
  - name: fetch
    function: userfns:fetch
    args: [10, x]
    calls: 8
    pythonpath: %(pyprogs)s
    models: [sequential, asyncio]
  - name: picky
    function: userfns:picky
    args: {per_task: [[3], [4]]}
    calls: 8
    pythonpath: %(pyprogs)s
    models: [sequential, process-pool]
  - name: gen
    function: userfns:make_gen
    args: [3]
    pythonpath: %(pyprogs)s
    models: [sequential, multiprocessing, thread-pool]
  - name: counted
    function: userfns:counted
    calls: 8
    pythonpath: %(pyprogs)s
    models: [sequential, multiprocessing]
  - name: forever
    function: userfns:forever
    calls: 1
    timeout: 2s
    pythonpath: %(pyprogs)s
    models: [sequential]
"""


def run(args, cwd=None, timeout=300):
    p = subprocess.run([ctlib.CONCTRACE, "run"] + args, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ctlib.clean_env(),
                       timeout=timeout, text=True, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


class SpecRun(unittest.TestCase):
    """conctrace run on a spec of function workloads, once for the class."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="conctrace-fn-")
        cls.skip = ctlib._skip_reason()
        if cls.skip:
            return
        spec = os.path.join(cls.tmp, "fn.yaml")
        with open(spec, "w") as f:
            f.write(SPEC % {"pyprogs": PYPROGS})
        cls.out = os.path.join(cls.tmp, "run")
        cls.rc, cls.stdout, cls.stderr = run(["-o", cls.out, spec])
        path = os.path.join(cls.out, "run.json")
        cls.runj = ctlib.load_json(path) if os.path.exists(path) else None
        rpath = os.path.join(cls.out, "report.txt")
        cls.report = ""
        if os.path.exists(rpath):
            with open(rpath) as f:
                cls.report = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        if self.skip:
            ctlib.skip_loudly(self, self.skip)
        # the unpicklable result and the call that never returns fail their cases
        self.assertEqual(self.rc, ctlib.EXIT_CASE_FAILED, self.stderr)
        self.assertIsNotNone(self.runj)

    def case(self, wl, model):
        for c in self.runj["cases"]:
            if (c["workload"], c["model"]) == (wl, model):
                return c
        raise AssertionError("no case %s/%s" % (wl, model))

    def test_every_model_ran_and_agrees(self):
        digests = set()
        for m in ("sequential", "threading", "multiprocessing-spawn", "process-pool",
                  "asyncio-to-thread"):
            c = self.case("crunch", m)
            self.assertEqual(c["status"]["exit_code"], 0, c["status"])
            self.assertEqual(c["function"], "userfns:crunch")
            r = c["workload_report"]
            self.assertEqual((r["calls"], r["errors"]), (8, 0))
            digests.add(r["results_digest"])
        self.assertEqual(len(digests), 1)
        self.assertIn("[holds] crunch returns the same results in every model", self.report)
        # the traced tree: a spawned process per task beside the harness
        spawn = self.case("crunch", "multiprocessing-spawn")
        self.assertGreaterEqual(spawn["totals"]["processes"], 3)
        self.assertEqual(self.case("crunch", "sequential")["totals"]["processes"], 1)
        # 8 calls of 20000 units in one thread: the traced on-CPU time covers the calls
        seq = self.case("crunch", "sequential")
        calls_s = seq["workload_report"]["latency_p50_ms"] * 8 / 1e3
        self.assertGreater(seq["totals"]["on_cpu_ns"] / 1e9, 0.5 * calls_s)

    def test_asyncio_awaits_coroutines_on_one_thread(self):
        c = self.case("fetch", "asyncio")
        self.assertEqual([p for p in c["processes"] if p["ppid"] == 0][0]["threads"], 1)
        self.assertEqual(c["workload_report"]["results_digest"],
                         self.case("fetch", "sequential")["workload_report"]["results_digest"])

    def test_exceptions_shown_per_model(self):
        for m in ("sequential", "process-pool"):
            r = self.case("picky", m)["workload_report"]
            self.assertEqual((r["calls"], r["errors"]), (8, 4))
        self.assertIn("process-pool: 4 of 8 calls raised; the first traceback:", self.report)
        self.assertIn("ValueError: multiple of three: 3", self.report)
        self.assertIn('userfns.py", line', self.report)

    def test_unpicklable_result_fails_the_process_model_only(self):
        bad = self.case("gen", "multiprocessing")
        self.assertEqual(bad["status"]["exit_code"], 1)
        self.assertIn("cannot pickle 'generator' object", bad["workload_report"]["error"])
        for m in ("sequential", "thread-pool"):
            self.assertEqual(self.case("gen", m)["status"]["exit_code"], 0)
        self.assertRegex(self.report, r"multiprocessing +FAILED \(1 of 1 runs\): the result of "
                         r"call \d+ \(generator\) cannot be pickled")

    def test_different_results_reported(self):
        self.assertIn("[does NOT hold] counted returns the same results in every model",
                      self.report)
        self.assertIn("DIFFERENT from baseline", self.report)

    def test_html_has_the_calls(self):
        with open(os.path.join(self.out, "report.html")) as f:
            html = f.read()
        self.assertIn("<h3>Calls</h3>", html)
        self.assertIn("DIFFERENT from baseline", html)
        self.assertIn("ValueError: multiple of three: 3</summary>", html)

    def test_call_that_never_returns(self):
        c = self.case("forever", "sequential")
        self.assertTrue(c["status"]["timed_out"])
        self.assertIn("FAILED (1 of 1 runs): timed out after 2.000s", self.report)


class QuickFunction(unittest.TestCase):
    """conctrace run --function, without a spec."""

    def setUp(self):
        reason = ctlib._skip_reason()
        if reason:
            ctlib.skip_loudly(self, reason)
        self.tmp = tempfile.mkdtemp(prefix="conctrace-fnq-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_every_model_that_applies(self):
        out = os.path.join(self.tmp, "run")
        rc, stdout, err = run(["-o", out, "-n", "--function", "userfns:crunch", "--args", "[100]"],
                              cwd=PYPROGS)
        self.assertEqual(rc, 0, err)
        for m in ("sequential", "threading", "thread-pool", "asyncio-to-thread",
                  "multiprocessing-fork", "multiprocessing-spawn", "multiprocessing-forkserver",
                  "process-pool-fork", "process-pool-spawn", "process-pool-forkserver",
                  "asyncio-process-pool"):
            self.assertRegex(stdout, r"crunch +%s " % m)
        self.assertNotRegex(stdout, r"crunch +asyncio ")
        rc, stdout, err = run(["-n", "--function", "userfns:fetch", "--args", "[1, a]"],
                              cwd=PYPROGS)
        self.assertEqual(rc, 0, err)
        self.assertRegex(stdout, r"fetch +asyncio ")
        self.assertNotIn("asyncio-to-thread", stdout)

    def test_runs_and_compares(self):
        out = os.path.join(self.tmp, "run")
        rc, stdout, err = run(["-o", out, "--function", "userfns:crunch", "--args", "[5000]",
                               "--calls", "4", "--tasks", "2",
                               "--models", "sequential,threading,process-pool-spawn",
                               "--no-stacks"], cwd=PYPROGS)
        self.assertEqual(rc, 0, err)
        self.assertIn("Workload crunch", stdout)
        self.assertIn("[holds] crunch returns the same results in every model", stdout)
        runj = ctlib.load_json(os.path.join(out, "run.json"))
        self.assertEqual(sorted(c["model"] for c in runj["cases"]),
                         ["process-pool-spawn", "sequential", "threading"])

    def test_bad_function_named_before_anything_runs(self):
        cases = {"nosuchmod:f": "conctrace: --function nosuchmod:f: cannot import nosuchmod: "
                                "ModuleNotFoundError: No module named 'nosuchmod'",
                 "userfns:NOT_CALLABLE": "conctrace: --function userfns:NOT_CALLABLE: "
                                         "userfns:NOT_CALLABLE is int, not callable",
                 "userfns": "conctrace: --function: 'userfns' is not module:callable "
                            "(e.g. mypkg.work:handle)"}
        for fn, msg in cases.items():
            with self.subTest(fn=fn):
                out = os.path.join(self.tmp, fn.replace(":", "_"))
                rc, stdout, err = run(["-o", out, "--function", fn], cwd=PYPROGS)
                self.assertEqual(rc, ctlib.EXIT_USAGE, err)
                self.assertEqual(err.strip(), msg)
                self.assertFalse(os.path.exists(out), "a run directory for a bad function")

    def test_bad_function_in_a_spec(self):
        spec = os.path.join(self.tmp, "bad.yaml")
        with open(spec, "w") as f:
            f.write("name: bad\nworkloads:\n  - name: w\n    function: userfns_missing:f\n"
                    "    models: [sequential]\n")
        rc, _, err = run(["-n", spec], cwd=PYPROGS)
        self.assertEqual(rc, ctlib.EXIT_USAGE)
        self.assertEqual(err.strip(), "conctrace: %s:4:15: workloads[0].function: "
                         "userfns_missing:f: cannot import userfns_missing: ModuleNotFoundError: "
                         "No module named 'userfns_missing'" % spec)
        with open(spec, "w") as f:
            f.write("name: bad\nworkloads:\n  - name: w\n    function: userfns:crunch\n"
                    "    models: [sequential, asyncio]\n")
        rc, _, err = run(["-n", spec], cwd=PYPROGS)
        self.assertEqual(rc, ctlib.EXIT_USAGE)
        self.assertIn("%s:5:26: workloads[0].models[1]: asyncio: model asyncio awaits "
                      "coroutines and this is a plain function" % spec, err)


if __name__ == "__main__":
    unittest.main()
