"""Threads (two, or argv[2]) that need the GIL all the time; the process names itself so that an
independent futex trace can pick its threads."""
import ctypes
import sys
import threading

ctypes.CDLL(None).prctl(15, b"ctgilbound", 0, 0, 0)   # PR_SET_NAME, inherited by threads


def work(n):
    x = 0
    for i in range(n):
        x += i


n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000_000
k = int(sys.argv[2]) if len(sys.argv) > 2 else 2
# named so, 3.14 names the OS threads after them: the futex trace picks them by name
threads = [threading.Thread(target=work, args=(n,), name="ctgilbound") for _ in range(k)]
for t in threads:
    t.start()
for t in threads:
    t.join()
