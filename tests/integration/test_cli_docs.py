"""The command line, its documents and its completion agree (bpftool's
test_bpftool_synctypes.py is the model): the commands, each command's options and the exit
statuses that `conctrace --help` and `conctrace CMD --help` print are exactly those of the
man pages and of the bash completion, and all of them appear in the README. Everything is
read from the real --help, so an option added to a command must be documented to pass."""

import glob
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlib  # noqa: E402

MAN = os.path.join(ctlib.REPO, "man")
COMPLETION = os.path.join(ctlib.REPO, "completion", "conctrace.bash")
README = os.path.join(ctlib.REPO, "README.md")
# a help line that defines an option: "  -o, --output DIR  ..." or "      --only LIST ..."
OPT_LINE = re.compile(r"^  (?:(-[A-Za-z]), |    )(--[a-z][a-z0-9-]*)")


def conctrace(*args):
    p = subprocess.run([ctlib.CONCTRACE] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=30)
    return p.returncode, p.stdout


def section(text, title):
    """The lines of an indented section that starts with a line `title` (a help text's
    `Commands:`, a rendered man page's `OPTIONS`), up to the next unindented line."""
    lines, inside = [], False
    for line in text.splitlines():
        if line.rstrip() == title:
            inside = True
            continue
        if inside and line and not line[0].isspace():
            break
        if inside:
            lines.append(line)
    return lines


def help_options(text):
    opts = set()
    for line in text.splitlines():
        m = OPT_LINE.match(line)
        if m:
            opts.update(o for o in m.groups() if o)
    return opts


def help_commands():
    _, out = conctrace("--help")
    return [line.split()[0] for line in section(out, "Commands:") if line.strip()]


def help_statuses():
    _, out = conctrace("--help")
    return {int(line.split()[0]) for line in section(out, "Exit status:") if line.strip()}


def render_man(page):
    env = dict(os.environ, MANWIDTH="200", LC_ALL="C.UTF-8")
    p = subprocess.run(["man", "-l", page], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, env=env, timeout=60)
    return p.stdout.replace("\u2212", "-").replace("\u2010", "-")


def man_tags(page, title):
    """The tags of a rendered man page's .TP list in section `title` (7 spaces in)."""
    return [line.strip() for line in section(render_man(page), title)
            if re.match(r"^       \S", line)]


def man_options(page):
    opts = set()
    for tag in man_tags(page, "OPTIONS"):
        opts.update(re.findall(r"(?<![\w-])(--?[A-Za-z][a-z0-9-]*)", tag.split("  ")[0]))
    return opts


def bash_complete(*words):
    """COMPREPLY of the bash completion for `conctrace WORDS...` (the last word is the one
    being completed), with ./build's conctrace first on PATH."""
    script = ('. "$1"; shift; COMP_WORDS=("$@"); '
              'COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _conctrace; '
              'printf "%s\\n" "${COMPREPLY[@]}"')
    env = dict(os.environ, PATH=os.path.dirname(ctlib.CONCTRACE) + ":" + os.environ["PATH"])
    p = subprocess.run(["bash", "-c", script, "bash", COMPLETION, "conctrace"] + list(words),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                       timeout=60)
    return set(p.stdout.split())


ZSH_COMPLETION = os.path.join(ctlib.REPO, "completion", "_conctrace")
# zsh's completion builtins replaced by ones that print what they were given, so that
# _conctrace's logic runs without an interactive shell
ZSH_STUBS = r"""
_call_program() { shift; "$@"; }
compadd() { if [[ $1 == -a ]]; then print -l -- ${(P)2}; else print -l -- ${@[-1]}; fi }
_describe() { print -l -- ${(P)${@[-1]}%%:*}; }
_files() { print FILES; }
_directories() { print DIRS; }
_pids() { print PIDS; }
_normal() { print "NORMAL:${words[1]}"; }
words=("${(@)argv[2,-1]}")
CURRENT=${#words}
PREFIX=${words[-1]}
source "$1"
"""


