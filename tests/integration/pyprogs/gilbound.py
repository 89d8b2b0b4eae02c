"""Two threads that need the GIL all the time; the process names itself so that an
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
threads = [threading.Thread(target=work, args=(n,)) for _ in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
