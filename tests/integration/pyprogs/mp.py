"""A process pool (start method from argv: fork or spawn) whose workers run crunch()."""
import multiprocessing
import sys


def crunch(n):
    x = 0
    for i in range(n):  # LINE:crunch-loop
        x += i * i
    return x


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1] if len(sys.argv) > 1 else "fork")
    with ctx.Pool(2) as pool:
        print(sum(pool.map(crunch, [3_000_000] * 8)))
