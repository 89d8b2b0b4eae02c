"""Functions for the function-workload tests: what a user might hand conctrace."""
import asyncio
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


_calls = 0


def counted():
    """How many calls this process has made: processes share nothing, so each starts at 1."""
    global _calls
    _calls += 1
    return _calls


def forever():
    while True:
        time.sleep(1)


NOT_CALLABLE = 42
