"""asyncio: a coroutine chain that computes (handler -> parse -> checksum) while the loop is
busy, then an idle loop waiting in its selector."""
import asyncio


def checksum(data):
    total = 0
    for b in data:  # LINE:checksum-loop
        total = (total * 31 + b) & 0xFFFFFFFF
    return total


async def parse(data):
    await asyncio.sleep(0)
    return checksum(data)  # LINE:parse-call


async def handler(rounds):
    data = bytes(range(256)) * 64
    for _ in range(rounds):
        await parse(data)  # LINE:handler-call


async def main():
    await handler(400)
    await asyncio.sleep(1.0)  # LINE:main-idle


asyncio.run(main())
