"""Threads that sleep (the GIL is released while they do); with `hash`, one thread that hashes
a large buffer instead (hashlib releases the GIL for large inputs): on the CPU without the GIL."""
import hashlib
import sys
import threading
import time


def sleeper(period, rounds):
    for _ in range(rounds):
        time.sleep(period)


def hasher(seconds):
    data = b"x" * (8 << 20)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        hashlib.sha256(data).digest()


if sys.argv[1:] == ["hash"]:
    threads = [threading.Thread(target=hasher, args=(1.0,))]
else:
    threads = [threading.Thread(target=sleeper, args=(p, int(1.0 / p)))
               for p in (0.031, 0.047, 0.059)]
for t in threads:
    t.start()
for t in threads:
    t.join()
