#!/usr/bin/env python3
"""The reference workloads of conctrace: one harness, so that the concurrency model is the
only thing that changes between cases. Standard library only (CPython 3.10-3.13).

  harness.py --kind KIND --model MODEL --tasks N [--size N] [--requests N]
             [--latency-us N] [--work N] [--iterations N]
  harness.py --function MODULE:CALLABLE --model MODEL --tasks N --calls N
             [--args JSON-LIST | --task-args JSON-LIST-OF-LISTS] [--pythonpath DIRS] [--probe]

Kinds (every model does the same total work):
  cpu     pure-Python integer arithmetic, `size` units split over `tasks`
  io      `requests` loopback TCP request/response round trips to a delay server started
          here (it answers each request after `latency-us`); the client waits on the socket
  mixed   io, plus a CPU slice of `work` units after each response
  lock    `iterations` increments of one shared counter under the model's lock
  convoy  one CPU-bound task (`size` units) beside one I/O-bound task doing `requests`
          requests; the I/O task's response times are what is measured
  race    `iterations` updates of one shared counter, each a read, `work` units of CPU
          work, then a write of the value read plus one, without a lock (threading-lock
          and multiprocessing-value: with one); reports the updates lost
Models: sequential, threading, multiprocessing, asyncio, thread-pool, process-pool
(concurrent.futures; for asyncio-style io the pools are driven with blocking sockets).

--function runs the user's function in a model of calls.py (which also lists the models and
their start methods); its fd-3 line adds calls, errors, first_error, first_traceback,
results_digest and result_sample, and on failure "error" (the harness then exits 1).
--probe only imports the function: {"ok": true, "async": BOOL} or {"error": WHY} on fd 3.

When file descriptor 3 is open, one JSON line goes there at the end: kind, model, tasks,
ops, elapsed_s, ops_per_s, and where they apply latency_p50_ms / latency_p99_ms /
latency_max_ms (per request) and loop_lag_p99_ms / loop_lag_max_ms (asyncio).
"""
import argparse
import asyncio
import concurrent.futures as cf
import json
import multiprocessing as mp
import os
import selectors
import signal
import socket
import sys
import threading
import time

MODELS = ("sequential", "threading", "multiprocessing", "asyncio", "thread-pool", "process-pool",
          "threading-lock", "multiprocessing-value")
KINDS = ("cpu", "io", "mixed", "lock", "convoy", "race")
RACE_ONLY = ("threading-lock", "multiprocessing-value")
REQ = b"x" * 64
RESP = b"y" * 64


def spin(units):
    """Pure-Python CPU work: `units` iterations of integer arithmetic."""
    x = 0
    for i in range(units):
        x = (x + i * i) % 1000003
    return x


def split(total, parts):
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def percentile(values, q):
    if not values:
        return 0.0
    v = sorted(values)
    k = max(0, min(len(v) - 1, int(round(q * (len(v) - 1)))))
    return v[k]


# ---------------------------------------------------------------- the delay server

def serve(sock, latency_s, stop_r):
    """Answer each 64-byte request after latency_s, many connections at once (one thread,
    a selector and a timer heap), until stop_r becomes readable."""
    import heapq
    sel = selectors.DefaultSelector()
    sock.setblocking(False)
    sel.register(sock, selectors.EVENT_READ, "listen")
    sel.register(stop_r, selectors.EVENT_READ, "stop")
    pending = []          # (due, seq, conn)
    buffers = {}
    seq = 0
    while True:
        timeout = None
        if pending:
            timeout = max(0.0, pending[0][0] - time.monotonic())
        for key, _ in sel.select(timeout):
            if key.data == "stop":
                return
            if key.data == "listen":
                try:
                    conn, _ = sock.accept()
                except BlockingIOError:
                    continue
                conn.setblocking(False)
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                buffers[conn] = b""
                sel.register(conn, selectors.EVENT_READ, "conn")
                continue
            conn = key.fileobj
            try:
                data = conn.recv(4096)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                sel.unregister(conn)
                buffers.pop(conn, None)
                conn.close()
                continue
            buf = buffers[conn] + data
            while len(buf) >= len(REQ):
                buf = buf[len(REQ):]
                seq += 1
                heapq.heappush(pending, (time.monotonic() + latency_s, seq, conn))
            buffers[conn] = buf
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, conn = heapq.heappop(pending)
            if conn in buffers:
                try:
                    conn.sendall(RESP)
                except OSError:
                    pass


