"""Corrupted run directories, made here from the export fixture (no BPF needed): every reader
(run.json, stacks.json, timeline.bin) refuses what is not a plausible file of the run with
exit 2 and a message naming the file and where, never an empty output with exit 0, never a
hang or a crash; and the inputs that made the renderers overflow (UBSan) render.

Under the sanitizer build (CONCTRACE_BUILD=build-san) "runtime error" on stderr is a failure:
that is where the UBSan reproducers are checked."""

import json
import os
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlib  # noqa: E402

FIXTURE = os.path.join(ctlib.REPO, "tests", "fixtures", "export")
REC = struct.Struct("<IIQIIIIIIiiQ")          # struct ct_tl_rec, 56 bytes
EV_SWITCH, EV_WAKE, EV_GIL = 3, 4, 5
# every case format that reads stacks.json or timeline.bin, and html, which reads both
STACK_FORMATS = ("pprof", "oncpu-folded", "offcpu-svg", "perfetto", "html")
TIMELINE_FORMATS = ("perfetto", "html")


class Corrupt(unittest.TestCase):
    def setUp(self):
        if not os.access(ctlib.CONCTRACE, os.X_OK):
            self.fail("%s is not built (make)" % ctlib.CONCTRACE)
        self.tmp = tempfile.mkdtemp(prefix="conctrace-corrupt-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.run_dir = os.path.join(self.tmp, "run")
        shutil.copytree(FIXTURE, self.run_dir)

    def path(self, name):
        return os.path.join(self.run_dir, name)

    def report(self, fmt, *extra, run_dir=None, timeout=60):
        """conctrace report --format FMT -o OUT RUN: (status, stderr, whether OUT exists)."""
        out = os.path.join(self.tmp, "out-" + fmt)
        if os.path.exists(out):
            os.unlink(out)
        t0 = time.monotonic()
        p = subprocess.run([ctlib.CONCTRACE, "report", "--format", fmt, "-o", out] +
                           list(extra) + [run_dir or self.run_dir], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
        self.assertLess(time.monotonic() - t0, timeout)
        self.assertNotIn("runtime error", p.stderr, "UBSan: " + p.stderr)
        self.assertNotIn("AddressSanitizer", p.stderr, p.stderr)
        return p.returncode, p.stderr, os.path.exists(out)

    def assert_refused(self, fmt, *needles):
        rc, err, made = self.report(fmt)
        self.assertEqual(rc, ctlib.EXIT_USAGE, "%s: exit %d: %s" % (fmt, rc, err))
        for n in needles:
            self.assertIn(n, err, fmt)
        self.assertFalse(made, "%s: a half-made output was left" % fmt)
        return err

    def write_timeline(self, recs):
        with open(self.path("timeline.bin"), "wb") as f:
            for r in recs:
                f.write(REC.pack(*r))

    def edit_run(self, fn):
        with open(self.path("run.json")) as f:
            run = json.load(f)
        fn(run)
        with open(self.path("run.json"), "w") as f:
            json.dump(run, f)

    def edit_stacks(self, fn):
        with open(self.path("stacks.json")) as f:
            st = json.load(f)
        fn(st)
        with open(self.path("stacks.json"), "w") as f:
            json.dump(st, f)

    # ---- the fixture itself is fine ----

    def test_fixture_renders(self):
        for fmt in ("text", "json") + STACK_FORMATS:
            rc, err, made = self.report(fmt)
            self.assertEqual(rc, 0, "%s: %s" % (fmt, err))
            self.assertTrue(made, fmt)

    # ---- stacks.json ----

    def test_truncated_stacks_json(self):
        """Cut at many offsets, every format that reads it refuses it (it was read as
        missing before: empty flame graphs, exit 0)."""
        with open(self.path("stacks.json"), "rb") as f:
            data = f.read().rstrip()    # a cut newline would leave it whole
        offsets = sorted(set([0, 1, len(data) - 1] + list(range(7, len(data), 23))))
        self.assertGreater(len(offsets), 30)
        for n in offsets:
            with open(self.path("stacks.json"), "wb") as f:
                f.write(data[:n])
            for fmt in ("pprof", "oncpu-folded") if n % 2 else ("perfetto", "html"):
                err = self.assert_refused(fmt, "stacks.json")
                self.assertRegex(err, r"stacks\.json:\d+:\d+ \(byte \d+\): ", "cut at %d" % n)

    def test_one_corrupt_case_of_several(self):
        """report without -o writes a file per case: the corrupt case's is not left half
        made, the others are written, and the exit status says so."""
        c2 = self.path("c2")
        os.mkdir(c2)
        for name in ("stacks.json", "timeline.bin"):
            shutil.copy(self.path(name), os.path.join(c2, name))
        with open(os.path.join(c2, "stacks.json"), "r+") as f:
            f.truncate(100)

        def two_cases(r):
            c = json.loads(json.dumps(r["cases"][0]))
            c["dir"], c["repeat"] = "c2", 1
            r["cases"].append(c)
        self.edit_run(two_cases)
        p = subprocess.run([ctlib.CONCTRACE, "report", "--format", "pprof", self.run_dir],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)
        self.assertIn("c2/stacks.json:", p.stderr)
        self.assertNotIn("runtime error", p.stderr)
        self.assertTrue(os.path.exists(self.path("profile.pb.gz")))
        self.assertFalse(os.path.exists(os.path.join(c2, "profile.pb.gz")))

    def test_stacks_json_fields(self):
        cases = [
            (lambda s: s["samples"][0].__setitem__("stack", [0, 99]), "samples[0].stack[1]"),
            (lambda s: s["samples"][1].__setitem__("stack", [-1]), "samples[1].stack[0]"),
            (lambda s: s["samples"][2].__setitem__("tid", 2 ** 40), "samples[2].tid"),
            (lambda s: s["samples"][2].__setitem__("reason", "nap"), "unknown reason 'nap'"),
            (lambda s: s["samples"][0].__setitem__("count", "5"), "samples[0].count"),
            (lambda s: s["samples"][0].__setitem__("count", 2 ** 63 - 1), "out of range"),
            (lambda s: s["frames"].__setitem__(1, 7), "frames[1]"),
            (lambda s: s.__setitem__("sample_hz", 0), "sample_hz"),
            (lambda s: s.pop("samples"), "samples: missing"),
            (lambda s: s["samples"][2].__setitem__("ids", [1, 2]), "samples[2].ids"),
        ]
        with open(self.path("stacks.json")) as f:
            orig = f.read()
        for fn, needle in cases:
            with open(self.path("stacks.json"), "w") as f:
                f.write(orig)
            self.edit_stacks(fn)
            self.assert_refused("pprof", "stacks.json: ", needle)

    # ---- timeline.bin ----

    def fixture_records(self):
        with open(os.path.join(FIXTURE, "timeline.bin"), "rb") as f:
            data = f.read()
        return [list(REC.unpack_from(data, i)) for i in range(0, len(data), REC.size)]

    def test_timeline_cpu_beyond_the_run(self):
        """cpu >= 2^31 passed `(int)r.cpu >= ncpu` in report.html: out-of-bounds read and
        write. Now the decoder refuses any CPU the case does not have."""
        for cpu in (2 ** 31, 2 ** 32 - 1, 2):
            recs = self.fixture_records()
            recs[3][1] = cpu
            self.write_timeline(recs)
            for fmt in TIMELINE_FORMATS:
                self.assert_refused(fmt, "timeline.bin: record 3 at offset 168: CPU %d is not "
                                    "a CPU of the case (it has 2)" % cpu)

    def test_timeline_bad_records(self):
        cases = [
            (0, 9, "unknown record type 9"),
            (4, 2 ** 23, "a thread id above 4194304"),
            (7, 12, "unknown off-CPU reason 12"),
            (2, 10 ** 15, "time 1000000000000000 is outside the case"),
        ]
        for field, value, needle in cases:
            recs = self.fixture_records()
            recs[5][field] = value
            self.write_timeline(recs)
            self.assert_refused("perfetto", "record 5 at offset 280: " + needle)
        recs = self.fixture_records()
        recs[1] = [EV_GIL, 0, recs[1][2], 101, 100, 0, 0, 2, 0, -1, -1, 0]
        self.write_timeline(recs)
        self.assert_refused("html", "record 1 at offset 56: a GIL record")

    def test_timeline_partial_record(self):
        """A file cut while it was written: its whole records are used, with a warning."""
        with open(self.path("timeline.bin"), "rb") as f:
            data = f.read()
        with open(self.path("timeline.bin"), "wb") as f:
            f.write(data[:3 * REC.size + 20])
        rc, err, made = self.report("perfetto")
        self.assertEqual(rc, 0, err)
        self.assertTrue(made)
        self.assertIn("the last 20 bytes (at offset 168) are a partial record", err)

    def test_not_regular_files(self):
        """/dev/zero (through a symlink or as a device node), a FIFO, a sparse 64 GB file:
        refused at once instead of a read that never ends or takes all memory."""
        names = ("timeline.bin", "stacks.json", "run.json")
        for name in names:
            for kind in ("symlink", "fifo", "sparse", "device", "directory"):
                if kind == "device" and os.geteuid() != 0:
                    continue
                p = self.path(name)
                saved = p + ".saved"
                os.rename(p, saved)
                if kind == "symlink":
                    os.symlink("/dev/zero", p)
                    needle = "is a symbolic link (refused)"
                elif kind == "fifo":
                    os.mkfifo(p)
                    needle = "a FIFO, not a regular file"
                elif kind == "device":
                    os.mknod(p, stat.S_IFCHR | 0o600, os.makedev(1, 5))   # /dev/zero
                    needle = "a device, not a regular file"
                elif kind == "directory":
                    os.mkdir(p)
                    needle = "a directory, not a regular file"
                else:
                    with open(p, "wb") as f:
                        f.truncate(64 << 30)
                    needle = "68719476736 bytes, more than"
                fmt = "pprof" if name == "stacks.json" else "perfetto"
                try:
                    rc, err, made = self.report(fmt, timeout=20)
                finally:
                    if os.path.isdir(p) and not os.path.islink(p):
                        os.rmdir(p)
                    else:
                        os.unlink(p)
                    os.rename(saved, p)
                self.assertEqual(rc, ctlib.EXIT_USAGE, "%s as %s: %s" % (name, kind, err))
                self.assertIn(name + ": ", err, kind)
                self.assertIn(needle, err, "%s as %s" % (name, kind))
                self.assertFalse(made)

    # ---- run.json ----

    def test_truncated_run_json(self):
        with open(self.path("run.json"), "rb") as f:
            data = f.read().rstrip()
        for n in sorted(set([0, 5] + list(range(11, len(data), 97)))):
            with open(self.path("run.json"), "wb") as f:
                f.write(data[:n])
            rc, err, _ = self.report("text" if n % 2 else "html")
            self.assertEqual(rc, ctlib.EXIT_USAGE, "cut at %d: %s" % (n, err))
            self.assertRegex(err, r"run\.json:\d+:\d+ \(byte \d+\): ")

    def test_run_json_fields(self):
        big = 2 ** 62 + 1

        def case(fn):
            return lambda r: fn(r["cases"][0])
        cases = [
            (case(lambda c: c["threads"][0].__setitem__("cpus", [0, 5])),
             "cases[0].threads[0].cpus[1]: 5 is out of range (0..1)"),
            (case(lambda c: c["cpus"][1].__setitem__("cpu", 4096)), "cases[0].cpus[1].cpu"),
            (case(lambda c: c["threads"][1].__setitem__("tid", -3)), "cases[0].threads[1].tid"),
            (case(lambda c: c.__setitem__("wall_ns", big)), "out of range (at most 2^62"),
            (case(lambda c: c.__setitem__("totals", {"on_cpu_ns": 1e300})),
             "1e+300 is out of range"),
            (case(lambda c: c.__setitem__("totals", {"runq": {"hist": [1] * 41}})),
             "cases[0].totals.runq.hist: 41 entries"),
            (case(lambda c: c.__setitem__("threads", {})), "cases[0].threads: expected an array"),
            (case(lambda c: c.__setitem__("command", ["a", 1])), "cases[0].command[1]"),
            (lambda r: r.__setitem__("cases", 3), "cases: expected an array"),
            (lambda r: r.__setitem__("schema", "conctrace-run/0"), "not a conctrace run"),
        ]
        with open(self.path("run.json")) as f:
            orig = f.read()
        for fn, needle in cases:
            with open(self.path("run.json"), "w") as f:
                f.write(orig)
            self.edit_run(fn)
            rc, err, made = self.report("text")
            self.assertEqual(rc, ctlib.EXIT_USAGE, "%s: %s" % (needle, err))
            self.assertIn("run.json: ", err)
            self.assertIn(needle, err)
            self.assertFalse(made)

    # ---- the inputs that UBSan reported (within the checked ranges) ----

    def test_overflow_reproducers(self):
        """Each made a renderer overflow or convert an out-of-range double; now each renders
        (the figures are absurd, as the input is)."""
        q = 2 ** 62

        def seconds_run(r):
            r["kind"] = "run"
            c = r["cases"][0]
            c["workload"], c["model"], c["kind"] = "w", "m", "cpu"
            c["status"] = {"exit_code": 0}        # a case that ran: it is compared
            c["totals"] = {"off_ns": {}, "parallelism": {}}
            c["totals"]["peak_rss_kb_sum"] = -1024           # render_text.c:448
            c["totals"]["off_ns"]["gil"] = -5.5              # render_html.c:157
            c["totals"]["on_cpu_ns"] = -7.25                 # results.c:627 (jget_u64)
            c["totals"]["parallelism"]["profile_ns"] = [q, q, q, q, 5]   # render_text.c:26
            r["started"] = "9999-12-31T23:59:59Z"            # render_pprof.c:296
        self.edit_run(seconds_run)
        self.edit_stacks(lambda s: s["samples"][0].__setitem__("count", q))  # render_pprof.c:255
        for fmt in ("text", "html", "json", "pprof"):
            rc, err, made = self.report(fmt)
            self.assertEqual(rc, 0, "%s: %s" % (fmt, err))
            self.assertTrue(made)
        # render_text.c:26: the parallelism bars of a case's own report (record's)
        self.edit_run(lambda r: r.__setitem__("kind", "record"))
        rc, err, made = self.report("text")
        self.assertEqual(rc, 0, err)
        with open(os.path.join(self.tmp, "out-text")) as f:
            self.assertIn("k=4", f.read())
        self.edit_run(lambda r: r.__setitem__("kind", "run"))
        # render_perfetto.c:755: a case without threads and without a timeline
        self.edit_run(lambda r: r["cases"][0].__setitem__("threads", []))
        os.unlink(self.path("timeline.bin"))
        rc, err, made = self.report("perfetto")
        self.assertEqual(rc, 0, err)
        # cmd_diff.c:135 (a case number that became negative) and cmd_diff.c:51 (a negative
        # time in the comparison)
        p = subprocess.run([ctlib.CONCTRACE, "diff", "--case-a", "2147483648", "--case-b", "1",
                            self.run_dir, self.run_dir], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)
        self.assertIn("--case-a needs a case number", p.stderr)
        p = subprocess.run([ctlib.CONCTRACE, "diff", "--case-a", "1", "--case-b", "1",
                            self.run_dir, self.run_dir], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertNotIn("runtime error", p.stderr, p.stderr)
        self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    unittest.main()
