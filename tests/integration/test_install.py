"""`make install` into a staging directory: the FHS tree, an installed binary that finds
its harness, C baseline and shipped specs from any directory (`conctrace run quick`),
`make uninstall`, and the man pages rendering without a warning."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlib  # noqa: E402

PREFIX = "/usr/local"
MANPAGES = sorted(glob.glob(os.path.join(ctlib.REPO, "man", "*.[0-9]")))


def make_install(destdir, target="install"):
    return subprocess.run(["make", "-s", "-C", ctlib.REPO, "BUILD=" + ctlib.BUILD,
                           "PREFIX=" + PREFIX, "DESTDIR=" + destdir, target],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=600)


def files_under(root):
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, fs in os.walk(root) for f in fs)


class Install(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="conctrace-install-")
        cls.dest = os.path.join(cls.tmp, "dest")
        cls.make = make_install(cls.dest)
        cls.root = cls.dest + PREFIX
        cls.exe = os.path.join(cls.root, "bin", "conctrace")
        # run from a directory that has neither workloads/ nor build/
        cls.cwd = os.path.join(cls.tmp, "elsewhere")
        os.mkdir(cls.cwd)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def conctrace(self, *args, timeout=120):
        return subprocess.run([self.exe] + list(args), cwd=self.cwd, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=ctlib.clean_env(), timeout=timeout)

    def test_fhs_tree(self):
        self.assertEqual(self.make.returncode, 0, self.make.stdout)
        files = set(files_under(self.root))
        expect = {"bin/conctrace", "libexec/conctrace/cbase",
                  "share/conctrace/workloads/python/harness.py",
                  "share/conctrace/workloads/python/calls.py",
                  "share/conctrace/workloads/quick.yaml",
                  "share/conctrace/workloads/python-models.yaml",
                  "share/conctrace/workloads/c-vs-python.yaml",
                  "share/man/man1/conctrace.1", "share/man/man1/conctrace-run.1",
                  "share/man/man1/conctrace-record.1", "share/man/man1/conctrace-report.1",
                  "share/man/man1/conctrace-diff.1", "share/man/man5/conctrace-spec.5",
                  "share/bash-completion/completions/conctrace",
                  "share/zsh/site-functions/_conctrace",
                  "share/doc/conctrace/README.md", "share/doc/conctrace/spec.md"}
        self.assertEqual(expect - files, set(), "missing from the installed tree")
        for f in ("bin/conctrace", "libexec/conctrace/cbase"):
            self.assertTrue(os.access(os.path.join(self.root, f), os.X_OK), f)

    def test_dry_run_uses_installed_files_from_anywhere(self):
        p = self.conctrace("run", "--dry-run", "quick")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(os.path.join(self.root, "share/conctrace/workloads/python/harness.py"),
                      p.stdout)
        self.assertIn(os.path.join(self.root, "libexec/conctrace/cbase"), p.stdout)
        self.assertNotIn(ctlib.REPO + "/", p.stdout, "the installed binary used the source tree")
        # a name that is neither a file nor a shipped spec names both places
        p = self.conctrace("run", "--dry-run", "no-such-spec")
        self.assertEqual(p.returncode, ctlib.EXIT_USAGE)
        self.assertIn("no-such-spec", p.stderr)
        self.assertIn(os.path.join(self.root, "share/conctrace/workloads"), p.stderr)

    def test_run_quick_from_installed_files(self):
        ctlib.require_bpf(self)
        out = os.path.join(self.tmp, "run")
        # every reference program once: the Python harness and the C baseline
        p = self.conctrace("run", "-q", "-o", out, "--only", "cpu,c-cpu", "--models",
                           "sequential,threading,c-pthreads", "quick", timeout=300)
        self.assertEqual(p.returncode, 0, p.stderr)
        run = ctlib.load_json(os.path.join(out, "run.json"))
        self.assertEqual(sorted((c["workload"], c["model"]) for c in run["cases"]),
                         [("c-cpu", "c-pthreads"), ("cpu", "sequential"), ("cpu", "threading")])
        for c in run["cases"]:
            self.assertEqual(c["status"]["exit_code"], 0, c["status"])
            self.assertGreater(c["totals"]["on_cpu_ns"], 0, c["model"])
        self.assertEqual(run["spec"]["path"],
                         os.path.join(self.root, "share/conctrace/workloads/quick.yaml"))

    def test_uninstall_removes_everything(self):
        dest = os.path.join(self.tmp, "dest2")
        self.assertEqual(make_install(dest).returncode, 0)
        p = make_install(dest, "uninstall")
        self.assertEqual(p.returncode, 0, p.stdout)
        self.assertEqual([f for f in files_under(dest)], [])


class ManPages(unittest.TestCase):
    def test_every_page_renders_without_warnings(self):
        if not shutil.which("man") or not shutil.which("groff"):
            ctlib.skip_loudly(self, "man or groff is not installed (tools/install-deps "
                              "installs man-db and groff-base)")
        self.assertEqual(len(MANPAGES), 6, MANPAGES)
        env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
        for page in MANPAGES:
            p = subprocess.run(["man", "--warnings", "-l", page], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env, timeout=60)
            self.assertEqual(p.returncode, 0, page)
            self.assertEqual(p.stderr, "", page)
            self.assertIn("NAME", p.stdout)
            wide = [line for line in p.stdout.splitlines() if len(line) > 80]
            self.assertEqual(wide, [], "%s: lines wider than 80 columns" % page)


if __name__ == "__main__":
    unittest.main()
