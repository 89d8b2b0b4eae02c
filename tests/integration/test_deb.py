"""The Debian package: `dpkg-buildpackage -us -uc -b` on a copy of the source builds a .deb
whose dependencies are Debian's shared libraries (shlibs:Depends), lintian finds no error
in it, and its files, unpacked with `dpkg -x` into a directory, resolve their libraries
(ldd) and run the quick spec from there. Building takes one to two minutes on 2 busy cores
(17 s of CPU; 55 to 110 s here); it runs with the default build's tests only."""

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

LIBS = ("libbpf1", "libelf1", "libyaml-0-2", "libjansson4", "libprotobuf-c1", "zlib1g")
SONAMES = ("libbpf.so.1", "libelf.so.1", "libyaml-0.so.2", "libjansson.so.4",
           "libprotobuf-c.so.1", "libz.so.1")


def sh(argv, cwd=None, timeout=900, env=None):
    return subprocess.run(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout, env=env)


def copy_source(dst):
    """The files git tracks (what a fresh clone has), else the tree without build output."""
    p = subprocess.run(["git", "-C", ctlib.REPO, "ls-files", "-z", "--cached", "--others",
                        "--exclude-standard"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    if p.returncode == 0 and p.stdout:
        for rel in p.stdout.decode().split("\0"):
            src = os.path.join(ctlib.REPO, rel)
            if rel and os.path.isfile(src) and not os.path.islink(src):
                os.makedirs(os.path.join(dst, os.path.dirname(rel)), exist_ok=True)
                shutil.copy2(src, os.path.join(dst, rel))
    else:
        shutil.copytree(ctlib.REPO, dst, symlinks=True, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("build", "build-*", "conctrace-out",
                                                      ".git", "conctrace"))


class DebianPackage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.skip = None
        if os.path.basename(os.path.normpath(ctlib.BUILD)) != "build":
            cls.skip = ("the package is built once, by the default build's test run (this "
                        "is %s)" % ctlib.BUILD)
            return
        for tool, pkg in (("dpkg-buildpackage", "dpkg-dev"), ("dh", "debhelper")):
            if not shutil.which(tool):
                cls.skip = "%s is not installed (tools/install-deps installs %s)" % (tool, pkg)
                return
        cls.tmp = tempfile.mkdtemp(prefix="conctrace-deb-")
        cls.src = os.path.join(cls.tmp, "conctrace")
        copy_source(cls.src)
        t0 = time.monotonic()
        cls.build = sh(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=cls.src, timeout=1800)
        cls.build_s = time.monotonic() - t0
        print("\n(dpkg-buildpackage took %.0f s)" % cls.build_s)
        debs = [f for f in os.listdir(cls.tmp) if re.match(r"conctrace_.*\.deb$", f)]
        cls.deb = os.path.join(cls.tmp, debs[0]) if len(debs) == 1 else None
        cls.root = os.path.join(cls.tmp, "root")
        if cls.deb:
            sh(["dpkg", "-x", cls.deb, cls.root])

    @classmethod
    def tearDownClass(cls):
        if not cls.skip:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        if self.skip:
            ctlib.skip_loudly(self, self.skip)
        self.assertEqual(self.build.returncode, 0, self.build.stdout[-4000:])
        self.assertIsNotNone(self.deb, os.listdir(self.tmp))

    def test_depends_on_debians_libraries(self):
        p = sh(["dpkg-deb", "-f", self.deb, "Depends"])
        deps = {d.strip().split()[0] for d in p.stdout.split(",") if d.strip()}
        self.assertEqual(set(LIBS) - deps, set(), p.stdout)

    def test_lintian_finds_no_error(self):
        if not shutil.which("lintian"):
            ctlib.skip_loudly(self, "lintian is not installed (tools/install-deps installs it)")
        p = sh(["lintian", self.deb])
        errors = [line for line in p.stdout.splitlines() if line.startswith("E:")]
        self.assertEqual(errors, [], p.stdout)

    def test_unpacked_tree_resolves_its_libraries(self):
        for exe in ("usr/bin/conctrace", "usr/libexec/conctrace/cbase"):
            path = os.path.join(self.root, exe)
            self.assertTrue(os.access(path, os.X_OK), exe)
            p = sh(["ldd", path])
            self.assertEqual(p.returncode, 0, p.stdout)
            self.assertNotIn("not found", p.stdout, exe)
        p = sh(["ldd", os.path.join(self.root, "usr/bin/conctrace")])
        for so in SONAMES:
            self.assertRegex(p.stdout, r"\b%s => /" % re.escape(so))
        for f in ("usr/share/conctrace/workloads/quick.yaml",
                  "usr/share/conctrace/workloads/python/harness.py",
                  "usr/share/man/man1/conctrace-run.1.gz", "usr/share/man/man5/conctrace-spec.5.gz",
                  "usr/share/bash-completion/completions/conctrace",
                  "usr/share/zsh/vendor-completions/_conctrace",
                  "usr/share/doc/conctrace/copyright", "usr/share/doc/conctrace/spec.md.gz"):
            self.assertTrue(os.path.isfile(os.path.join(self.root, f)), f)
        if shutil.which("man"):
            env = dict(os.environ, MANWIDTH="80")
            man1 = os.path.join(self.root, "usr/share/man/man1")
            for page in sorted(os.listdir(man1)):
                p = subprocess.run(["man", "--warnings", "-l", os.path.join(man1, page)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   text=True, env=env, timeout=60)
                self.assertEqual(p.stderr, "", page)

    def test_quick_spec_runs_from_the_unpacked_files(self):
        ctlib.require_bpf(self)
        exe = os.path.join(self.root, "usr/bin/conctrace")
        cwd = os.path.join(self.tmp, "elsewhere")
        os.makedirs(cwd, exist_ok=True)
        out = os.path.join(self.tmp, "quick")
        p = subprocess.run([exe, "run", "-q", "-o", out, "quick"], cwd=cwd,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, env=ctlib.clean_env(),
                           timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr)
        run = ctlib.load_json(os.path.join(out, "run.json"))
        self.assertEqual(run["spec"]["path"],
                         os.path.join(self.root, "usr/share/conctrace/workloads/quick.yaml"))
        self.assertEqual(len(run["cases"]), 9)
        for c in run["cases"]:
            self.assertEqual(c["status"]["exit_code"], 0, (c["model"], c["status"]))
            self.assertGreater(c["totals"]["on_cpu_ns"], 0, c["model"])
            # the harness (Python models) or cbase (C models) of the unpacked tree
            self.assertTrue(any(a.startswith(self.root + "/usr/") for a in c["command"]),
                            c["command"])


if __name__ == "__main__":
    unittest.main()
