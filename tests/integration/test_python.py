"""Python-aware tracing, for every supported interpreter on this machine: Python frames with
file and line in the folded stacks (on and off the CPU), and the GIL per thread, checked
against an independent bpftrace trace of the GIL's futex words in the same run. CPython 3.13
and 3.14 run in Debian chroots that tools/pychroots builds (CI does) under
$CONCTRACE_PY_CACHE (default /var/cache/conctrace-py); the pyenv builds are used when present."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlib  # noqa: E402

PROGS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pyprogs")
PYENV = "/root/.pyenv/versions"
INTERPRETERS = [
    ("3.10", os.path.join(PYENV, "3.10.13", "bin", "python3.10")),
    ("3.11", os.path.join(PYENV, "3.11.7", "bin", "python3.11")),
    ("3.12", os.path.join(PYENV, "3.12.1", "bin", "python3.12")),
    ("3.13", os.path.join(PYENV, "3.13.0", "bin", "python3.13")),
    ("3.11-debian", "/usr/bin/python3.11"),
]
PYCACHE = os.environ.get("CONCTRACE_PY_CACHE", "/var/cache/conctrace-py")
# (name, chroot directory, interpreter inside it)
CHROOTS = [
    ("3.13-debian", os.path.join(PYCACHE, "py313"), "python3.13"),
    ("3.14-debian", os.path.join(PYCACHE, "py314"), "python3.14"),
]


def marker_lines(path):
    """{marker: line number} of the `# LINE:marker` comments of a program."""
    out = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            m = re.search(r"# LINE:(\S+)", line)
            if m:
                out[m.group(1)] = n
    return out


def folded(path):
    """[(frames, value)] of a folded file."""
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            stack, _, value = line.rstrip("\n").rpartition(" ")
            out.append((stack.split(";"), int(value)))
    return out


class PythonCase:
    """Mixed into one TestCase class per interpreter (made below)."""
    version = None
    python = None

    root = None       # a chroot the interpreter runs in
    progs_in = None   # where PROGS are, as the interpreter sees them

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="conctrace-py-")
        cls.reason = ctlib._skip_reason()
        cls.progs_in = PROGS
        if cls.reason:
            return
        if cls.root:
            exe = os.path.join(cls.root, "usr", "bin", cls.python)
            if not os.access(exe, os.X_OK):
                cls.reason = ("no CPython %s chroot at %s (tools/pychroots builds it; it needs "
                              "debootstrap and the Debian archive)" % (cls.version, cls.root))
                return
            # the programs are copied into the chroot, where the interpreter can open them
            cls.chroot_tmp = tempfile.mkdtemp(prefix="conctrace-pyprogs-",
                                              dir=os.path.join(cls.root, "tmp"))
            os.chmod(cls.chroot_tmp, 0o755)
            for f in os.listdir(PROGS):
                if os.path.isfile(os.path.join(PROGS, f)):
                    shutil.copy(os.path.join(PROGS, f), cls.chroot_tmp)
            cls.progs_in = "/tmp/" + os.path.basename(cls.chroot_tmp)
        elif not os.access(cls.python, os.X_OK):
            cls.reason = "no CPython %s here (%s is absent)" % (cls.version, cls.python)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if getattr(cls, "chroot_tmp", None):
            shutil.rmtree(cls.chroot_tmp, ignore_errors=True)

    def prog(self, name):
        """A test program's path as the interpreter sees it."""
        return os.path.join(self.progs_in, name)

    def command(self):
        return ["chroot", self.root, self.python] if self.root else [self.python]

    def setUp(self):
        if self.reason:
            ctlib.skip_loudly(self, self.reason)

    def record(self, name, args, extra=()):
        out = os.path.join(self.tmp, name)
        p = subprocess.run([ctlib.CONCTRACE, "record", "-q", "--sample-hz", "499", *extra,
                            "-o", out, "--", *self.command(), *args],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=ctlib.clean_env(), timeout=180)
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace"))
        with open(os.path.join(out, "run.json")) as f:
            run = json.load(f)
        return out, run["cases"][0]

    def python_proc(self, case):
        procs = [p for p in case["processes"] if p.get("python")]
        self.assertEqual(len(procs), 1, "one CPython process expected: %r" % case["processes"])
        py = procs[0]["python"]
        self.assertTrue(py["frames"], "frames not walked for %s: %r" % (self.version, py))
        return procs[0]

    def test_frames_on_and_off_cpu(self):
        prog = os.path.join(PROGS, "nested.py")
        lines = marker_lines(prog)
        out, case = self.record("nested", [self.prog("nested.py")])
        self.python_proc(case)
        spin = "spin (nested.py:%d)"
        outer = "outer (nested.py:%d)" % lines["outer-call"]
        spin_names = {spin % lines["spin-loop"], spin % lines["spin-add"]}
        on = folded(os.path.join(out, "oncpu.folded"))
        total = sum(v for _, v in on)
        hot = sum(v for fr, v in on
                  if any(fr[i] == outer and fr[i + 1] in spin_names for i in range(len(fr) - 1)))
        self.assertGreater(total, 0)
        # the main thread spins for 1.5 s of a run of about 1.6 s
        self.assertGreater(hot / total, 0.5,
                           "outer;spin holds %d of %d samples; top stacks: %r"
                           % (hot, total, sorted(on, key=lambda x: -x[1])[:3]))
        off = folded(os.path.join(out, "offcpu.folded"))
        want = "waiter (nested.py:%d)" % lines["waiter-acquire"]
        lock_ns = sum(v for fr, v in off if fr[0] == "lock" and want in fr)
        self.assertGreater(lock_ns, 1.0 * ctlib.SEC,
                           "waiter blocked ~1.5 s in lock.acquire(); off-CPU lock stacks: %r; "
                           "threads' off-CPU: %r; not measured: %r"
                           % ([(fr, v) for fr, v in off if fr[0] == "lock"][:5],
                              [(t["tid"], t["off_ns"]) for t in case["threads"]],
                              case.get("counters")))
        # the Perfetto trace: the waiter's Blocked slice carries the stack it blocked in
        with open(os.path.join(out, "trace.json")) as f:
            trace = json.load(f)["traceEvents"]
        waiter_tid = [t["tid"] for t in case["threads"] if t["tid"] != t["pid"]][0]
        blocked = [e for e in trace if e.get("tid") == waiter_tid and
                   e.get("name") == "Blocked: lock" and e["dur"] > 1e6]
        self.assertEqual(len(blocked), 1, blocked)
        self.assertIn(want, blocked[0]["args"].get("stack", "").split(";"), blocked[0])
        # the leaf native frames sit between the Python frames and the kernel's
        st = [(fr, v) for fr, v in off if fr[0] == "lock" and want in fr]
        fr = max(st, key=lambda x: x[1])[0]
        i = fr.index(want)
        self.assertTrue(any("futex" in f for f in fr[i + 1:]), fr)

    def test_asyncio_coroutine_chain_and_idle_loop(self):
        prog = os.path.join(PROGS, "aio.py")
        lines = marker_lines(prog)
        out, case = self.record("aio", [self.prog("aio.py")])
        self.python_proc(case)
        chain = ["handler (aio.py:%d)" % lines["handler-call"],
                 "parse (aio.py:%d)" % lines["parse-call"]]
        leaf = {"checksum (aio.py:%d)" % (lines["checksum-loop"] + k) for k in (0, 1)}
        on = folded(os.path.join(out, "oncpu.folded"))
        total = sum(v for _, v in on)
        hot = sum(v for fr, v in on
                  if any(fr[i:i + 2] == chain and fr[i + 2] in leaf for i in range(len(fr) - 2)))
        self.assertGreater(hot, 0.3 * total, "coroutine chain %r in %d of %d samples"
                           % (chain, hot, total))
        off = folded(os.path.join(out, "offcpu.folded"))
        idle = "main (aio.py:%d)" % lines["main-idle"]
        # the idle loop waits in its selector: reason poll, under the loop's own frames
        poll = [(fr, v) for fr, v in off if fr[0] == "poll"]
        self.assertTrue(poll, "no poll stacks: %r" % off[:5])
        fr, ns = max(poll, key=lambda x: x[1])
        self.assertGreater(ns, 0.8 * ctlib.SEC)
        self.assertTrue(any("_run_once" in f for f in fr), fr)
        # the selector's select() (3.10 names functions without their class)
        self.assertTrue(any(re.fullmatch(r"(\w+\.)?select \(selectors\.py:\d+\)", f)
                            for f in fr), fr)
        self.assertNotIn(idle, fr, "a sleeping coroutine is not on the stack of the idle loop")

    def test_asyncio_running_task(self):
        # 3.14's _asyncio says where each thread's running task is: stacks start with
        # "task NAME" (Task-N for a task never named); earlier versions have no such frame
        prog = os.path.join(PROGS, "aiotasks.py")
        line = marker_lines(prog)["crunch-loop"]
        out, case = self.record("aiotasks", [self.prog("aiotasks.py")])
        py = self.python_proc(case)["python"]
        by_task = {}
        for fr, v in folded(os.path.join(out, "oncpu.folded")):
            tasks = [f for f in fr if f.startswith("task ")]
            if any(f in ("crunch (aiotasks.py:%d)" % line, "crunch (aiotasks.py:%d)" % (line + 1))
                   for f in fr):
                key = tasks[0] if tasks else None
                by_task[key] = by_task.get(key, 0) + v
                # the task is the outermost Python frame, one per stack
                self.assertLessEqual(len(tasks), 1, fr)
        if self.version < "3.14":
            self.assertEqual(set(by_task), {None}, by_task)
            self.assertNotIn("asyncio_tasks", py)
            self.assertNotIn("asyncio_waiting", py)
            return
        # two named tasks crunch 0.5 s of CPU each at 499 Hz, then the main task 3M adds
        self.assertGreater(by_task.get("task crunch-a", 0), 100, by_task)
        self.assertGreater(by_task.get("task crunch-b", 0), 100, by_task)
        self.assertGreater(by_task.get("task Task-1", 0), 10, by_task)
        self.assertLess(by_task.get(None, 0), 0.05 * sum(by_task.values()), by_task)
        # run.json, the text report and the HTML report summarise the samples by task
        tasks = {t["task"]: t["samples"] for t in py["asyncio_tasks"]}
        self.assertEqual(set(tasks), {"crunch-a", "crunch-b", "Task-1"}, tasks)
        self.assertGreaterEqual(tasks["crunch-a"], by_task["task crunch-a"])
        with open(os.path.join(out, "report.txt")) as f:
            self.assertRegex(f.read(), r"on-CPU samples by running asyncio task: (crunch-[ab]|"
                             r"Task-1) \d+%, (crunch-[ab]|Task-1) \d+%, (crunch-[ab]|Task-1)")
        with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
            html = f.read()
        self.assertTrue("On-CPU samples by running asyncio task:" in html,
                        "no running-task line in report.html")
        # what each waiting task awaits, from snapshots of the task lists every 100 ms: the
        # workers at their await (awaited by the main task's gather), the main task at it
        lines = marker_lines(prog)
        waiting = {(w["task"], w["awaits_at"], w["awaited_by"]): w["snapshots"]
                   for w in py["asyncio_waiting"]}
        self.assertGreater(py["asyncio_snapshots"], 5, py)
        # (at a snapshot one worker may be running, so each is seen waiting in some of them)
        seen = 0
        for name in ("crunch-a", "crunch-b"):
            key = (name, "worker (aiotasks.py:%d)" % lines["worker-await"], "Task-1")
            self.assertGreaterEqual(waiting.get(key, 0), 1, (key, waiting))
            seen += waiting[key]
        self.assertGreaterEqual(seen, 3, waiting)
        key = ("Task-1", "main (aiotasks.py:%d)" % lines["main-gather"], "")
        self.assertGreaterEqual(waiting.get(key, 0), 2, (key, waiting))
        # never a task waiting somewhere the program has no await
        for (task, at, by), n in waiting.items():
            self.assertIn(at, {"worker (aiotasks.py:%d)" % lines["worker-await"],
                               "main (aiotasks.py:%d)" % lines["main-gather"]}, waiting)
        row = "<td>worker (aiotasks.py:%d)</td><td>Task-1</td>" % lines["worker-await"]
        self.assertTrue(row in html, "no waiting-task row %r in report.html" % row)

    def test_multiprocessing_workers_are_walked(self):
        prog = os.path.join(PROGS, "mp.py")
        line = marker_lines(prog)["crunch-loop"]
        for method in ("fork", "spawn"):
            out, case = self.record("mp-" + method, [self.prog("mp.py"), method])
            with open(os.path.join(out, "stacks.json")) as f:
                st = json.load(f)
            root = [p["pid"] for p in case["processes"] if p["ppid"] == 0][0]
            workers = {}
            for smp in st["samples"]:
                if smp["reason"] != "oncpu" or smp["pid"] == root:
                    continue
                names = [st["frames"][i] for i in smp["stack"]]
                if "crunch (mp.py:%d)" % line in names:
                    workers[smp["pid"]] = workers.get(smp["pid"], 0) + smp["count"]
            self.assertGreaterEqual(len(workers), 2, "%s: crunch() seen in workers %r"
                                    % (method, workers))

    def test_reused_code_addresses_give_right_names(self):
        out, case = self.record("reuse", [self.prog("reuse.py")])
        names = set()
        for fr, v in folded(os.path.join(out, "oncpu.folded")):
            for f in fr:
                m = re.fullmatch(r"f_(\d+) \((\S+):\d+\)", f)
                if m:
                    self.assertEqual(m.group(2), "gen_%s.py" % m.group(1), fr)
                    names.add(m.group(1))
        # 40 functions of 20 ms each at 499 Hz: nearly all are sampled, each under its own
        # name (a stale code entry would show one function's name for all of them)
        self.assertGreaterEqual(len(names), 30, sorted(names, key=int))

    def test_non_ascii_names_and_files(self):
        out, case = self.record("unicode", [self.prog("unicode.py")])
        self.python_proc(case)
        seen = {}
        for fr, v in folded(os.path.join(out, "oncpu.folded")):
            for f in fr:
                m = re.fullmatch(r"(\S+) \((\S+):(\d+)\)", f)
                if m and m.group(2) == "donn\u00e9es_\u03bb.py":
                    seen[m.group(1)] = seen.get(m.group(1), 0) + v
        # three functions of 0.4 s each at 499 Hz: ~200 samples each, under their own names
        for name in ("gr\u00f6\u00dfe", "\u8a08\u7b97", "\U00020000x"):
            self.assertGreater(seen.get(name, 0), 50, "%r: %r" % (name, seen))
        # every output carries them as valid UTF-8
        with open(os.path.join(out, "oncpu.svg"), encoding="utf-8") as f:
            self.assertIn("\u8a08\u7b97 (donn\u00e9es_\u03bb.py:", f.read())
        with open(os.path.join(out, "report.html"), encoding="utf-8") as f:
            self.assertIn("gr\u00f6\u00dfe", f.read())
        with open(os.path.join(out, "stacks.json"), encoding="utf-8") as f:
            frames = json.load(f)["frames"]
        self.assertTrue(any(f.startswith("\U00020000x (") for f in frames))

    def test_threads_after_a_subinterpreter_are_walked(self):
        # a subinterpreter becomes the head of the runtime's list; the walker must still
        # find a new thread of the main interpreter (it follows interpreters.main)
        out, case = self.record("subinterp", [self.prog("subinterp.py")])
        self.python_proc(case)
        on = folded(os.path.join(out, "oncpu.folded"))
        total = sum(v for _, v in on)
        spin = sum(v for fr, v in on if any(f.startswith("spin (subinterp.py:") for f in fr))
        self.assertGreater(spin, 0.5 * total, "spin() in %d of %d samples" % (spin, total))

    def futex_trace(self):
        """Start bpftrace summing futex syscall time per (thread, address) of the processes
        named ctgilbound; returns the Popen once it is attached."""
        if not shutil.which("bpftrace"):
            self.skipTest("bpftrace is not installed: no independent GIL measurement")
        # BEGIN runs once every probe is attached: "Attaching N probes" comes before that,
        # and on a busy machine attaching takes longer than the traced program runs
        script = ("BEGIN { printf(\"ctready\\n\"); } "
                  "tracepoint:syscalls:sys_enter_futex /comm == \"ctgilbound\"/ "
                  "{ @s[tid] = nsecs; @a[tid] = args->uaddr; } "
                  "tracepoint:syscalls:sys_exit_futex /@s[tid]/ "
                  "{ @w[tid, @a[tid]] = sum(nsecs - @s[tid]); delete(@s[tid]); delete(@a[tid]); } "
                  # it stops by itself when the program's main thread exits
                  "tracepoint:sched:sched_process_exit /comm == \"ctgilbound\" && pid == tid/ "
                  "{ exit(); } "
                  "END { clear(@s); clear(@a); }")
        bt = subprocess.Popen(["bpftrace", "-e", script], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        # never leave it running: its syscall tracepoints slow every syscall on the machine
        self.addCleanup(lambda: bt.poll() is None and (bt.kill(), bt.wait()))
        seen = []
        while True:
            line = bt.stdout.readline()
            if not line or "ctready" in line:
                break
            seen.append(line.strip())   # warnings (RLIMIT_MEMLOCK) come first
        if not line:
            bt.wait()
            self.fail("bpftrace did not attach: %s" % " / ".join(seen))
        time.sleep(0.5)
        return bt

    def test_gil_bound_waits_match_futex_trace(self):
        bt = self.futex_trace()
        try:
            out, case = self.record("gilbound", [self.prog("gilbound.py"), "25000000"])
        finally:
            try:
                text, _ = bt.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                bt.send_signal(2)
                text, _ = bt.communicate(timeout=60)
        waits = {}
        for m in re.finditer(r"@w\[(\d+), (0x[0-9a-f]+|\d+)\]: (\d+)", text):
            waits.setdefault(int(m.group(1)), []).append((int(m.group(2), 0), int(m.group(3))))
        proc = self.python_proc(case)
        gil = int(proc["python"]["gil"], 16)
        lo, hi = gil + 0x20, gil + 0x78    # cond and mutex: waiting for the GIL
        workers = [t for t in case["threads"] if t["pid"] == proc["pid"] and t["tid"] != t["pid"]]
        self.assertEqual(len(workers), 2, case["threads"])
        for t in workers:
            g = t["gil"]
            truth = sum(ns for a, ns in waits.get(t["tid"], []) if lo <= a < hi)
            self.assertGreater(truth, 0.1 * ctlib.SEC, "bpftrace saw little GIL wait: %r" % waits)
            ctlib.assert_close(self, g["wait_ns"], truth, rel=0.10,
                               what="GIL wait of thread %d" % t["tid"])
            self.assertGreater(g["acquisitions_waited"], 10, g)
            self.assertGreater(g["drop_requests"], 10, g)
            self.assertGreaterEqual(g["acquisition_wait_p99_ns"], g["acquisition_wait_p50_ns"], g)
            # a wait ends when the holder drops after the 5 ms switch interval
            self.assertGreater(g["acquisition_wait_p50_ns"], 2 * ctlib.MS, g)
        # the HTML report's timeline has a GIL lane where both workers take turns
        with open(os.path.join(out, "report.html")) as f:
            html = f.read()
        for t in workers:
            self.assertIn("GIL held by tid %d," % t["tid"], html)
        # the GIL lane is covered while the workers run (most of the run): spans are drawn
        # over every pixel column they cover, not one each
        held_px = sum(int(w) for w in re.findall(
            r'<rect x="\d+" y="\d+" width="(\d+)" height="\d+" fill="[^"]*">'
            r'<title>GIL held by', html))
        self.assertGreater(held_px, 0.6 * 1100, "GIL lane covers %d of 1100 px" % held_px)
        # and the Perfetto trace a GIL track in the process
        with open(os.path.join(out, "trace.json")) as f:
            trace = json.load(f)["traceEvents"]
        holders = {e["args"]["holder"] for e in trace if e.get("cat") == "gil-holder"
                   and e["pid"] == proc["pid"]}
        self.assertTrue({t["tid"] for t in workers} <= holders, holders)
        share = proc["python"]["gil_held_share"]
        self.assertGreater(share, 0.90, "GIL held share %.3f of a GIL-bound program" % share)
        self.assertLessEqual(share, 1.02)

    def test_gil_named_in_the_lock_table(self):
        # short enough for an emulated kernel (tools/vmtest); the futex-trace check above is
        # the long one
        out, case = self.record("gilnamed", [self.prog("gilbound.py"), "2000000"])
        proc = self.python_proc(case)
        gil = int(proc["python"]["gil"], 16)
        named = [lk for lk in case["locks"] if lk["pid"] == proc["pid"] and lk["label"] == "GIL"]
        # one entry per futex word of the GIL's struct (its cond and mutex)
        self.assertTrue(named, "no GIL entry in the lock table: %r" % case["locks"])
        for lk in named:
            self.assertTrue(gil <= int(lk["uaddr"], 16) < gil + 0x100, lk)
        self.assertGreater(sum(lk["waits"] for lk in named), 0, named)
        workers = [t for t in case["threads"] if t["pid"] == proc["pid"] and t["tid"] != t["pid"]]
        self.assertEqual(len(workers), 2, case["threads"])
        for t in workers:
            self.assertGreater(t["off_ns"]["gil"], 0, t["off_ns"])
            self.assertGreater(t["gil"]["acquisitions_waited"], 0, t["gil"])

    def test_three_gil_bound_threads_share_it(self):
        # three threads of equal pure-Python work on two cores: the GIL lets one run at a
        # time, so each holds it about a third of its life and waits for most of the rest
        out, case = self.record("gil3", [self.prog("gilbound.py"), "6000000", "3"])
        proc = self.python_proc(case)
        py = proc["python"]
        self.assertEqual(py["offsets"], "table" if self.version < "3.13" else "debug", py)
        self.assertFalse(py["free_threaded"], py)
        workers = [t for t in case["threads"] if t["pid"] == proc["pid"] and t["tid"] != t["pid"]]
        self.assertEqual(len(workers), 3, case["threads"])
        held = sum(t["gil"]["held_ns"] for t in workers)
        on_held = sum(t["gil"]["held_ns"] - t["gil"]["held_off_cpu_ns"] for t in workers)
        on = sum(t["on_cpu_ns"] for t in workers)
        # one holder at a time: the held time of all threads fits in the wall time (the
        # held time is sampled: a sample's worth of slack)
        self.assertLessEqual(held, case["wall_ns"] * 1.03,
                             "held %d ns over threads, wall %d ns" % (held, case["wall_ns"]))
        self.assertGreater(on_held / on, 0.8, "GIL held in %.2f of on-CPU time" % (on_held / on))
        self.assertGreater(py["gil_held_share"], 0.8, py)
        for t in workers:
            g, life = t["gil"], t["end_ns"] - t["start_ns"]
            self.assertGreater(g["held_ns"] / life, 0.33 * 0.6, (t["tid"], life, g))
            self.assertLess(g["held_ns"] / life, 0.33 * 1.5, (t["tid"], life, g))
            # the rest of its life it waits for the GIL, or for a CPU
            waiting = g["wait_ns"] + t["off_ns"]["preempted"]
            self.assertGreater(waiting / life, 0.45, (t["tid"], life, g, t["off_ns"]))
            self.assertGreater(g["drop_requests"], 5, g)
        # the report says it in its words
        with open(os.path.join(out, "report.txt")) as f:
            text = f.read()
        self.assertRegex(text, r"the GIL was held (8\d|9\d|100)\.\d% of the process's life")

    def test_sleeping_threads_do_not_wait_for_the_gil(self):
        out, case = self.record("sleepers", [self.prog("sleepers.py")])
        proc = self.python_proc(case)
        workers = [t for t in case["threads"] if t["pid"] == proc["pid"] and t["tid"] != t["pid"]]
        self.assertEqual(len(workers), 3)
        for t in workers:
            # time.sleep is select() before 3.11
            sleep = t["off_ns"]["sleep"] + t["off_ns"]["poll"]
            self.assertGreater(sleep, 0.8 * ctlib.SEC, t)
            self.assertLess(t["gil"]["wait_ns"], 0.01 * sleep, t["gil"])

    def test_native_code_runs_without_the_gil(self):
        out, case = self.record("hasher", [self.prog("sleepers.py"), "hash"])
        proc = self.python_proc(case)
        workers = [t for t in case["threads"] if t["pid"] == proc["pid"] and t["tid"] != t["pid"]]
        self.assertEqual(len(workers), 1)
        g = workers[0]["gil"]
        self.assertGreater(g["free_samples"], 4 * max(g["held_samples"], 1), g)
        self.assertGreater(g["on_cpu_without_gil_ns"], 0.5 * workers[0]["on_cpu_ns"], g)


class PythonsAxis(unittest.TestCase):
    """defaults.pythons: the same workload under Debian's 3.11 and the 3.14 chroot, one table."""

    def setUp(self):
        reason = ctlib._skip_reason()
        self.root = os.path.join(PYCACHE, "py314")
        if not reason and not os.access(os.path.join(self.root, "usr/bin/python3.14"), os.X_OK):
            reason = "no CPython 3.14 chroot at %s (tools/pychroots builds it)" % self.root
        if not reason and not os.access("/usr/bin/python3.11", os.X_OK):
            reason = "no /usr/bin/python3.11"
        if reason:
            ctlib.skip_loudly(self, reason)
        self.tmp = tempfile.mkdtemp(prefix="conctrace-axis-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_two_interpreters_one_table(self):
        spec = os.path.join(self.tmp, "axis.yaml")
        chroot = "chroot %s python3.14" % self.root
        with open(spec, "w") as f:
            f.write("name: axis\n"
                    "defaults: {repeat: 1, tasks: 3, pythons: [/usr/bin/python3.11, '%s']}\n"
                    "baseline: sequential\n"
                    "workloads:\n"
                    "  - {name: cpu, kind: cpu, size: 600000, models: [sequential, threading]}\n"
                    % chroot)
        out = os.path.join(self.tmp, "out")
        run = lambda: subprocess.run([ctlib.CONCTRACE, "run", "--as-root", "-o", out, spec],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=ctlib.clean_env(), timeout=300)
        # without the harness inside the chroot: refused before anything runs, and said why
        p = run()
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)
        self.assertIn(b"defaults.pythons[1]: the harness", p.stderr)
        self.assertFalse(os.path.exists(os.path.join(out, "run.json")))
        # the harness at the same path inside the chroot
        inside = self.root + os.path.join(ctlib.REPO, "workloads", "python")
        made = not os.path.exists(inside)
        if made:
            shutil.copytree(os.path.join(ctlib.REPO, "workloads", "python"), inside)
            top = self.root + "/" + ctlib.REPO.strip("/").split("/")[0]
            self.addCleanup(shutil.rmtree, top, True)
        p = run()
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace"))
        with open(os.path.join(out, "run.json")) as f:
            r = json.load(f)
        self.assertEqual([(x["label"], x["version"][:4]) for x in r["pythons"]],
                         [("python3.11", "3.11"), ("python3.14", "3.14")])
        names = [c["model"] for c in r["cases"]]
        self.assertEqual(names, ["sequential [python3.11]", "sequential [python3.14]",
                                 "threading [python3.11]", "threading [python3.14]"])
        for c in r["cases"]:
            py = [x["python"] for x in c["processes"] if x.get("python")]
            self.assertEqual(len(py), 1, c["processes"])
            self.assertEqual(py[0]["version"], c["model"][-5:-1], (c["model"], py))
            if c["model"].startswith("threading"):
                # three CPU-bound threads under a GIL: it is named and held
                self.assertGreater(py[0]["gil_held_share"], 0.5, (c["model"], py))
                gil = sum(t["off_ns"]["gil"] for t in c["threads"])
                self.assertGreater(gil, 0, c["model"])
        with open(os.path.join(out, "report.txt")) as f:
            text = f.read()
        # each interpreter's baseline is its own sequential run
        self.assertRegex(text, r"sequential \[python3\.11\]\* +\S+ +1\.00x")
        self.assertRegex(text, r"sequential \[python3\.14\]\* +\S+ +1\.00x")
        self.assertRegex(text, r"threading \[python3\.14\] +\S+ +\d+\.\d\dx")


for _version, _python in INTERPRETERS:
    _name = "Python" + _version.replace(".", "").replace("-", "_")
    globals()[_name] = type(_name, (PythonCase, unittest.TestCase),
                            {"version": _version, "python": _python})
for _version, _root, _python in CHROOTS:
    _name = "Python" + _version.replace(".", "").replace("-", "_")
    globals()[_name] = type(_name, (PythonCase, unittest.TestCase),
                            {"version": _version, "python": _python, "root": _root})
del _version, _python, _name, _root

if __name__ == "__main__":
    unittest.main()
