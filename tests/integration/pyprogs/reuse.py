"""Code objects made and freed one after another, so that a new one often takes the address
of a freed one: each function f_<i> lives in its own file gen_<i>.py and spins for 20 ms."""
import gc
import time

for i in range(40):
    src = ("def f_%d(end):\n"
           "    while __import__('time').monotonic() < end:\n"
           "        pass\n" % i)
    ns = {}
    exec(compile(src, "gen_%d.py" % i, "exec"), ns)
    ns["f_%d" % i](time.monotonic() + 0.02)
    del ns
    gc.collect()
