"""conctrace as root in an unprivileged user's directories: every scenario where root used to
follow the user's symlinks, write into root's files and chown them, reproduced against the
built binary with a real unprivileged user (nobody) named by SUDO_UID/SUDO_GID. Also strict
SUDO_UID/SUDO_GID, the spec read as the user, report refusing a case dir outside the run, and
HTML escaping of hostile names. Tests that need a successful BPF load skip loudly without it;
the refusals happen before anything is loaded and run everywhere as root."""

import ctypes
import gzip
import json
import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlib  # noqa: E402

EXIT_FAILURE = 1   # an output could not be written
FIXTURE = os.path.join(ctlib.REPO, "tests", "fixtures", "export")
OUTPUT_NAMES = ("report.txt", ".run.json.tmp", "run.json", "stacks.json", "timeline.bin",
                "trace.json", "report.html", "oncpu.svg", "offcpu.svg", "oncpu.folded",
                "offcpu.folded", "profile.pb.gz")


def nobody():
    try:
        pw = pwd.getpwnam("nobody")
    except KeyError:
        return None
    return pw.pw_uid, pw.pw_gid


class AsUser(unittest.TestCase):
    """A root-owned place (rootdir, with a root-only file in it) beside a home of nobody's."""

    def setUp(self):
        if os.geteuid() != 0:
            ctlib.skip_loudly(self, "needs root (conctrace's privileged writes are the subject)")
        ids = nobody()
        if not ids:
            ctlib.skip_loudly(self, "no 'nobody' user to act as the invoking user")
        self.uid, self.gid = ids
        self.tmp = tempfile.mkdtemp(prefix="conctrace-safety-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        os.chmod(self.tmp, 0o755)
        self.home = os.path.join(self.tmp, "home")
        os.mkdir(self.home)
        os.chown(self.home, self.uid, self.gid)
        self.rootdir = os.path.join(self.tmp, "rootdir")
        os.mkdir(self.rootdir, 0o755)
        self.victim = os.path.join(self.rootdir, "victim")
        with open(self.victim, "w") as f:
            f.write("root's own\n")
        os.chmod(self.victim, 0o600)

    def env(self, extra=None):
        e = ctlib.clean_env({"SUDO_UID": str(self.uid), "SUDO_GID": str(self.gid),
                             "SUDO_USER": "nobody"})
        e.update(extra or {})
        return e

    def as_user(self, fn):
        """Run fn in a child that is the user (the attacker's own actions)."""
        pid = os.fork()
        if pid == 0:
            try:
                os.setgroups([])
                os.setgid(self.gid)
                os.setuid(self.uid)
                fn()
                os._exit(0)
            except BaseException:
                os._exit(1)
        _, st = os.waitpid(pid, 0)
        self.assertEqual(st, 0, "the user's own setup failed")

    def conctrace(self, args, cwd=None, env=None, timeout=120):
        return subprocess.run([ctlib.CONCTRACE] + args, cwd=cwd or self.home,
                              env=env or self.env(), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout)

    def assert_root_place_untouched(self):
        st = os.lstat(self.victim)
        self.assertEqual((st.st_uid, st.st_gid), (0, 0), "the root-owned file was chowned")
        with open(self.victim) as f:
            self.assertEqual(f.read(), "root's own\n", "the root-owned file was written")
        self.assertEqual(sorted(os.listdir(self.rootdir)), ["victim"],
                         "something was created in the root-owned directory")
        st = os.stat(self.rootdir)
        self.assertEqual((st.st_uid, st.st_gid), (0, 0))

    def owned_by_user(self, top):
        for d, dirs, files in os.walk(top):
            for name in [d] + [os.path.join(d, x) for x in dirs + files]:
                st = os.lstat(name)
                self.assertEqual((st.st_uid, st.st_gid), (self.uid, self.gid),
                                 "%s is not the user's" % name)


class Refusals(AsUser):
    """Refused before anything is loaded or run: no BPF needed."""

    def test_planted_output_names_are_refused(self):
        # every output name a symlink to a root-owned file, in a directory of the user's:
        # the old code wrote the report through it and chowned the target to the user
        out = os.path.join(self.home, "o1")

        def plant():
            os.mkdir(out)
            for name in OUTPUT_NAMES:
                os.symlink(self.victim, os.path.join(out, name))
        self.as_user(plant)
        p = self.conctrace(["record", "-q", "-o", out, "--", "/bin/true"])
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)
        self.assertIn("not empty", p.stderr)
        self.assertIn("--force", p.stderr)
        self.assert_root_place_untouched()

    def test_planted_case_output_log_is_refused(self):
        # a case's output.log (the workload's stdout) planted as a symlink
        out = os.path.join(self.home, "o2")
        spec = os.path.join(self.home, "spec.yaml")

        def plant():
            with open(spec, "w") as f:
                f.write("name: s\nworkloads:\n  - name: w\n    models:\n"
                        "      m: {command: [/bin/true]}\n")
            os.makedirs(os.path.join(out, "cases", "001-w-m-r1"))
            os.symlink(self.victim, os.path.join(out, "cases", "001-w-m-r1", "output.log"))
        self.as_user(plant)
        p = self.conctrace(["run", "-q", "-o", out, spec])
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)
        self.assertIn("not empty", p.stderr)
        self.assert_root_place_untouched()

    def test_output_through_a_symlink_to_a_root_directory(self):
        # -o ~/link-to-/etc/dir/x, and -o ~/link-to-/etc/dir itself
        link = os.path.join(self.home, "link")
        self.as_user(lambda: os.symlink(self.rootdir, link))
        for out in (os.path.join(link, "x"), link, os.path.join(link, "a", "b")):
            with self.subTest(out=out):
                p = self.conctrace(["record", "-q", "-o", out, "--", "/bin/true"])
                self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)
                self.assertTrue("Permission denied" in p.stderr or "symbolic link" in p.stderr,
                                p.stderr)
                self.assert_root_place_untouched()

    def test_default_conctrace_out_symlinked_to_a_root_directory(self):
        # ~/conctrace-out -> /etc/dir, no -o
        self.as_user(lambda: os.symlink(self.rootdir, os.path.join(self.home, "conctrace-out")))
        p = self.conctrace(["record", "-q", "--", "/bin/true"])
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)
        self.assertIn("checked as user nobody", p.stderr)
        self.assert_root_place_untouched()

    def test_no_user_directories_where_the_user_cannot_write(self):
        # -o /etc/x/newdir/sub: the old code made newdir and sub there, owned by the user
        p = self.conctrace(["record", "-q", "-o", os.path.join(self.rootdir, "newdir", "sub"),
                            "--", "/bin/true"])
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)
        self.assertIn("Permission denied", p.stderr)
        self.assert_root_place_untouched()
        # an existing, empty, root-owned directory named by -o is not written into either
        empty = os.path.join(self.tmp, "empty-root-dir")
        os.mkdir(empty)
        p = self.conctrace(["record", "-q", "-o", empty, "--", "/bin/true"])
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)
        self.assertEqual(os.listdir(empty), [])

    def test_output_that_is_a_file_is_refused_before_running(self):
        # the old code ran the workload, then lost everything
        marker = os.path.join(self.home, "ran")
        target = os.path.join(self.home, "afile")
        self.as_user(lambda: open(target, "w").close())
        p = self.conctrace(["record", "-q", "-o", target, "--", "/usr/bin/touch", marker])
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)
        self.assertIn("not a directory", p.stderr)
        self.assertFalse(os.path.exists(marker), "the command ran")

    def test_bad_sudo_ids_are_refused(self):
        marker = os.path.join(self.tmp, "ran")
        cases = [("4294967295", None), ("-1", None), ("abc", None), ("", None), (" 1", None),
                 ("+1", None), ("0x10", None), ("99999999999", None), ("4294967296", None),
                 ("65533.0", None), (str(self.uid), "abc"), (str(self.uid), "-1"),
                 (str(self.uid), "4294967295")]
        unused = next(u for u in range(59999, 50000, -1) if not _uid_exists(u))
        cases.append((str(unused), None))
        for uid, gid in cases:
            with self.subTest(SUDO_UID=uid, SUDO_GID=gid):
                env = ctlib.clean_env({"SUDO_UID": uid})
                if gid is not None:
                    env["SUDO_GID"] = gid
                p = self.conctrace(["record", "-q", "-o", os.path.join(self.tmp, "run"), "--",
                                    "/usr/bin/touch", marker], env=env)
                self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)
                self.assertIn("SUDO_GID" if gid is not None else "SUDO_UID", p.stderr)
                self.assertFalse(os.path.exists(marker), "the command ran")
                self.assertFalse(os.path.exists(os.path.join(self.tmp, "run")))
                p = self.conctrace(["run", "-n", os.path.join(ctlib.REPO, "workloads",
                                                              "python-models.yaml")], env=env)
                self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)

    def test_spec_is_read_as_the_user(self):
        # a root-only file as the spec: not read, and not one line of it in the error
        secret = os.path.join(self.rootdir, "secret.yaml")
        with open(secret, "w") as f:
            f.write("name: x\nthe-secret-line: hunter2\n")
        os.chmod(secret, 0o600)
        p = self.conctrace(["run", "-n", secret])
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)
        self.assertIn("Permission denied", p.stderr)
        self.assertNotIn("hunter2", p.stderr + p.stdout)
        self.assertNotIn("the-secret-line", p.stderr + p.stdout)
        # the same spec readable by the user is read (and its unknown key named)
        os.chmod(secret, 0o644)
        os.chmod(self.rootdir, 0o755)
        p = self.conctrace(["run", "-n", secret])
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)
        self.assertIn("the-secret-line", p.stderr)


