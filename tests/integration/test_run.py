"""Integration tests of `conctrace run`: the shapes every 2-CPU machine shows on
workloads/quick.yaml, and the runner's handling of timeouts, crashes, missing commands,
exit statuses, the workload user, bad specs and Ctrl-C."""

import json
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlib  # noqa: E402

QUICK = os.path.join(ctlib.REPO, "workloads", "quick.yaml")


def run(args, env=None, timeout=300):
    p = subprocess.run([ctlib.CONCTRACE, "run"] + args, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=ctlib.clean_env(env), timeout=timeout, text=True)
    return p.returncode, p.stdout, p.stderr


def load(outdir):
    with open(os.path.join(outdir, "run.json")) as f:
        return json.load(f)


def case(runj, workload, model):
    for c in runj["cases"]:
        if c["workload"] == workload and c["model"] == model:
            return c
    raise AssertionError("no case %s/%s in run.json" % (workload, model))


def root_proc(c):
    return [p for p in c["processes"] if p["ppid"] == 0][0]


class QuickShapes(unittest.TestCase):
    """workloads/quick.yaml, run once for the whole class."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="conctrace-quick-")
        cls.out = os.path.join(cls.tmp, "run")
        cls.skip = None
        reason = ctlib._skip_reason()
        if reason:
            cls.skip = reason
            return
        cls.rc, cls.stdout, cls.stderr = run(["-o", cls.out, QUICK])
        cls.runj = load(cls.out) if os.path.exists(os.path.join(cls.out, "run.json")) else None

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        if self.skip:
            ctlib.skip_loudly(self, self.skip)
        if os.cpu_count() < 2:
            self.skipTest("needs 2 or more CPUs for the parallel shapes")
        self.assertEqual(self.rc, 0, self.stderr)
        self.assertIsNotNone(self.runj)

    def test_every_case_ran(self):
        self.assertEqual(len(self.runj["cases"]), 9)
        for c in self.runj["cases"]:
            self.assertEqual(c["status"]["exit_code"], 0, (c["workload"], c["model"], c["status"]))
            self.assertIsNotNone(c["workload_report"], "no fd-3 report from %s" % c["command"])

    def test_multiprocessing_uses_cores(self):
        c = case(self.runj, "cpu", "multiprocessing")
        par = c["totals"]["parallelism"]["effective"]
        self.assertGreater(par, 1.5, "multiprocessing cpu parallelism %.2f" % par)
        self.assertGreaterEqual(c["totals"]["cpus_used"], 2)
        self.assertGreater(c["totals"]["processes"], 4)

    def test_threading_is_gil_bound(self):
        c = case(self.runj, "cpu", "threading")
        par = c["totals"]["parallelism"]["effective"]
        self.assertLess(par, 1.3, "threading cpu parallelism %.2f" % par)
        self.assertGreater(c["totals"]["off_ns"]["gil"], 0, "no GIL waits recorded")
        labels = {l["label"] for l in c["locks"]}
        self.assertIn("GIL", labels, "the lock table does not name the GIL")
        self.assertIsNotNone(root_proc(c)["python"], "the interpreter was not recognised")

    def test_asyncio_one_thread(self):
        c = case(self.runj, "cpu", "asyncio")
        self.assertEqual(root_proc(c)["threads"], 1)
        self.assertEqual(c["totals"]["off_ns"]["gil"], 0)

    def test_io_threading_and_asyncio(self):
        seq = case(self.runj, "io", "sequential")["workload_report"]["ops_per_s"]
        thr = case(self.runj, "io", "threading")["workload_report"]["ops_per_s"]
        aio = case(self.runj, "io", "asyncio")["workload_report"]["ops_per_s"]
        self.assertLess(max(thr, aio) / min(thr, aio), 2.0, (thr, aio))
        self.assertGreater(thr, 1.5 * seq, (thr, seq))
        self.assertGreater(aio, 1.5 * seq, (aio, seq))
        c = case(self.runj, "io", "asyncio")
        self.assertGreater(c["totals"]["off_ns"]["poll"], 0, "asyncio never waited in epoll")

    def test_c_pthreads_parallel(self):
        c = case(self.runj, "c-cpu", "c-pthreads")
        par = c["totals"]["parallelism"]["effective"]
        self.assertGreater(par, 1.5, "c-pthreads parallelism %.2f" % par)

    def test_rusage_agrees(self):
        """Each case's traced switches and CPU agree with the kernel's rusage of the tree."""
        for c in self.runj["cases"]:
            with self.subTest(case=(c["workload"], c["model"])):
                ru, t, pre = c["rusage"], c["totals"], c["pre_exec"]
                ctlib.assert_close(self, t["nvcsw"] + pre["nvcsw"], ru["nvcsw"], rel=0.02, abs_=3,
                                   what="voluntary switches vs rusage")
                ctlib.assert_close(self, t["nivcsw"] + pre["nivcsw"], ru["nivcsw"], rel=0.02,
                                   abs_=3, what="involuntary switches vs rusage")
                ctlib.assert_close(self, t["on_cpu_ns"] + pre["on_cpu_ns"],
                                   ru["utime_ns"] + ru["stime_ns"], rel=0.02, abs_=2 * ctlib.MS,
                                   what="on-CPU vs utime+stime")

    def test_report_and_findings(self):
        self.assertIn("Findings", self.stdout)
        self.assertIn("[holds] multiprocessing uses several cores", self.stdout)
        self.assertIn("[holds] threading gives no speedup", self.stdout)
        with open(os.path.join(self.out, "report.txt")) as f:
            self.assertIn("Workload cpu", f.read())

    def test_case_files(self):
        for c in self.runj["cases"]:
            d = os.path.join(self.out, c["dir"])
            for name in ("output.log", "stacks.json", "trace.json", "profile.pb.gz"):
                self.assertTrue(os.path.exists(os.path.join(d, name)), (d, name))

    def test_report_fits_100_columns(self):
        with open(os.path.join(self.out, "report.txt")) as f:
            text = f.read()
        for name, out in (("stdout", self.stdout), ("report.txt", text)):
            wide = [line for line in out.splitlines() if len(line) > 100]
            self.assertEqual(wide, [], name)
        self.assertIn("Workload cpu", text)

    def test_report_again_is_identical(self):
        p = subprocess.run([ctlib.CONCTRACE, "report", self.out], stdout=subprocess.PIPE,
                           text=True, env=ctlib.clean_env({"NO_COLOR": "1"}))
        self.assertEqual(p.returncode, 0)
        with open(os.path.join(self.out, "report.txt")) as f:
            self.assertEqual(p.stdout, f.read())

    def test_report_per_case_format_with_one_output_file(self):
        """A per-case format and -o on a run of several cases: an error, nothing written."""
        out = os.path.join(self.out, "one-trace.json")
        p = subprocess.run([ctlib.CONCTRACE, "report", "--format", "perfetto", "-o", out,
                            self.out], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=ctlib.clean_env())
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("%d cases" % len(self.runj["cases"]), p.stderr)
        self.assertFalse(os.path.exists(out))


def write_spec(tmp, text):
    path = os.path.join(tmp, "spec.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


class Runner(unittest.TestCase):
    def setUp(self):
        ctlib.require_bpf(self)
        self.tmp = tempfile.mkdtemp(prefix="conctrace-runner-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.out = os.path.join(self.tmp, "run")

    def test_failures_are_reported_and_the_run_goes_on(self):
        spec = write_spec(self.tmp, """