def start_server(latency_s):
    """The server runs in its own process, started before the timed part."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    stop_r, stop_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(stop_w)
            try:
                os.close(3)        # the report fd is the harness's, not the server's
            except OSError:
                pass
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            serve(sock, latency_s, stop_r)
        finally:
            os._exit(0)
    port = sock.getsockname()[1]
    sock.close()
    os.close(stop_r)
    return port, pid, stop_w


def stop_server(server):
    if not server:
        return
    _, pid, stop_w = server
    try:
        os.close(stop_w)
    except OSError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def connect(port):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(s, n):
    got = b""
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            raise ConnectionError("server closed the connection")
        got += chunk
    return got


def client_requests(port, count, work=0):
    """`count` blocking request/response round trips on one connection; per-request
    latency in seconds."""
    lat = []
    s = connect(port)
    try:
        for _ in range(count):
            t0 = time.perf_counter()
            s.sendall(REQ)
            recv_exact(s, len(RESP))
            lat.append(time.perf_counter() - t0)
            if work:
                spin(work)
    finally:
        s.close()
    return lat


async def aclient_requests(port, count, work=0):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lat = []
    try:
        for _ in range(count):
            t0 = time.perf_counter()
            writer.write(REQ)
            await writer.drain()
            await reader.readexactly(len(RESP))
            lat.append(time.perf_counter() - t0)
            if work:
                spin(work)
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except OSError:
            pass
    return lat


class LoopLag:
    """Event-loop lag: how late a periodic 10 ms callback runs."""

    def __init__(self, loop, period=0.01):
        self.loop, self.period, self.lags, self.handle = loop, period, [], None
        self.expected = None

    def start(self):
        self.expected = self.loop.time() + self.period
        self.handle = self.loop.call_at(self.expected, self.tick)

    def tick(self):
        now = self.loop.time()
        self.lags.append(max(0.0, now - self.expected))
        self.expected = now + self.period
        self.handle = self.loop.call_at(self.expected, self.tick)

    def stop(self):
        if self.handle:
            self.handle.cancel()


# ---------------------------------------------------------------- the kinds

def run_cpu(model, tasks, size):
    parts = split(size, tasks)
    if model == "sequential":
        spin(size)
    elif model == "threading":
        ts = [threading.Thread(target=spin, args=(p,)) for p in parts]
        [t.start() for t in ts]
        [t.join() for t in ts]
    elif model == "multiprocessing":
        ps = [mp.Process(target=spin, args=(p,)) for p in parts]
        [p.start() for p in ps]
        [p.join() for p in ps]
        check_procs(ps)
    elif model == "asyncio":
        async def one(units):
            spin(units)

        async def main():
            await asyncio.gather(*(one(p) for p in parts))
        asyncio.run(main())
    elif model == "thread-pool":
        with cf.ThreadPoolExecutor(max_workers=tasks) as ex:
            list(ex.map(spin, split(size, tasks * 4)))
    elif model == "process-pool":
        with cf.ProcessPoolExecutor(max_workers=tasks) as ex:
            list(ex.map(spin, split(size, tasks * 4)))
    return size, {}


def latency_figures(lat):
    return {"latency_p50_ms": percentile(lat, 0.50) * 1e3,
            "latency_p99_ms": percentile(lat, 0.99) * 1e3,
            "latency_max_ms": (max(lat) if lat else 0.0) * 1e3}


def proc_requests(port, count, work, q):
    q.put(client_requests(port, count, work))


def run_io(model, tasks, port, requests, work=0):
    parts = split(requests, tasks)
    lat, extra = [], {}
    if model == "sequential":
        lat = client_requests(port, requests, work)
    elif model == "threading":
        out = [None] * tasks

        def worker(i):
            out[i] = client_requests(port, parts[i], work)
        ts = [threading.Thread(target=worker, args=(i,)) for i in range(tasks)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        lat = [x for o in out for x in (o or [])]
    elif model == "multiprocessing":
        q = mp.Queue()
        ps = [mp.Process(target=proc_requests, args=(port, parts[i], work, q)) for i in range(tasks)]
        [p.start() for p in ps]
        for _ in ps:
            lat.extend(q.get())
        [p.join() for p in ps]
        check_procs(ps)
    elif model == "asyncio":
        async def main():
            lag = LoopLag(asyncio.get_running_loop())
            lag.start()
            res = await asyncio.gather(*(aclient_requests(port, p, work) for p in parts))
            lag.stop()
            return res, lag.lags
        res, lags = asyncio.run(main())
        lat = [x for r in res for x in r]
        extra = lag_figures(lags)
    elif model in ("thread-pool", "process-pool"):
        Ex = cf.ThreadPoolExecutor if model == "thread-pool" else cf.ProcessPoolExecutor
        with Ex(max_workers=tasks) as ex:
            chunks = split(requests, tasks * 4)
            for r in ex.map(client_requests, [port] * len(chunks), chunks, [work] * len(chunks)):
                lat.extend(r)
    extra.update(latency_figures(lat))
    return requests, extra


def lag_figures(lags):
    return {"loop_lag_p99_ms": percentile(lags, 0.99) * 1e3,
            "loop_lag_max_ms": (max(lags) if lags else 0.0) * 1e3}


def locked_add(lock, counter, n):
    for _ in range(n):
        with lock:
            counter.value += 1


_shared = None


def pool_init(lock, counter):
    global _shared
    _shared = (lock, counter)


def pool_add(n):
    locked_add(_shared[0], _shared[1], n)


class Box:
    value = 0


def run_lock(model, tasks, iterations):
    parts = split(iterations, tasks)
    if model in ("sequential", "threading", "thread-pool"):
        lock, box = threading.Lock(), Box()
        if model == "sequential":
            locked_add(lock, box, iterations)
        elif model == "threading":
            ts = [threading.Thread(target=locked_add, args=(lock, box, p)) for p in parts]
            [t.start() for t in ts]
            [t.join() for t in ts]
        else:
            with cf.ThreadPoolExecutor(max_workers=tasks) as ex:
                list(ex.map(locked_add, [lock] * tasks, [box] * tasks, parts))
        final = box.value
    elif model == "multiprocessing":
        lock = mp.Lock()
        counter = mp.Value("q", 0, lock=False)
        ps = [mp.Process(target=locked_add, args=(lock, counter, p)) for p in parts]
        [p.start() for p in ps]
        [p.join() for p in ps]
        check_procs(ps)
        final = counter.value
    elif model == "process-pool":
        lock = mp.Lock()
        counter = mp.Value("q", 0, lock=False)
        with cf.ProcessPoolExecutor(max_workers=tasks, initializer=pool_init,
                                    initargs=(lock, counter)) as ex:
            list(ex.map(pool_add, split(iterations, tasks * 4)))
        final = counter.value
    else:  # asyncio: the lock is only contended across awaits
        async def add(lock, box, n):
            for i in range(n):
                async with lock:
                    v = box.value
                    if i % 64 == 0:
                        await asyncio.sleep(0)
                    box.value = v + 1

        async def main():
            lock, box = asyncio.Lock(), Box()
            await asyncio.gather(*(add(lock, box, p) for p in parts))
            return box.value
        final = asyncio.run(main())
    if final != iterations:
        raise RuntimeError("lost updates: counter is %d, expected %d" % (final, iterations))
    return iterations, {}


# ---------------------------------------------------------------- race

class Counter:
    value = 0


def racy_add(box, n, work, lock=None):
    """n read-modify-write updates of box.value with `work` units between the read and the
    write: a thread that loses the CPU (or the GIL) inside that window writes back a stale
    value, and every update made meanwhile by the others is lost. Returns this task's own
    count of updates."""
    done = 0
    for _ in range(n):
        if lock is not None:
            lock.acquire()
        v = box.value
        spin(work)
        box.value = v + 1
        if lock is not None:
            lock.release()
        done += 1
    return done


_counter = Counter()     # the module's own counter: each process has its own copy


def proc_racy_add(n, work, q, value=None):
    """A process's updates: of its own copy of the counter, or of a multiprocessing.Value
    under the Value's lock. Sends back what this process's counter reads at the end."""
    if value is None:
        racy_add(_counter, n, work)
        q.put(_counter.value)
    else:
        racy_add(value, n, work, value.get_lock())
        q.put(value.value)


def pool_racy_add(n, work):
    racy_add(_counter, n, work)
    return os.getpid(), _counter.value


def run_race(model, tasks, iterations, work):
    """The counter as the main task sees it at the end, and what each task saw of its own."""
    parts = split(iterations, tasks)
    box, own = Counter(), []
    if model == "sequential":
        own = [racy_add(box, iterations, work)]
        final = box.value
    elif model in ("threading", "threading-lock"):
        lock = threading.Lock() if model == "threading-lock" else None
        ts = [threading.Thread(target=racy_add, args=(box, p, work, lock)) for p in parts]
        [t.start() for t in ts]
        [t.join() for t in ts]
        final, own = box.value, None
    elif model == "thread-pool":
        with cf.ThreadPoolExecutor(max_workers=tasks) as ex:
            list(ex.map(racy_add, [box] * tasks, parts, [work] * tasks))
        final, own = box.value, None
    elif model == "asyncio":
        async def add(n):
            for _ in range(n):
                v = box.value
                spin(work)
                box.value = v + 1
                await asyncio.sleep(0)      # the only place another coroutine can run
        async def main():
            await asyncio.gather(*(add(p) for p in parts))
        asyncio.run(main())
        final, own = box.value, None
    elif model in ("multiprocessing", "multiprocessing-value"):
        # multiprocessing-value: one counter in shared memory, each update under its lock
        value = mp.Value("q", 0) if model == "multiprocessing-value" else None
        q = mp.Queue()
        ps = [mp.Process(target=proc_racy_add, args=(p, work, q, value)) for p in parts]
        [p.start() for p in ps]
        own = [q.get() for _ in ps]
        [p.join() for p in ps]
        check_procs(ps)
        final = value.value if value is not None else _counter.value
    else:  # process-pool: each worker process has its own counter
        with cf.ProcessPoolExecutor(max_workers=tasks) as ex:
            last = {}
            for pid, v in ex.map(pool_racy_add, split(iterations, tasks * 4), [work] * (tasks * 4)):
                last[pid] = max(last.get(pid, 0), v)
        final, own = _counter.value, sorted(last.values())
    fig = {"expected": iterations, "final": final, "lost": iterations - final,
           "shared": model not in ("multiprocessing", "process-pool"),
           "locked": model in RACE_ONLY}
    if own is not None and model != "multiprocessing-value":
        fig["per_task"] = own
    return iterations, fig


def run_convoy(model, port, size, requests, work):
    lat, extra = [], {}
    if model == "sequential":
        lat = client_requests(port, requests)
        spin(size)
    elif model == "threading":
        t = threading.Thread(target=spin, args=(size,))
        t.start()
        lat = client_requests(port, requests)
        t.join()
    elif model == "multiprocessing":
        p = mp.Process(target=spin, args=(size,))
        p.start()
        lat = client_requests(port, requests)
        p.join()
        check_procs([p])
    elif model == "asyncio":
        async def cpu():
            done = 0
            while done < size:
                step = min(work, size - done)
                spin(step)
                done += step
                await asyncio.sleep(0)

        async def main():
            lag = LoopLag(asyncio.get_running_loop())
            lag.start()
            _, l = await asyncio.gather(cpu(), aclient_requests(port, requests))
            lag.stop()
            return l, lag.lags
        lat, lags = asyncio.run(main())
        extra = lag_figures(lags)
    elif model in ("thread-pool", "process-pool"):
        Ex = cf.ThreadPoolExecutor if model == "thread-pool" else cf.ProcessPoolExecutor
        with Ex(max_workers=1) as ex:
            f = ex.submit(spin, size)
            lat = client_requests(port, requests)
            f.result()
    extra.update(latency_figures(lat))
    return requests, extra


def check_procs(ps):
    bad = [p.exitcode for p in ps if p.exitcode != 0]
    if bad:
        raise RuntimeError("%d worker process(es) failed (exit codes %s)" % (len(bad), bad))


def report(fig):
    try:
        os.fstat(3)
    except OSError:
        return
    with os.fdopen(3, "w") as f:
        f.write(json.dumps(fig) + "\n")


def run_function(a):
    """--function: the user's callable in one model. 0, or 1 with the reason on stderr and
    in the fd-3 line's "error"."""
    import calls
    calls.set_path(a.pythonpath)
    fig = {"function": a.function, "model": a.model, "tasks": a.tasks}
    try:
        fn = calls.resolve(a.function)
        if a.probe:
            fig.update({"ok": True, "async": calls.is_async(fn)})
            print(json.dumps(fig))
            report(fig)
            return 0
        if a.model not in calls.MODELS:
            raise calls.ModelFailed("unknown model '%s' for a function (one of %s)"
                                    % (a.model, ", ".join(calls.MODELS)))
        args = json.loads(a.args) if a.args else []
        task_args = json.loads(a.task_args) if a.task_args else None
        if task_args is not None and len(task_args) != a.tasks:
            raise calls.ModelFailed("--task-args has %d lists for %d tasks"
                                    % (len(task_args), a.tasks))
        plan = calls.plan_calls(a.calls, a.tasks, args, task_args)
        t0 = time.perf_counter()
        out, extra = calls.run_model(a.model, a.function, fn, plan, a.calls, a.pythonpath,
                                     LoopLag)
        elapsed = time.perf_counter() - t0
    except calls.BadFunction as e:
        return fail_report(fig, str(e))
    except calls.ModelFailed as e:
        return fail_report(fig, str(e))
    fig.update({"ops": a.calls, "elapsed_s": elapsed,
                "ops_per_s": a.calls / elapsed if elapsed > 0 else 0.0})
    fig.update(latency_figures(out.lat))
    fig.update(extra)
    fig.update(calls.figures(out))
    report(fig)
    if fig["errors"]:
        print("harness: %d of %d calls raised; the first (call %d):\n%s"
              % (fig["errors"], a.calls, fig["first_error_call"], fig["first_traceback"]),
              file=sys.stderr)
    return 0