def zsh_complete(*words):
    env = dict(os.environ, PATH=os.path.dirname(ctlib.CONCTRACE) + ":" + os.environ["PATH"])
    p = subprocess.run(["zsh", "-f", "-c", ZSH_STUBS, "zsh", ZSH_COMPLETION, "conctrace"] +
                       list(words), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       env=env, timeout=60)
    return set(p.stdout.split())


COMMANDS_WITH_OPTIONS = ("run", "record", "report", "diff")


class HelpText(unittest.TestCase):
    def test_help_cmd_is_cmd_help_and_fits_80_columns(self):
        rc, top = conctrace("--help")
        self.assertEqual(rc, 0)
        self.assertEqual(conctrace("help"), (0, top))
        texts = {"--help": top}
        for cmd in COMMANDS_WITH_OPTIONS:
            rc, out = conctrace(cmd, "--help")
            self.assertEqual(rc, 0, cmd)
            self.assertEqual(conctrace("help", cmd), (0, out), "help %s differs" % cmd)
            texts[cmd] = out
        for name, text in texts.items():
            wide = [line for line in text.splitlines() if len(line) > 80]
            self.assertEqual(wide, [], "%s --help: lines wider than 80 columns" % name)

    def test_sample_hz_has_perfs_short_option(self):
        for cmd in ("run", "record"):
            self.assertIn("-F", help_options(conctrace(cmd, "--help")[1]), cmd)


class Colour(unittest.TestCase):
    """Colour only on a terminal, with TERM other than dumb, and without NO_COLOR."""

    def report_on_a_tty(self, env):
        import pty
        run = os.path.join(ctlib.REPO, "tests", "fixtures", "export")
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(ctlib.CONCTRACE, [ctlib.CONCTRACE, "report", run], env)
        out = b""
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        os.waitpid(pid, 0)
        return out

    def test_colour(self):
        base = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
        self.assertIn(b"\033[", self.report_on_a_tty(dict(base, TERM="xterm")))
        self.assertNotIn(b"\033[", self.report_on_a_tty(dict(base, TERM="dumb")))
        self.assertNotIn(b"\033[", self.report_on_a_tty(base))
        self.assertNotIn(b"\033[", self.report_on_a_tty(dict(base, TERM="xterm", NO_COLOR="1")))
        p = subprocess.run([ctlib.CONCTRACE, "report",
                            os.path.join(ctlib.REPO, "tests", "fixtures", "export")],
                           stdout=subprocess.PIPE, env=dict(base, TERM="xterm"), timeout=60)
        self.assertNotIn(b"\033[", p.stdout, "colour into a pipe")


class Errors(unittest.TestCase):
    def test_a_missing_run_is_named_once(self):
        for args in (["report", "/nonexistent-run"], ["diff", "/nonexistent-run", "/x"]):
            p = subprocess.run([ctlib.CONCTRACE] + args, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=30)
            self.assertEqual(p.returncode, ctlib.EXIT_USAGE)
            self.assertEqual(p.stderr.count("/nonexistent-run/run.json"), 1, p.stderr)
            self.assertIn("cannot open: No such file or directory", p.stderr)