name: failures
defaults: {timeout: 1s}
workloads:
  - name: w
    models:
      hang: {command: [sleep, "30"]}
      crash: {command: [sh, -c, "echo about to crash; kill -SEGV $$"]}
      missing: {command: [/nonexistent/program]}
      status: {command: [sh, -c, 'seq 1 20; printf "bad \\033[31mthing\\n" >&2; exit 3']}
      fine: {command: ["true"]}
""")
        t0 = time.monotonic()
        rc, out, err = run(["-o", self.out, spec])
        self.assertLess(time.monotonic() - t0, 20, "the hanging case was not ended by its timeout")
        self.assertEqual(rc, ctlib.EXIT_CASE_FAILED, err)
        self.assertIn("4 of 5 cases failed", err)
        r = load(self.out)
        hang, crash, missing, status, fine = (case(r, "w", m) for m in
                                              ("hang", "crash", "missing", "status", "fine"))
        self.assertTrue(hang["status"]["timed_out"])
        self.assertLess(hang["wall_ns"], 5 * ctlib.SEC)
        self.assertEqual(crash["status"]["signal"], signal.SIGSEGV)
        self.assertIsNotNone(missing["status"]["error"])
        self.assertIn("nonexistent", missing["status"]["error"])
        self.assertEqual(status["status"]["exit_code"], 3)
        self.assertEqual(fine["status"]["exit_code"], 0)
        self.assertIn("FAILED", out)
        # the summary says why, with the end of each failed case's output.log
        failed = out.split("\nFailed cases\n", 1)[1].split("\nrun directory:", 1)[0]
        self.assertIn("w/hang r1: timed out after 1.000s", failed)
        self.assertIn("w/crash r1: killed by signal 11", failed)
        self.assertIn("| about to crash", failed)
        self.assertIn("w/missing r1: cannot start /nonexistent/program", failed)
        self.assertIn("w/status r1: exit status 3", failed)
        # the last 5 lines only, and the workload's escape sequence made harmless
        self.assertEqual(status["status"]["output_tail"], "17\n18\n19\n20\nbad ?[31mthing")
        self.assertNotIn("\033", out)
        self.assertNotIn("fine", failed)
        with open(os.path.join(self.out, "report.txt")) as f:
            self.assertIn("w/status r1: exit status 3", f.read())

    def test_workload_runs_as_invoking_user(self):
        spec = write_spec(self.tmp, """