def fail_report(fig, why):
    print("harness: %s" % why, file=sys.stderr)
    fig["error"] = why
    report(fig)
    return 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", choices=KINDS)
    ap.add_argument("--function", metavar="MODULE:CALLABLE")
    ap.add_argument("--calls", type=int, default=16)
    ap.add_argument("--args", metavar="JSON")
    ap.add_argument("--task-args", metavar="JSON")
    ap.add_argument("--pythonpath", metavar="DIRS")
    ap.add_argument("--probe", action="store_true")
    ap.add_argument("--model")
    ap.add_argument("--tasks", type=int, default=4)
    ap.add_argument("--size", type=int, default=2_000_000)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--latency-us", type=int, default=5000)
    ap.add_argument("--work", type=int)           # 20000; race: 400
    ap.add_argument("--iterations", type=int)     # 200000; race: 4000
    a = ap.parse_args(argv)
    # race's own defaults: enough work in each update's window to lose updates under the GIL
    # (~18 us of arithmetic between the read and the write, ~0.1 s in all)
    if a.work is None:
        a.work = 400 if a.kind == "race" else 20_000
    if a.iterations is None:
        a.iterations = 4000 if a.kind == "race" else 200_000
    if (a.kind is None) == (a.function is None):
        ap.error("give one of --kind and --function")
    if a.function:
        if not a.probe and not a.model:
            ap.error("--function needs --model")
        if a.tasks < 1 or a.calls < 1:
            ap.error("counts must be positive")
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        return run_function(a)
    if a.model not in MODELS:
        ap.error("argument --model: invalid choice: %r (choose from %s)"
                 % (a.model, ", ".join(MODELS)))
    if a.model in RACE_ONLY and a.kind != "race":
        ap.error("model %s applies to --kind race only" % a.model)
    if a.tasks < 1 or a.size < 1 or a.requests < 1 or a.iterations < 1 or a.work < 1 \
            or a.latency_us < 0:
        ap.error("counts must be positive")
    server = None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if a.kind in ("io", "mixed", "convoy"):
            server = start_server(a.latency_us / 1e6)
        port = server[0] if server else None
        t0 = time.perf_counter()
        if a.kind == "cpu":
            ops, extra = run_cpu(a.model, a.tasks, a.size)
        elif a.kind == "io":
            ops, extra = run_io(a.model, a.tasks, port, a.requests)
        elif a.kind == "mixed":
            ops, extra = run_io(a.model, a.tasks, port, a.requests, a.work)
        elif a.kind == "lock":
            ops, extra = run_lock(a.model, a.tasks, a.iterations)
        elif a.kind == "race":
            ops, extra = run_race(a.model, a.tasks, a.iterations, a.work)
        else:
            ops, extra = run_convoy(a.model, port, a.size, a.requests, a.work)
        elapsed = time.perf_counter() - t0
    except (RuntimeError, OSError) as e:
        print("harness: %s" % e, file=sys.stderr)
        return 1
    finally:
        stop_server(server)
    fig = {"kind": a.kind, "model": a.model, "tasks": a.tasks, "ops": ops,
           "elapsed_s": elapsed, "ops_per_s": ops / elapsed if elapsed > 0 else 0.0}
    fig.update(extra)
    report(fig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