class NotMeasured(unittest.TestCase):
    """Every loss counter is explained in report.txt and report.html, and the comparison
    marks the case (a saved run whose counters say that events were lost)."""

    def test_every_counter_has_an_explanation(self):
        with open(os.path.join(ctlib.REPO, "user", "results.c")) as f:
            written = set(re.findall(r'json_object_set_new\(cnt, "(\w+)"', f.read()))
        with open(os.path.join(ctlib.REPO, "user", "counters.c")) as f:
            explained = set(re.findall(r'^\t\{"(\w+)",$', f.read(), re.M))
        self.assertGreater(len(written), 10)
        self.assertEqual(written - explained - {"python_walks"}, set(),
                         "counters of run.json without a line in user/counters.c")

    def test_counters_explained(self):
        import json
        import tempfile
        tmp = tempfile.mkdtemp(prefix="conctrace-counters-")
        self.addCleanup(shutil.rmtree, tmp, True)
        run_dir = os.path.join(tmp, "run")
        shutil.copytree(os.path.join(ctlib.REPO, "tests", "fixtures", "export"), run_dir)
        with open(os.path.join(run_dir, "run.json")) as f:
            run = json.load(f)
        names = ("threads_map_full", "procs_map_full", "locks_map_full", "edges_map_full",
                 "events_dropped", "parallelism_underflow", "stacks_map_full",
                 "timeline_dropped", "missed_switch_in", "stack_walks_failed",
                 "python_no_thread_state", "python_truncated", "python_codes_map_full",
                 "python_stacks_map_full")
        run["cases"][0]["counters"] = dict({n: i + 1 for i, n in enumerate(names)},
                                           python_walks=1000)
        with open(os.path.join(run_dir, "run.json"), "w") as f:
            json.dump(run, f)
        _, text = conctrace("report", run_dir)
        _, html = conctrace("report", "--format", "html", run_dir)
        section_ = text.split("\nNot measured", 1)[1]
        for n in names:
            self.assertRegex(section_, r"\n  %s: %d in 1 case\(s\)\n      \S.*\n(      .*\n)*"
                                       r"      avoid: \S" % (n, names.index(n) + 1), n)
            self.assertTrue(re.search(r"<td[^>]*>%s</td><td class=\"n\">%d</td><td>\w"
                                      % (n, names.index(n) + 1), html), "report.html: " + n)
        self.assertNotIn("python_walks", section_, "work done is not a loss")
        row = [line for line in text.splitlines() if line.startswith("  threading")][0]
        self.assertTrue(row.split()[0].endswith("!"), row)
        self.assertIn("what it affects", html)
        self.assertEqual([line for line in text.splitlines() if len(line) > 100], [])
        # a note on quality (not a map overflow or a drop) is explained but flags nothing
        run["cases"][0]["counters"] = {"stack_walks_failed": 4, "python_walks": 9}
        with open(os.path.join(run_dir, "run.json"), "w") as f:
            json.dump(run, f)
        _, text = conctrace("report", run_dir)
        row = [line for line in text.splitlines() if line.startswith("  threading")][0]
        self.assertFalse(row.split()[0].endswith("!"), row)
        self.assertIn("stack_walks_failed: 4 in 1 case(s)\n      the kernel could not walk", text)
        self.assertNotIn("Not measured: events lost", text)


class ManPages(unittest.TestCase):
    def setUp(self):
        if not shutil.which("man"):
            ctlib.skip_loudly(self, "man is not installed (tools/install-deps installs man-db)")

    def test_commands(self):
        cmds = help_commands()
        self.assertGreaterEqual(len(cmds), 4, cmds)
        tags = [t.split()[0] for t in man_tags(os.path.join(MAN, "conctrace.1"), "COMMANDS")]
        self.assertEqual(sorted(tags), sorted(cmds), "conctrace(1) COMMANDS vs --help")
        for cmd in cmds:
            if cmd in COMMANDS_WITH_OPTIONS:
                self.assertTrue(os.path.exists(os.path.join(MAN, "conctrace-%s.1" % cmd)),
                                "no man page for %s" % cmd)
        pages = {os.path.basename(p) for p in glob.glob(os.path.join(MAN, "conctrace-*.1"))}
        self.assertEqual(pages, {"conctrace-%s.1" % c for c in COMMANDS_WITH_OPTIONS})

    def test_options(self):
        top = help_options(conctrace("--help")[1])
        self.assertEqual(man_options(os.path.join(MAN, "conctrace.1")), top,
                         "conctrace(1) OPTIONS vs conctrace --help")
        for cmd in COMMANDS_WITH_OPTIONS:
            helped = help_options(conctrace(cmd, "--help")[1])
            self.assertIn("--help", helped)
            documented = man_options(os.path.join(MAN, "conctrace-%s.1" % cmd))
            self.assertEqual(helped - documented, set(),
                             "options of `conctrace %s --help` missing from the OPTIONS of "
                             "man/conctrace-%s.1" % (cmd, cmd))
            self.assertEqual(documented - helped, set(),
                             "man/conctrace-%s.1 documents options that `conctrace %s "
                             "--help` does not list" % (cmd, cmd))

    def test_exit_statuses(self):
        tags = man_tags(os.path.join(MAN, "conctrace.1"), "EXIT STATUS")
        self.assertEqual({int(t.split()[0]) for t in tags}, help_statuses())


