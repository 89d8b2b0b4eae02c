"""asyncio tasks: two named tasks that compute in turns (crunch() under "crunch-a" and
"crunch-b"), and the unnamed main task (Task-1) that waits for them."""
import asyncio
import time


def crunch(n):
    x = 0
    for i in range(n):  # LINE:crunch-loop
        x += i
    return x


async def worker(tag):
    end = time.thread_time() + 0.5
    while time.thread_time() < end:
        crunch(20000)
        await asyncio.sleep(0)  # LINE:worker-await


async def main():
    a = asyncio.create_task(worker("a"), name="crunch-a")
    b = asyncio.create_task(worker("b"), name="crunch-b")
    await asyncio.gather(a, b)  # LINE:main-gather
    crunch(3000000)  # LINE:main-crunch


asyncio.run(main())
