"""Functions for the function-workload tests: what a user might hand conctrace."""
import asyncio
import os
import time


def crunch(n, salt=0):
    """Plain, CPU-bound: the same result in every model."""
    x = salt
    for i in range(n):
        x = (x + i * i) % 1000003
    return {"n": n, "x": x, "tags": {"a", "b"}}


async def fetch(ms, tag):
    """An async def that waits, then answers."""
    await asyncio.sleep(ms / 1000)
    return [tag, ms]


def picky(n):
    """Raises on multiples of three."""
    if n % 3 == 0:
        raise ValueError("multiple of three: %d" % n)
    return n * 2


def make_gen(n):
    """Returns a generator: fine in a thread, cannot be pickled back from a process."""
    return (i for i in range(n))


def whoami():
    """A result that depends on the process: the same in threads, not across processes."""
    return os.getpid()


def forever():
    while True:
        time.sleep(1)


NOT_CALLABLE = 42