name: uid
workloads:
  - name: w
    models:
      id: {command: [id, -u]}
""")
        os.chmod(self.tmp, 0o755)
        # the run directory is made with the user's permissions: in a place of theirs
        os.chown(self.tmp, 65534, 65534)
        rc, out, err = run(["-o", self.out, spec], env={"SUDO_UID": "65534", "SUDO_GID": "65534"})
        self.assertEqual(rc, 0, err)
        r = load(self.out)
        c = case(r, "w", "id")
        with open(os.path.join(self.out, c["dir"], "output.log")) as f:
            self.assertEqual(f.read().strip(), "65534")
        for path in (self.out, os.path.join(self.out, "run.json"), os.path.join(self.out, c["dir"])):
            st = os.stat(path)
            self.assertEqual((st.st_uid, st.st_gid), (65534, 65534), path)

    def test_bad_spec_runs_nothing(self):
        spec = write_spec(self.tmp, "name: bad\nworkloads:\n  - name: w\n    kind: cpus\n"
                                    "    models: [threading]\n")
        rc, out, err = run(["-o", self.out, spec])
        self.assertEqual(rc, ctlib.EXIT_USAGE)
        self.assertIn("spec.yaml:4:11: workloads[0].kind: unknown kind 'cpus'", err)
        self.assertFalse(os.path.exists(self.out))

    def test_ctrl_c_keeps_what_finished(self):
        spec = write_spec(self.tmp, """
name: slow
workloads:
  - name: w
    models:
      a: {command: [sleep, "0.3"]}
      b: {command: [sleep, "20"]}
      c: {command: [sleep, "20"]}
""")
        p = subprocess.Popen([ctlib.CONCTRACE, "run", "-q", "-o", self.out, spec],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ctlib.clean_env())
        time.sleep(2.5)
        p.send_signal(signal.SIGINT)
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            self.fail("conctrace run did not stop after Ctrl-C")
        r = load(self.out)
        self.assertTrue(r.get("interrupted"))
        self.assertEqual(case(r, "w", "a")["status"]["exit_code"], 0)
        self.assertTrue(case(r, "w", "b")["status"]["interrupted"])
        self.assertEqual(len(r["cases"]), 2, "the case after the interrupted one ran")
        self.assertTrue(os.path.exists(os.path.join(self.out, "report.txt")))


class DryRun(unittest.TestCase):
    def test_dry_run_lists_cases_without_root(self):
        p = subprocess.run([ctlib.CONCTRACE, "run", "--dry-run", "--models", "threading,asyncio",
                            QUICK], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("--model threading", p.stdout)
        self.assertIn("--model asyncio", p.stdout)
        self.assertNotIn("--model sequential", p.stdout)

    def test_options_after_the_spec(self):
        p = subprocess.run([ctlib.CONCTRACE, "-v", "run", QUICK, "--dry-run", "--models",
                            "asyncio"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("--model asyncio", p.stdout)
        self.assertNotIn("--model threading", p.stdout)


if __name__ == "__main__":
    unittest.main()
