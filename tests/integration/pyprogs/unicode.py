"""Functions whose names need each of CPython's non-ASCII str kinds, in a file whose name is
not ASCII and is longer than conctrace keeps (its tail is kept). Each spins for 0.4 s of CPU
time (not wall time: on a busy machine each still gets its ~200 samples at 499 Hz).
The source text is ASCII: the names are written as escapes and compiled at run time."""
import time

DIR = "/srv/" + "r\u00e9pertoire/" * 16          # a long path: only its tail is kept
FILE = DIR + "donn\u00e9es_\u03bb.py"              # "donnees_lambda.py", UCS-2
NAMES = ["gr\u00f6\u00dfe",                        # latin-1
         "\u8a08\u7b97",                           # UCS-2
         "\U00020000x"]                            # UCS-4
src = "".join("def %s(end):\n    while __import__('time').thread_time() < end:\n"
              "        pass\n" % n for n in NAMES)
ns = {}
exec(compile(src, FILE, "exec"), ns)
for n in NAMES:
    ns[n](time.thread_time() + 0.4)
