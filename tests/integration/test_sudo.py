"""Under sudo, a python (or a command) that sudo's secure_path resolves to another program
than the invoking user's own PATH (an activated virtualenv) is named, with both paths and
how to run the other; nothing is said when both resolve alike. sudo reads the user's PATH
from the sudo process's own environment, so the test runs conctrace through sudo as root."""

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlib  # noqa: E402


class SudoPython(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0:
            ctlib.skip_loudly(self, "needs root to run conctrace through sudo")
        if not shutil.which("sudo"):
            ctlib.skip_loudly(self, "sudo is not installed (tools/install-deps installs it)")
        self.tmp = tempfile.mkdtemp(prefix="conctrace-sudo-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        # a "virtualenv": its python3 is another interpreter than /usr/bin/python3
        self.venv = os.path.join(self.tmp, "venv")
        os.makedirs(os.path.join(self.venv, "bin"))
        self.py = os.path.join(self.venv, "bin", "python3")
        with open(self.py, "w") as f:
            f.write("#!/bin/sh\nexec /usr/bin/python3 \"$@\"\n")
        os.chmod(self.py, 0o755)

    def sudo(self, args, path):
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUDO_")}
        env.update(PATH=path, VIRTUAL_ENV=self.venv)
        return subprocess.run(["sudo", ctlib.CONCTRACE] + args, cwd=self.tmp, env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=120)

    def test_spec_python_of_a_virtualenv(self):
        spec = os.path.join(ctlib.REPO, "workloads", "quick.yaml")
        p = self.sudo(["run", "--dry-run", spec], "%s:/usr/bin:/bin" % os.path.dirname(self.py))
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = [line for line in p.stderr.splitlines() if "under sudo" in line]
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn("the spec's python 'python3' runs /usr/bin/python3 (sudo's PATH)", lines[0])
        self.assertIn("in your own PATH it is %s, of the virtualenv %s" % (self.py, self.venv),
                      lines[0])
        self.assertIn('sudo env "PATH=$PATH"', lines[0])

    def test_command_of_a_virtualenv(self):
        p = self.sudo(["record", "-q", "-o", os.path.join(self.tmp, "out"), "--", "python3",
                       "-c", "pass"], "%s:/usr/bin:/bin" % os.path.dirname(self.py))
        self.assertIn("under sudo, the command 'python3' runs /usr/bin/python3", p.stderr)
        self.assertIn("conctrace record -- /path/to/it", p.stderr)

    def test_same_python_says_nothing(self):
        spec = os.path.join(ctlib.REPO, "workloads", "quick.yaml")
        p = self.sudo(["run", "--dry-run", spec], "/usr/bin:/bin")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn("under sudo", p.stderr)


if __name__ == "__main__":
    unittest.main()
