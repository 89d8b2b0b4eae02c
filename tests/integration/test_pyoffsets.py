"""CPython support checked against the interpreters themselves (docs/python.md):

- every entry of the per-version offset tables in user/pyinfo.c against gdb's answer on the
  pyenv builds' libpython (they carry debug info);
- 3.13's _Py_DebugOffsets as read from the ELF file against gdb and the table;
- the version read from Py_Version, including for an executable named just "python";
- py_line_at() against the interpreter's own line numbers (co_positions / co_lines) for
  every code unit of real code objects.

The C side is build/tests/helpers/pyoffsets (tests/helpers/pyoffsets.c, linked with
libconctrace.a). Each interpreter that is absent makes its test skip with the reason."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctlib  # noqa: E402

PYENV = "/root/.pyenv/versions"
PYENV_VERSIONS = {10: "3.10.13", 11: "3.11.7", 12: "3.12.1", 13: "3.13.0"}
DEBIAN_PY = "/usr/bin/python3.11"
NONE = 0xFFFF  # CT_PY_NONE: the field does not exist in that version

# Table key -> C expression whose value gdb prints, per minor version. off(T, f) is
# offsetof(T, f); "const:" entries are values rather than offsets.
GIL = "struct _gil_runtime_state"
COMMON_GIL = {
    "gil_holder": f"off({GIL}, last_holder)",
    "gil_locked": f"off({GIL}, locked)",
    "gil_switch_number": f"off({GIL}, switch_number)",
    "gil_cond": f"off({GIL}, cond)",
    "gil_mutex": f"off({GIL}, mutex)",
    "gil_switch_cond": f"off({GIL}, switch_cond)",
    "gil_switch_mutex": f"off({GIL}, switch_mutex)",
    "gil_size": f"sizeof({GIL})",
}
# Object headers, in every row of the table (passed to the BPF walker as data).
OBJ_HEADERS = {
    "ob_type": "off(PyObject, ob_type)",
    "bytes_size": "off(PyBytesObject, ob_base.ob_size)",
    "bytes_sval": "off(PyBytesObject, ob_sval)",
    "str_length": "off(PyASCIIObject, length)",
    "str_state": "off(PyASCIIObject, state)",
}
# Table entries that are the same constant in every GIL build before 3.13.
ROW_CONSTS = {"frame_tlbc": NONE, "exec_tag_mask": 0}
# What the walker's tables assume (user/pyinfo.c): not in the table, the same everywhere.
HARDCODED = {
    "ob_type": ("off(PyObject, ob_type)", 0x8),
    "bytes_ob_size": ("off(PyBytesObject, ob_base.ob_size)", 0x10),
    "bytes_ob_sval": ("off(PyBytesObject, ob_sval)", 0x20),
    "str_length": ("off(PyASCIIObject, length)", 0x10),
    "str_state": ("off(PyASCIIObject, state)", 0x20),
    # the walker follows interpreters.main, found as interpreters.head + 8 (user/pyinfo.c)
    "interp_main_after_head": ("(long)&((_PyRuntimeState*)0)->interpreters.main - "
                               "(long)&((_PyRuntimeState*)0)->interpreters.head", 8),
}

EXPECT = {
    10: {
        "interp_head": "off(_PyRuntimeState, interpreters.head)",
        "gil": "off(_PyRuntimeState, ceval.gil)",
        "interp_tstate_head": "off(PyInterpreterState, tstate_head)",
        "tstate_next": "off(PyThreadState, next)",
        "tstate_id": "off(PyThreadState, thread_id)",
        "tstate_frame": "off(PyThreadState, frame)",
        "frame_code": "off(PyFrameObject, f_code)",
        "frame_back": "off(PyFrameObject, f_back)",
        "frame_instr": "off(PyFrameObject, f_lasti)",
        "code_filename": "off(PyCodeObject, co_filename)",
        "code_name": "off(PyCodeObject, co_name)",
        "code_firstlineno": "off(PyCodeObject, co_firstlineno)",
        "code_linetable": "off(PyCodeObject, co_linetable)",
        "str_ascii": "sizeof(PyASCIIObject)",
        "str_compact": "sizeof(PyCompactUnicodeObject)",
        "const:id_is_pthread": 1, "const:owner_skip": 0,
        "const:cframe_frame": NONE, "const:frame_owner": NONE, "const:code_adaptive": NONE,
        "const:main_interp": 0,
    },
    11: {
        "interp_head": "off(_PyRuntimeState, interpreters.head)",
        "gil": "off(_PyRuntimeState, ceval.gil)",
        "interp_tstate_head": "off(PyInterpreterState, threads.head)",
        "tstate_next": "off(PyThreadState, next)",
        "tstate_id": "off(PyThreadState, native_thread_id)",
        "tstate_frame": "off(PyThreadState, cframe)",
        "cframe_frame": "off(_PyCFrame, current_frame)",
        "frame_code": "off(_PyInterpreterFrame, f_code)",
        "frame_back": "off(_PyInterpreterFrame, previous)",
        "frame_instr": "off(_PyInterpreterFrame, prev_instr)",
        "code_filename": "off(PyCodeObject, co_filename)",
        "code_name": "off(PyCodeObject, co_qualname)",
        "code_firstlineno": "off(PyCodeObject, co_firstlineno)",
        "code_linetable": "off(PyCodeObject, co_linetable)",
        "code_adaptive": "off(PyCodeObject, co_code_adaptive)",
        "str_ascii": "sizeof(PyASCIIObject)",
        "str_compact": "sizeof(PyCompactUnicodeObject)",
        "const:id_is_pthread": 0, "const:frame_owner": NONE, "const:main_interp": 0,
        "const:owner_skip": 0,
    },
    12: {
        "interp_head": "off(_PyRuntimeState, interpreters.head)",
        "main_interp": "off(_PyRuntimeState, _main_interpreter)",
        "gil": "off(_PyRuntimeState, _main_interpreter._gil)",
        "interp_tstate_head": "off(PyInterpreterState, threads.head)",
        "tstate_next": "off(PyThreadState, next)",
        "tstate_id": "off(PyThreadState, native_thread_id)",
        "tstate_frame": "off(PyThreadState, cframe)",
        "cframe_frame": "off(_PyCFrame, current_frame)",
        "frame_code": "off(_PyInterpreterFrame, f_code)",
        "frame_back": "off(_PyInterpreterFrame, previous)",
        "frame_instr": "off(_PyInterpreterFrame, prev_instr)",
        "frame_owner": "off(_PyInterpreterFrame, owner)",
        "owner_skip": "(long)FRAME_OWNED_BY_CSTACK",
        "code_filename": "off(PyCodeObject, co_filename)",
        "code_name": "off(PyCodeObject, co_qualname)",
        "code_firstlineno": "off(PyCodeObject, co_firstlineno)",
        "code_linetable": "off(PyCodeObject, co_linetable)",
        "code_adaptive": "off(PyCodeObject, co_code_adaptive)",
        "str_ascii": "sizeof(PyASCIIObject)",
        "str_compact": "sizeof(PyCompactUnicodeObject)",
        "const:id_is_pthread": 0,
    },
    13: {
        "interp_head": "off(_PyRuntimeState, interpreters.head)",
        "main_interp": "off(_PyRuntimeState, _main_interpreter)",
        "gil": "off(_PyRuntimeState, _main_interpreter._gil)",
        "interp_tstate_head": "off(PyInterpreterState, threads.head)",
        "tstate_next": "off(PyThreadState, next)",
        "tstate_id": "off(PyThreadState, native_thread_id)",
        "tstate_frame": "off(PyThreadState, current_frame)",
        "frame_code": "off(_PyInterpreterFrame, f_executable)",
        "frame_back": "off(_PyInterpreterFrame, previous)",
        "frame_instr": "off(_PyInterpreterFrame, instr_ptr)",
        "frame_owner": "off(_PyInterpreterFrame, owner)",
        "owner_skip": "(long)FRAME_OWNED_BY_CSTACK",
        "code_filename": "off(PyCodeObject, co_filename)",
        "code_name": "off(PyCodeObject, co_qualname)",
        "code_firstlineno": "off(PyCodeObject, co_firstlineno)",
        "code_linetable": "off(PyCodeObject, co_linetable)",
        "code_adaptive": "off(PyCodeObject, co_code_adaptive)",
        "str_ascii": "sizeof(PyASCIIObject)",
        "str_compact": "sizeof(PyCompactUnicodeObject)",
        "const:id_is_pthread": 0, "const:cframe_frame": NONE,
    },
}

# 3.13: pyinfo_debug field -> (gdb expression of the same thing, table key or None)
DEBUG_13 = {
    "runtime_interp_head": ("off(_PyRuntimeState, interpreters.head)", "interp_head"),
    "interp_threads_head": ("off(PyInterpreterState, threads.head)", "interp_tstate_head"),
    "interp_gil": ("off(PyInterpreterState, _gil)", None),
    "interp_gil_locked": ("off(PyInterpreterState, _gil.locked)", None),
    "interp_gil_holder": ("off(PyInterpreterState, _gil.last_holder)", None),
    "tstate_next": ("off(PyThreadState, next)", "tstate_next"),
    "tstate_current_frame": ("off(PyThreadState, current_frame)", "tstate_frame"),
    "tstate_native_thread_id": ("off(PyThreadState, native_thread_id)", "tstate_id"),
    "frame_previous": ("off(_PyInterpreterFrame, previous)", "frame_back"),
    "frame_executable": ("off(_PyInterpreterFrame, f_executable)", "frame_code"),
    "frame_instr_ptr": ("off(_PyInterpreterFrame, instr_ptr)", "frame_instr"),
    "frame_owner": ("off(_PyInterpreterFrame, owner)", "frame_owner"),
    "code_filename": ("off(PyCodeObject, co_filename)", "code_filename"),
    "code_qualname": ("off(PyCodeObject, co_qualname)", "code_name"),
    "code_linetable": ("off(PyCodeObject, co_linetable)", "code_linetable"),
    "code_firstlineno": ("off(PyCodeObject, co_firstlineno)", "code_firstlineno"),
    "code_adaptive": ("off(PyCodeObject, co_code_adaptive)", "code_adaptive"),
    "ob_type": ("off(PyObject, ob_type)", None),
    "bytes_ob_size": ("off(PyBytesObject, ob_base.ob_size)", None),
    "bytes_ob_sval": ("off(PyBytesObject, ob_sval)", None),
    "str_state": ("off(PyASCIIObject, state)", None),
    "str_length": ("off(PyASCIIObject, length)", None),
    "str_ascii": ("sizeof(PyASCIIObject)", "str_ascii"),
    "version": ("(long)Py_Version", None),
}


def pyoffsets(*args, stdin=None):
    exe = ctlib.helper("pyoffsets")
    if not os.access(exe, os.X_OK):
        raise AssertionError("%s is not built (make all)" % exe)
    p = subprocess.run([exe, *args], input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("pyoffsets %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                              p.stderr))
    return json.loads(p.stdout)


def libpython(minor):
    v = PYENV_VERSIONS[minor]
    return os.path.join(PYENV, v, "lib", "libpython3.%d.so.1.0" % minor)


def pyenv_python(minor):
    return os.path.join(PYENV, PYENV_VERSIONS[minor], "bin", "python3.%d" % minor)


def gdb_values(lib, exprs):
    """{key: integer} for {key: C expression}, evaluated by gdb on lib's debug info."""
    args = ["gdb", "-nx", "-batch"]
    for key, e in exprs.items():
        if e.startswith("off("):
            t, f = e[4:-1].split(", ", 1)
            e = "(long)&((%s*)0)->%s" % (t, f)
        args += ["-ex", "echo @@%s=\\n" % key, "-ex", "print/d %s" % e]
    p = subprocess.run(args + [lib], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    out, key = {}, None
    for line in p.stdout.splitlines():
        if line.startswith("@@"):
            key = line[2:-1]
        elif key and line.startswith("$"):
            out[key] = int(line.split("=", 1)[1].split()[-1])
            key = None
    missing = [k for k in exprs if k not in out]
    if missing:
        raise AssertionError("gdb gave no value for %s on %s: %s" % (missing, lib,
                                                                      p.stderr[-2000:]))
    return out


def need_gdb(test):
    if not shutil.which("gdb"):
        test.skipTest("gdb is not installed: the offsets cannot be checked")


def need_pyenv(test, minor):
    lib = libpython(minor)
    if not os.path.exists(lib):
        test.skipTest("CPython %s is not installed (%s)" % (PYENV_VERSIONS[minor], lib))
    return lib


class TableVsGdb(unittest.TestCase):
    """Every entry of the offset tables for a minor version equals gdb's answer."""

    def check_minor(self, minor):
        need_gdb(self)
        lib = need_pyenv(self, minor)
        table = pyoffsets("table")
        self.assertIn(str(minor), table, "no table for 3.%d" % minor)
        row = table[str(minor)]
        exprs = {k: e for k, e in EXPECT[minor].items() if not k.startswith("const:")}
        exprs.update(COMMON_GIL)
        exprs.update(OBJ_HEADERS)
        exprs.update({"hc:" + k: e for k, (e, _) in HARDCODED.items()})
        got = gdb_values(lib, exprs)
        checked = 0
        for key, want in sorted(got.items()):
            if key.startswith("hc:"):
                self.assertEqual(want, HARDCODED[key[3:]][1],
                                 "3.%d %s: gdb %#x, the BPF walker hard-codes %#x"
                                 % (minor, key[3:], want, HARDCODED[key[3:]][1]))
            else:
                self.assertEqual(row[key], want, "3.%d %s: table %#x, gdb %#x"
                                 % (minor, key, row[key], want))
            checked += 1
        for key, want in EXPECT[minor].items():
            if key.startswith("const:"):
                self.assertEqual(row[key[6:]], want, "3.%d %s" % (minor, key[6:]))
                checked += 1
        for key, want in ROW_CONSTS.items():
            self.assertEqual(row[key], want, "3.%d %s" % (minor, key))
            checked += 1
        # the GIL is the main interpreter's _gil (3.12+), embedded in _PyRuntime
        if minor >= 12:
            self.assertEqual(row["gil"], got["main_interp"] + gdb_values(
                lib, {"g": "off(PyInterpreterState, _gil)"})["g"])
        # every numeric field of the row was looked at
        self.assertEqual(set(row) - set(got) - set(ROW_CONSTS) -
                         {k[6:] for k in EXPECT[minor] if k.startswith("const:")}, set())
        print("3.%d: %d table entries equal gdb's" % (minor, checked), file=sys.stderr)

    def test_310(self):
        self.check_minor(10)

    def test_311(self):
        self.check_minor(11)

    def test_312(self):
        self.check_minor(12)

    def test_313_has_no_table(self):
        """From 3.13 on the offsets come from the build itself (DebugOffsets below)."""
        self.assertNotIn("13", pyoffsets("table"))

    def test_pthread_t_310(self):
        """3.10 matches threads by thread_id, which must be a pthread_t (== fs base)."""
        need_gdb(self)
        lib = need_pyenv(self, 10)
        p = subprocess.run(["gdb", "-nx", "-batch", "-ex", "whatis ((PyThreadState*)0)->thread_id",
                            lib], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertIn("unsigned long", p.stdout)


class DebugOffsets(unittest.TestCase):
    """3.13's _Py_DebugOffsets read from the ELF file: equal to gdb and to the table."""

    def test_313_elf(self):
        need_gdb(self)
        lib = need_pyenv(self, 13)
        el = pyoffsets("elf", lib)
        self.assertEqual(el["rc"], 0)
        self.assertEqual(el["debug_rc"], 0, "no _Py_DebugOffsets read from %s" % lib)
        dbg = el["debug"]
        got = gdb_values(lib, {k: e for k, (e, _) in DEBUG_13.items()})
        for key, want in got.items():
            self.assertEqual(dbg[key], want, "debug offset %s: ELF %#x, gdb %#x"
                             % (key, dbg[key], want))
        # where the parser reads them: gdb's layout of the struct itself
        layout = gdb_values(lib, {
            "size": "sizeof(_Py_DebugOffsets)",
            "qual": "off(_Py_DebugOffsets, code_object.qualname)",
            "ascii": "off(_Py_DebugOffsets, unicode_object.asciiobject_size)",
        })
        self.assertEqual(layout, {"size": 73 * 8, "qual": 37 * 8, "ascii": 70 * 8})
        # the walker's offsets derived from them equal gdb's answer for each field
        self.assertEqual(el["walk_rc"], 0, el.get("walk_why"))
        exprs = {k: e for k, e in EXPECT[13].items()
                 if not k.startswith("const:") and k in el["walk"]}
        for key, want in gdb_values(lib, exprs).items():
            self.assertEqual(el["walk"][key], want, "3.13 %s: from ELF %#x, gdb %#x"
                             % (key, el["walk"][key], want))
        for key, want in EXPECT[13].items():
            if key.startswith("const:"):
                self.assertEqual(el["walk"][key[6:]], want, key)
        g = gdb_values(lib, {"gil": "off(PyInterpreterState, _gil)"})
        self.assertEqual(el["gil_in_interp"], g["gil"])

    def test_older_have_none(self):
        """Before 3.13 there is no cookie: the table is used."""
        found = 0
        for minor in (10, 11, 12):
            lib = libpython(minor)
            if not os.path.exists(lib):
                continue
            found += 1
            el = pyoffsets("elf", lib)
            self.assertEqual(el["rc"], 0)
            self.assertEqual(el["debug_rc"], -2, "3.%d: ENOENT expected" % minor)
        if not found:
            self.skipTest("none of CPython 3.10-3.12 is installed under %s" % PYENV)


def start_python(exe, env=None):
    """Start exe on a script that sleeps; wait until its runtime is initialised."""
    p = subprocess.Popen([exe, "-c", "import sys, time; print('up', flush=True); "
                          "time.sleep(60)"], stdout=subprocess.PIPE, text=True, env=env)
    line = p.stdout.readline()
    p.stdout.close()
    if line.strip() != "up":
        p.kill()
        raise AssertionError("%s did not start" % exe)
    return p


class Version(unittest.TestCase):
    """The version comes from Py_Version (3.11+), so "python" alone is recognised."""

    def test_py_version_each(self):
        found = 0
        for minor in (11, 12, 13):
            lib = libpython(minor)
            if not os.path.exists(lib):
                continue
            found += 1
            el = pyoffsets("elf", lib)
            out = subprocess.run([pyenv_python(minor), "-c", "import sys; print(sys.hexversion)"],
                                 stdout=subprocess.PIPE, text=True, check=True).stdout
            self.assertEqual(el["py_version"], int(out))
            self.assertEqual(el["version"], "3.%d" % minor)
        if os.path.exists(DEBIAN_PY):
            found += 1
            el = pyoffsets("elf", DEBIAN_PY)
            out = subprocess.run([DEBIAN_PY, "-c", "import sys; print(sys.hexversion)"],
                                 stdout=subprocess.PIPE, text=True, check=True).stdout
            self.assertEqual(el["py_version"], int(out))
            self.assertEqual(el["version"], "3.11")
        if not found:
            self.skipTest("no CPython 3.11+ installed (pyenv or %s)" % DEBIAN_PY)
        if os.path.exists(libpython(10)):
            self.assertEqual(pyoffsets("elf", libpython(10))["py_version"], 0)

    def detect_copy(self, src, want, env=None):
        tmp = tempfile.mkdtemp(prefix="conctrace-py-")
        try:
            exe = os.path.join(tmp, "python")
            shutil.copy2(src, exe)
            p = start_python(exe, env)
            try:
                d = pyoffsets("detect", str(p.pid))
            finally:
                p.kill()
                p.wait()
            self.assertEqual(d["rc"], 0, d)
            self.assertEqual(d["version"], want)
            self.assertEqual(d["frames"], 1)
            return d
        finally:
            shutil.rmtree(tmp)

    def test_debian_copy_named_python(self):
        if not os.path.exists(DEBIAN_PY):
            self.skipTest("%s is not installed" % DEBIAN_PY)
        d = self.detect_copy(DEBIAN_PY, "3.11")
        self.assertTrue(d["object"].endswith("/python"), d["object"])

    def test_pyenv_copies_named_python(self):
        found = 0
        for minor in (11, 12, 13):
            if not os.path.exists(pyenv_python(minor)):
                continue
            found += 1
            # the stub finds libpython through its rpath ($ORIGIN-relative or absolute)
            env = dict(os.environ, LD_LIBRARY_PATH=os.path.dirname(libpython(minor)))
            d = self.detect_copy(pyenv_python(minor), "3.%d" % minor, env)
            self.assertIn("libpython3.%d" % minor, d["object"])
            self.assertEqual(d["from_debug"], 1 if minor >= 13 else 0)
            if minor >= 13:
                # placed from the running interpreter: where gdb says its _gil is
                self.assertEqual(d["gil_pending"], 0, d)
                if shutil.which("gdb"):
                    g = gdb_values(libpython(minor), {
                        "gil": "off(_PyRuntimeState, _main_interpreter._gil)",
                        "head": "off(_PyRuntimeState, interpreters.head)"})
                    self.assertEqual(d["gil"] - d["runtime"], g["gil"])
                    self.assertEqual(d["interp_head"] - d["runtime"], g["head"] + 8)
                continue
            table = pyoffsets("table")[str(minor)]
            self.assertEqual(d["gil"] - d["runtime"], table["gil"])
            # the walker's start: interpreters.main, just after interpreters.head
            self.assertEqual(d["interp_head"] - d["runtime"], table["interp_head"] + 8)
        if not found:
            self.skipTest("no pyenv CPython 3.11+ installed under %s" % PYENV)


# Run by each interpreter: line numbers per code unit for a set of code objects.
DUMP = r'''
import json, sys, types, threading, typing
minor = sys.version_info[1]

def loops(n):
    total = 0
    for i in range(n):
        j = 0
        while j < i:
            if (i * j) % 3 == 0:
                total += (i +
                          j *
                          2)
            else:
                total -= 1
            j += 1
    try:
        x = [k for k in range(n)
             if k % 2]
    except (ValueError,
            TypeError) as e:
        raise RuntimeError(
            "bad",
        ) from e
    finally:
        total += len(x)
    return {
        "a": total,
        "b": sum(
            x
        ),
    }

body = ["def long_fn(n):", "    t = 0"]
for i in range(160):
    if i % 9 == 0:
        body += ["    if t > %d:" % i, "        t -= %d" % i]
    elif i % 13 == 0:
        body += [""] * 300 + ["    t = t * 2  # after 300 blank lines"]
    elif i % 17 == 0:
        body += ["    for q in range(2):", "        t += q"]
    else:
        body += ["    t += n * %d" % i]
body += ["    return t", ""]
ns = {}
exec(compile("\n".join(body), "<long>", "exec"), ns)

def code_objects(co, out):
    out.append(co)
    for c in co.co_consts:
        if isinstance(c, types.CodeType):
            code_objects(c, out)
    return out

cos = [loops.__code__, ns["long_fn"].__code__]
for mod in (threading, typing):
    with open(mod.__file__) as f:
        code_objects(compile(f.read(), mod.__file__, "exec"), cos)

res = []
for co in cos:
    n = len(co.co_code) // 2
    if minor >= 11:
        lines = [p[0] for p in co.co_positions()]
    else:
        lines = [None] * n
        for start, end, line in co.co_lines():
            for k in range(start // 2, end // 2):
                lines[k] = line
    assert len(lines) == n, (co, len(lines), n)
    res.append({"name": "%s:%s:%d" % (co.co_filename, co.co_name, co.co_firstlineno),
                "minor": minor, "firstlineno": co.co_firstlineno,
                "linetable": co.co_linetable.hex(), "lines": lines})
json.dump(res, sys.stdout)
'''


class LineTables(unittest.TestCase):
    """py_line_at() equals the interpreter's own line for every code unit."""

    def check(self, exe, minor, prefix=()):
        out = subprocess.run([*prefix, exe, "-c", DUMP], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr[-2000:])
        cos = json.loads(out.stdout)
        self.assertGreater(len(cos), 100)
        res = pyoffsets("lines", stdin=json.dumps(cos))
        bad = [r for r in res if r["mismatches"]]
        units = sum(r["checked"] for r in res)
        self.assertEqual(len(bad), 0, "%s: %d of %d code objects disagree, e.g. %s"
                         % (exe, len(bad), len(res), bad[:3]))
        # a table cut at 2048 bytes (what BPF copies) gives the right line or none, never a
        # wrong one
        cut = [dict(co, linetable=co["linetable"][:2 * 2048], cut=True)
               for co in cos if len(co["linetable"]) > 2 * 2048]
        if cut:
            res_cut = pyoffsets("lines", stdin=json.dumps(cut))
            bad = [r for r in res_cut if r["mismatches"]]
            self.assertEqual(len(bad), 0, "%s: a table cut at 2048 bytes gave wrong lines: %s"
                             % (exe, bad[:3]))
        print("%s: %d code objects, %d code units, %d cut tables"
              % (exe, len(cos), units, len(cut)), file=sys.stderr)

    def test_pyenv(self):
        found = 0
        for minor in sorted(PYENV_VERSIONS):
            exe = pyenv_python(minor)
            if not os.path.exists(exe):
                continue
            found += 1
            with self.subTest(version=PYENV_VERSIONS[minor]):
                self.check(exe, minor)
        if not found:
            self.skipTest("no pyenv CPython 3.10-3.13 installed under %s" % PYENV)

    def test_debian(self):
        if not os.path.exists(DEBIAN_PY):
            self.skipTest("%s is not installed" % DEBIAN_PY)
        self.check(DEBIAN_PY, 11)

    def test_debian_chroots(self):
        """Debian's 3.13 and 3.14 (tools/pychroots): the location table read the same way."""
        cache = os.environ.get("CONCTRACE_PY_CACHE", "/var/cache/conctrace-py")
        found = 0
        for minor in (13, 14):
            root = os.path.join(cache, "py3%d" % minor)
            exe = "python3.%d" % minor
            if os.geteuid() != 0 or not os.access(os.path.join(root, "usr/bin", exe), os.X_OK):
                continue
            found += 1
            with self.subTest(version="3.%d" % minor):
                self.check(exe, minor, prefix=("chroot", root))
        if not found:
            self.skipTest("no CPython 3.13/3.14 chroot under %s (tools/pychroots builds them; "
                          "running them needs root)" % cache)


if __name__ == "__main__":
    unittest.main()
