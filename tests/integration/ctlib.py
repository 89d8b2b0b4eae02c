"""Shared utilities of the integration tests: where things are, whether BPF can load here,
running `conctrace record`, and reading run.json and the helpers' ground-truth files."""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("CONCTRACE_BUILD", os.path.join(REPO, "build"))
CONCTRACE = os.path.join(BUILD, "conctrace")
HELPERS = os.path.join(BUILD, "tests", "helpers")

REASONS = ("lock", "gil", "gil-handoff", "io", "poll", "sleep", "child", "preempted", "other")
MS = 1000 * 1000
SEC = 1000 * MS

# Documented exit statuses of conctrace's own errors.
EXIT_USAGE = 2
EXIT_NOT_PERMITTED = 3
EXIT_NO_BPF = 4
EXIT_NO_COMMAND = 5
EXIT_NO_PID = 6
EXIT_CASE_FAILED = 7

_probe = {}


def helper(name):
    """Path of a built test helper program (tests/helpers/NAME.c)."""
    return os.path.join(HELPERS, name)


def clean_env(extra=None):
    """The environment for conctrace: SUDO_* removed, so the traced command runs as the
    user running the tests (it must be able to write the truth files in our temp dirs)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUDO_")}
    env.update(extra or {})
    return env


def exit_status(returncode):
    """A Popen return code as a shell would show it: 128+N for death by signal N."""
    return 128 - returncode if returncode < 0 else returncode


def _skip_reason():
    if os.geteuid() != 0:
        return "needs root to load BPF (run make test as root)"
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        return "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing): BPF CO-RE cannot load"
    if not os.access(CONCTRACE, os.X_OK):
        return None  # not a reason to skip: require_bpf fails the test instead
    if "reason" not in _probe:
        _probe["reason"] = None
        tmp = tempfile.mkdtemp(prefix="conctrace-probe-")
        try:
            out = os.path.join(tmp, "run")
            try:
                p = subprocess.run([CONCTRACE, "record", "-o", out, "--", "/bin/true"],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, env=clean_env(), timeout=60)
            except subprocess.TimeoutExpired:
                return None  # the tests will time out too, and fail: that is a bug, not a skip
            if p.returncode in (EXIT_NO_BPF, EXIT_NOT_PERMITTED):
                lines = p.stderr.decode(errors="replace").strip().splitlines()
                first = lines[0] if lines else "(no message)"
                _probe["reason"] = ("BPF cannot be loaded here: `conctrace record -- /bin/true` "
                                    "exited %d: %s" % (p.returncode, first))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return _probe["reason"]


def skip_loudly(testcase, reason):
    """Skip testcase, printing its name and the reason where the test output shows it."""
    print("\n*** %s SKIPPED: %s ***" % (testcase.id(), reason))
    testcase.skipTest(reason)


def require_bpf(testcase):
    """Skip (loudly, with the reason) unless this machine can load conctrace's BPF programs.
    Fails, rather than skips, when build/conctrace has not been built."""
    reason = _skip_reason()
    if reason:
        if not _probe.get("announced"):
            _probe["announced"] = True
            sys.stderr.write("\n*** conctrace integration tests SKIPPED: %s ***\n" % reason)
        raise unittest.SkipTest(reason)
    if not os.access(CONCTRACE, os.X_OK):
        raise AssertionError("%s is missing or not executable: run make" % CONCTRACE)


class Recording:
    """The outcome of one `conctrace record`."""

    def __init__(self, argv, status, stdout, stderr, outdir, timed_out=False):
        self.argv = argv
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.outdir = outdir
        self.timed_out = timed_out
        self.run_json = os.path.join(outdir, "run.json")
        self.run = None
        self.run_error = None
        if os.path.exists(self.run_json):
            try:
                with open(self.run_json) as f:
                    self.run = json.load(f)
            except ValueError as e:
                self.run_error = "run.json is not valid JSON: %s" % e

    def describe(self):
        return ("`%s` -> %s\n--- stderr ---\n%s\n--- stdout (tail) ---\n%s" % (
            " ".join(self.argv),
            "TIMED OUT" if self.timed_out else "exit %s" % self.status,
            self.stderr.strip()[-3000:], self.stdout.strip()[-1500:]))

    def case(self):
        """The only case of a record run, or AssertionError saying why there is none."""
        if self.run is None:
            raise AssertionError("no usable run.json (%s)\n%s" % (
                self.run_error or "%s does not exist" % self.run_json, self.describe()))
        cases = self.run.get("cases")
        if not isinstance(cases, list) or len(cases) != 1:
            raise AssertionError("a record run must have exactly one case, run.json has %r"
                                 % (None if cases is None else len(cases)))
        return cases[0]


def run_record(args, outdir, env=None, timeout=60):
    """Run `conctrace record -o OUTDIR ARGS...`; returns (status, stdout, stderr, run.json
    as a dict or None). status is None if it timed out (it is then interrupted, then killed)."""
    rec = record(args, outdir, env=env, timeout=timeout)
    return rec.status, rec.stdout, rec.stderr, rec.run


def record(args, outdir, env=None, timeout=60):
    """Like run_record, returning a Recording."""
    argv = [CONCTRACE, "record", "-o", outdir] + list(args)
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=clean_env() if env is None else env,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        timed_out = True
        out, err = stop(p, signal.SIGINT)
    return Recording(argv, None if timed_out else exit_status(p.returncode),
                     out.decode(errors="replace"), err.decode(errors="replace"), outdir,
                     timed_out)


def stop(p, sig, grace=10):
    """Send sig to a Popen started with start_new_session, then SIGKILL its process group if
    it is still there after grace seconds. Returns its (stdout, stderr)."""
    try:
        p.send_signal(sig)
        return p.communicate(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return p.communicate(timeout=grace)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def load_json_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def threads_by_tid(case):
    return {t["tid"]: t for t in case.get("threads", [])}


def processes_by_pid(case):
    return {p["pid"]: p for p in case.get("processes", [])}


def off_ns(entry, reason):
    """off_ns[reason] of a thread or of the totals (0 when the reason is absent)."""
    return (entry.get("off_ns") or {}).get(reason, 0)


def sum_off_ns(case, reason, tids=None):
    """off_ns[reason] summed over the case's threads (or only over tids)."""
    return sum(off_ns(t, reason) for t in case.get("threads", [])
               if tids is None or t["tid"] in tids)


def assert_close(tc, actual, expected, rel=0.0, abs_=0, what="value"):
    """Assert |actual - expected| <= max(rel * |expected|, abs_), showing both figures."""
    allowed = max(rel * abs(expected), abs_)
    diff = actual - expected
    fmt = "%d" if isinstance(actual, int) and isinstance(expected, int) else "%.4g"
    detail = ("%s: conctrace " + fmt + ", truth " + fmt + ", difference %+" + fmt[1:]
              + " (%+.2f%%), allowed +-%.4g") % (
        what, actual, expected, diff, 100.0 * diff / expected if expected else float("inf"),
        allowed)
    tc.assertLessEqual(abs(diff), allowed, detail)


def ms(ns):
    return "%.1f ms" % (ns / MS)