def _inotify_creates(path):
    """A function that blocks until something is created in path (inotify, via ctypes)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init()
    IN_CREATE = 0x100
    if fd < 0 or libc.inotify_add_watch(fd, path.encode(), IN_CREATE) < 0:
        raise OSError(ctypes.get_errno(), "inotify")
    return lambda: os.read(fd, 4096)


def _uid_exists(uid):
    try:
        pwd.getpwuid(uid)
        return True
    except KeyError:
        return False


class Report(AsUser):
    """report and diff on a run directory the user wrote: no BPF needed (the fixture run)."""

    def fixture_run(self, name="run", edit=None, stacks_edit=None):
        run = os.path.join(self.home, name)
        shutil.copytree(FIXTURE, run)
        with open(os.path.join(run, "run.json")) as f:
            doc = json.load(f)
        if edit:
            edit(doc)
        with open(os.path.join(run, "run.json"), "w") as f:
            json.dump(doc, f)
        if stacks_edit:
            with open(os.path.join(run, "stacks.json")) as f:
                st = json.load(f)
            stacks_edit(st)
            with open(os.path.join(run, "stacks.json"), "w") as f:
                json.dump(st, f)
        for d, dirs, files in os.walk(run):
            for x in [d] + [os.path.join(d, y) for y in files]:
                os.chown(x, self.uid, self.gid)
        return run

    def test_case_dir_outside_the_run_is_refused(self):
        hostile = os.path.relpath(self.rootdir, os.path.join(self.home, "run"))
        self.assertTrue(hostile.startswith(".."))

        def edit(doc):
            doc["cases"][0]["dir"] = hostile
        run = self.fixture_run(edit=edit)
        for fmt in ("perfetto", "pprof", "oncpu-svg", "html", "text"):
            for env in (self.env(), ctlib.clean_env()):   # under sudo, and as plain root
                with self.subTest(format=fmt, sudo="SUDO_UID" in env):
                    p = self.conctrace(["report", "--format", fmt, run], env=env)
                    self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)
                    self.assertIn("not a directory inside the run", p.stderr)
                    self.assert_root_place_untouched()
        for d in ("/etc", "cases/../../x", "cases//x", ""):
            with self.subTest(dir=d):
                def edit2(doc, d=d):
                    doc["cases"][0]["dir"] = d
                shutil.rmtree(run)
                run = self.fixture_run(edit=edit2)
                p = self.conctrace(["report", "--format", "perfetto", run])
                self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)

    def test_case_dir_symlinked_out_of_the_run_is_not_written(self):
        def edit(doc):
            doc["cases"][0]["dir"] = "cases/001"
            doc["cases"].append(dict(doc["cases"][0], dir="cases/002"))
        run = self.fixture_run(edit=edit)

        def plant():
            os.mkdir(os.path.join(run, "cases"))
            os.symlink(self.rootdir, os.path.join(run, "cases", "001"))
            os.mkdir(os.path.join(run, "cases", "002"))
        self.as_user(plant)
        for env in (self.env(), ctlib.clean_env()):
            p = self.conctrace(["report", "--format", "perfetto", run], env=env)
            self.assertEqual(p.returncode, EXIT_FAILURE, p.stderr)
            self.assertIn("cases/001", p.stderr)
            self.assert_root_place_untouched()
            self.assertTrue(os.path.exists(os.path.join(run, "cases", "002", "trace.json")))

    def test_report_output_file_through_a_symlink(self):
        run = self.fixture_run()
        link = os.path.join(self.home, "out.json")
        self.as_user(lambda: os.symlink(self.victim, link))
        for env in (self.env(), ctlib.clean_env()):
            p = self.conctrace(["report", "--format", "perfetto", "-o", link, run], env=env)
            self.assertEqual(p.returncode, EXIT_FAILURE, p.stderr)
            self.assertIn("symbolic link", p.stderr)
            self.assert_root_place_untouched()
        # under sudo the new file is the user's
        p = self.conctrace(["report", "--format", "perfetto", "-o",
                            os.path.join(self.home, "t.json.gz"), run])
        self.assertEqual(p.returncode, 0, p.stderr)
        st = os.stat(os.path.join(self.home, "t.json.gz"))
        self.assertEqual((st.st_uid, st.st_gid), (self.uid, self.gid))
        with gzip.open(os.path.join(self.home, "t.json.gz"), "rt") as f:
            self.assertTrue(json.load(f)["traceEvents"])

    def test_html_escapes_hostile_names(self):
        evil = "<script>alert(1)</script>"
        # a run of kind "run" (the comparison, with each workload's kind), and a hostile kind
        for kind in ("run", "k" + evil):
            with self.subTest(kind=kind):
                self.hostile_html(evil, kind)

    def hostile_html(self, evil, kind):
        def edit(doc):
            doc["name"] = "n" + evil
            doc["kind"] = kind
            doc["machine"] = {"kernel": "kern" + evil, "cpus_online": 2}
            c = doc["cases"][0]
            c["workload"] = "w" + evil
            c["model"] = "m" + evil
            c["kind"] = "kind" + evil
            c["command"] = ["c" + evil, "\"quoted' \x01"]
            for t in c["threads"]:
                t["comm"] = "comm" + evil
            doc["cases"].append(dict(c, model="other" + evil + "\xff"))
            # a case without a workload shows its command
            doc["cases"].append({k: v for k, v in c.items() if k != "workload"})

        def stacks_edit(st):
            st["frames"] = ["fn" + evil + str(i) for i in range(len(st["frames"]))]
        shutil.rmtree(os.path.join(self.home, "run"), True)
        run = self.fixture_run(edit=edit, stacks_edit=stacks_edit)
        out = os.path.join(self.home, "r.html")
        if os.path.exists(out):
            os.unlink(out)
        p = self.conctrace(["report", "--format", "html", "-o", out, run])
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(out, encoding="utf-8") as f:
            html = f.read()
        # the page's own script tags only; every hostile one arrives as text
        self.assertFalse(evil in html, "a hostile <script> reached report.html as markup")
        self.assertFalse("<script>alert" in html)
        fields = ["n", "kern", "w", "m", "c", "comm", "fn"]
        fields += ["kind"] if kind == "run" else ["k"]
        for what in fields:
            with self.subTest(field=what):
                self.assertTrue(what + "&lt;script&gt;alert(1)&lt;/script&gt;" in html,
                                "%s not in report.html, escaped" % what)
        self.assertFalse("\x01" in html)
        p = self.conctrace(["report", "--format", "oncpu-svg", run])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("<script>alert", p.stdout)


class Recording(AsUser):
    """Successful runs under sudo: need BPF."""

    def setUp(self):
        super().setUp()
        ctlib.require_bpf(self)

    def test_run_directory_and_files_belong_to_the_user(self):
        out = os.path.join(self.home, "a", "b", "run")
        p = self.conctrace(["record", "-q", "-o", out, "--", "/bin/true"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.owned_by_user(os.path.join(self.home, "a"))
        self.assertTrue(os.path.exists(os.path.join(out, "run.json")))
        # again: refused, nothing changed; with --force the old one is kept as DIR.old
        before = os.stat(os.path.join(out, "run.json")).st_mtime_ns
        p = self.conctrace(["record", "-q", "-o", out, "--", "/bin/true"])
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE, p.stderr)
        self.assertEqual(os.stat(os.path.join(out, "run.json")).st_mtime_ns, before)
        for _ in range(2):
            p = self.conctrace(["record", "-q", "--force", "-o", out, "--", "/bin/true"])
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn(out + ".old", p.stderr)
            self.assertTrue(os.path.exists(os.path.join(out + ".old", "run.json")))
            self.assertTrue(os.path.exists(os.path.join(out, "run.json")))
        self.owned_by_user(os.path.join(self.home, "a"))

    def test_workload_planting_symlinks_during_the_run(self):
        # the traced command runs as the user and plants every output name (and the case's
        # other files) as symlinks to a root-owned file before conctrace writes them
        out = os.path.join(self.home, "run")
        script = "; ".join("ln -s %s %s/%s" % (self.victim, out, n) for n in OUTPUT_NAMES
                           if n != "timeline.bin")
        p = self.conctrace(["record", "-q", "-o", out, "--", "/bin/sh", "-c", script])
        self.assertEqual(p.returncode, EXIT_FAILURE, p.stderr)
        self.assertIn("report.txt", p.stderr)
        self.assert_root_place_untouched()

    def test_predictable_default_names_are_not_reused(self):
        # the next seconds' conctrace-out/record-TIMESTAMP names, pre-created by the user as
        # symlinks to a root-owned directory and as empty directories
        base = os.path.join(self.home, "conctrace-out")
        now = time.time()
        names = [time.strftime("record-%Y%m%d-%H%M%S", time.localtime(now + i))
                 for i in range(0, 8)]

        def plant():
            os.mkdir(base)
            for i, n in enumerate(names):
                if i % 2:
                    os.mkdir(os.path.join(base, n))
                else:
                    os.symlink(self.rootdir, os.path.join(base, n))
                os.symlink(self.rootdir, os.path.join(base, n + "-2"))
        self.as_user(plant)
        p = self.conctrace(["record", "--", "/bin/true"])
        self.assertEqual(p.returncode, 0, p.stderr)
        made = [l.split(": ", 1)[1] for l in p.stdout.splitlines()
                if l.startswith("run directory: ")]
        self.assertEqual(len(made), 1, p.stdout)
        name = os.path.basename(made[0])
        self.assertNotIn(name, names)
        self.assertTrue(name.endswith("-3"), name)
        self.assertTrue(os.path.exists(os.path.join(base, name, "run.json")))
        for n in names[1::2]:
            self.assertEqual(os.listdir(os.path.join(base, n)), [], n)
        self.assert_root_place_untouched()

    def test_mkdir_symlink_race(self):
        # the user swaps the run directory conctrace has just created for a symlink to a
        # root-owned directory, woken by inotify the moment it appears (the old mkdir, then
        # chown by path, lost this within a few tries); the unit test test_outdir repeats a
        # blind swap 400 times against the module, here the real binary a few dozen times
        out = os.path.join(self.home, "race")
        aside = os.path.join(self.home, "aside")
        pid = os.fork()
        if pid == 0:
            try:
                watch = _inotify_creates(self.home)
                os.setgroups([])
                os.setgid(self.gid)
                os.setuid(self.uid)
                while True:
                    watch()
                    try:
                        os.rename(out, aside)
                        os.symlink(self.rootdir, out)
                    except OSError:
                        pass
                    time.sleep(0.05)
                    try:
                        os.unlink(out)
                    except OSError:
                        pass
                    shutil.rmtree(aside, True)
            except BaseException as e:
                sys.stderr.write("the racing user failed: %r\n" % e)
            os._exit(1)
        tries, ok = 30, 0
        time.sleep(0.2)
        self.assertEqual(os.waitpid(pid, os.WNOHANG), (0, 0), "the racing user died")
        try:
            for _ in range(tries):
                p = self.conctrace(["record", "-q", "--no-stacks", "--no-timeline", "-o", out,
                                    "--", "/bin/true"])
                self.assertIn(p.returncode, (0, 1, 2), p.stderr)
                ok += p.returncode == 0
                self.assert_root_place_untouched()
            self.assertEqual(os.waitpid(pid, os.WNOHANG), (0, 0), "the racing user died")
        finally:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        print("\n  race: %d of %d records completed, the rest refused; the root-owned "
              "directory untouched" % (ok, tries))


if __name__ == "__main__":
    unittest.main()