class Completion(unittest.TestCase):
    def setUp(self):
        if not shutil.which("bash"):
            ctlib.skip_loudly(self, "bash is not installed")

    def test_commands(self):
        self.assertEqual(bash_complete(""), set(help_commands()))

    def test_options(self):
        self.assertEqual(bash_complete("-"), help_options(conctrace("--help")[1]))
        for cmd in COMMANDS_WITH_OPTIONS:
            self.assertEqual(bash_complete(cmd, "-"),
                             help_options(conctrace(cmd, "--help")[1]), cmd)

    def test_formats_models_and_specs(self):
        _, out = conctrace("report", "--help")
        self.assertEqual(bash_complete("report", "--format", ""),
                         {"text", "json", "html", "perfetto", "pprof", "oncpu-folded",
                          "offcpu-folded", "oncpu-svg", "offcpu-svg"})
        for fmt in bash_complete("report", "--format", ""):
            self.assertIn(fmt, out)
        quick = os.path.join(ctlib.REPO, "workloads", "quick.yaml")
        # models and workloads of the spec on the line, from `run --dry-run`
        self.assertEqual(bash_complete("run", quick, "--models", "c-"),
                         {"c-sequential", "c-pthreads"})
        self.assertEqual(bash_complete("run", quick, "--only", "cpu,"),
                         {"cpu,cpu", "cpu,io", "cpu,c-cpu"})
        self.assertEqual(bash_complete("run", "quick", "--models", "mu"), {"multiprocessing"})
        # the shipped specs by name
        shipped = {os.path.basename(p)[:-5]
                   for p in glob.glob(os.path.join(ctlib.REPO, "workloads", "*.yaml"))}
        self.assertTrue(shipped <= bash_complete("run", ""), shipped)
        self.assertEqual(bash_complete("run", "qu"), {"quick"})
        self.assertIn(quick, bash_complete("run", os.path.join(ctlib.REPO, "workloads", "q")))


class ZshCompletion(unittest.TestCase):
    def setUp(self):
        if not shutil.which("zsh"):
            ctlib.skip_loudly(self, "zsh is not installed (tools/install-deps installs it)")

    def test_commands_options_formats_specs(self):
        self.assertEqual(zsh_complete(""), set(help_commands()))
        self.assertEqual(zsh_complete("-"), help_options(conctrace("--help")[1]))
        for cmd in COMMANDS_WITH_OPTIONS:
            self.assertEqual(zsh_complete(cmd, "-"),
                             help_options(conctrace(cmd, "--help")[1]), cmd)
        self.assertEqual(zsh_complete("report", "--format", ""), bash_complete("report",
                                                                              "--format", ""))
        self.assertTrue({"quick", "python-models", "FILES"} <= zsh_complete("run", ""))
        self.assertEqual(zsh_complete("record", "--", "pyth"), {"NORMAL:pyth"})


class Readme(unittest.TestCase):
    def setUp(self):
        with open(README) as f:
            self.readme = f.read()

    def test_commands_and_options(self):
        for cmd in help_commands():
            self.assertTrue(re.search(r"conctrace %s\b" % cmd, self.readme),
                            "README does not show `conctrace %s`" % cmd)
        for cmd in COMMANDS_WITH_OPTIONS:
            for opt in help_options(conctrace(cmd, "--help")[1]):
                if opt.startswith("--"):
                    self.assertTrue(re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(opt),
                                              self.readme),
                                    "README does not mention %s %s" % (cmd, opt))

    def test_exit_statuses(self):
        table = self.readme.split("\n### Exit status\n", 1)[1].split("\n#", 1)[0].splitlines()
        rows = {int(m.group(1)) for m in
                (re.match(r"^\| (\d+) \|", line) for line in table) if m}
        self.assertEqual(rows, help_statuses(), "README's exit status table vs --help")


if __name__ == "__main__":
    unittest.main()
