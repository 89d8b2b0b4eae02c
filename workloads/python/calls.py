"""The user's own function in every concurrency model: `calls` calls of `module:callable`,
split over `tasks` threads, processes, pool workers or coroutines. Used by harness.py
(`--function`); standard library only.

A model is a way of running calls:
  sequential            one thread, one call after the other
  threading             a threading.Thread per task
  thread-pool           concurrent.futures.ThreadPoolExecutor(tasks), one submit per call
  asyncio               an async def, awaited by `tasks` coroutines on one event loop
  asyncio-to-thread     a plain function through asyncio.to_thread (a thread pool of `tasks`)
  multiprocessing       a multiprocessing.Process per task
  process-pool          concurrent.futures.ProcessPoolExecutor(tasks), one submit per call
  asyncio-process-pool  a plain function through loop.run_in_executor(ProcessPoolExecutor)
The three process models take a start method as a suffix (multiprocessing-spawn,
process-pool-forkserver, asyncio-process-pool-fork); without one, the interpreter's default
applies (fork on Linux up to 3.13, forkserver from 3.14) and is reported.

An async def in a model other than asyncio runs each call on its own loop (asyncio.run).
The function is imported once per process (workers import it by name, it is never pickled);
arguments and results cross a process boundary by pickle, as the model does it. An exception
inside a call is counted and its first traceback kept; the run goes on. A model that cannot
run at all (arguments or a result that cannot be pickled, a worker that died) raises
ModelFailed with the reason.
"""
import asyncio
import concurrent.futures as cf
from concurrent.futures.process import BrokenProcessPool
import hashlib
import importlib
import inspect
import json
import multiprocessing as mp
import os
import pickle
import re
import sys
import threading
import time
import traceback

METHODS = ("fork", "spawn", "forkserver")
PROCESS_BASES = ("multiprocessing", "process-pool", "asyncio-process-pool")
BASES = ("sequential", "threading", "thread-pool", "asyncio", "asyncio-to-thread") + PROCESS_BASES
MODELS = BASES + tuple("%s-%s" % (b, m) for b in PROCESS_BASES for m in METHODS)


# what a pool raises when it cannot carry a call to a worker or back
POOL_ERRORS = (BrokenProcessPool, pickle.PicklingError, TypeError, AttributeError)


class ModelFailed(Exception):
    """The model could not run the calls; the message says why."""


class BadFunction(Exception):
    """The function cannot be imported or called; the message says why."""


def last_line(exc):
    """The last line of an exception's traceback: 'ModuleNotFoundError: No module named x'."""
    return traceback.format_exception_only(type(exc), exc)[-1].strip()


def resolve(spec):
    """'package.module:callable' (the callable may be dotted: Class.method) to the object."""
    modname, sep, qual = spec.partition(":")
    if not sep or not modname or not qual:
        raise BadFunction("'%s' is not module:callable" % spec)
    try:
        obj = importlib.import_module(modname)
    except BaseException as e:   # a module may raise anything at import, even SystemExit
        raise BadFunction("cannot import %s: %s" % (modname, last_line(e))) from None
    for part in qual.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise BadFunction("%s has no attribute '%s'%s" % (
                modname if obj is sys.modules.get(modname) else type(obj).__name__, part,
                " (looking up %s)" % qual if "." in qual else "")) from None
    if not callable(obj):
        raise BadFunction("%s is %s, not callable" % (spec, type(obj).__name__))
    return obj


def is_async(fn):
    return inspect.iscoroutinefunction(fn) or \
        inspect.iscoroutinefunction(getattr(fn, "__call__", None))


def set_path(pythonpath):
    """Put the user's directories first on sys.path, and in PYTHONPATH for any interpreter
    the model starts (spawn and forkserver also get the parent's sys.path)."""
    dirs = [os.path.abspath(d) for d in (pythonpath or "").split(os.pathsep) if d]
    if os.getcwd() not in sys.path and os.getcwd() not in dirs:
        dirs.append(os.getcwd())     # like python -m: the working directory
    sys.path[0:0] = dirs
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(dirs + ([old] if old else []))


# ------------------------------------------------------------------ one call

_fn = None     # the function, once per process


def _load(spec):
    global _fn
    if _fn is None:
        _fn = resolve(spec)
    return _fn


def one_call(fn, coro, args):
    """(result, seconds, traceback text or None)."""
    t0 = time.perf_counter()
    try:
        r = asyncio.run(fn(*args)) if coro else fn(*args)
        return r, time.perf_counter() - t0, None
    except Exception as e:
        return None, time.perf_counter() - t0, user_traceback(e)


def user_traceback(e):
    """The traceback of an exception raised by the user's function, without this frame."""
    return "".join(traceback.format_exception(type(e), e, e.__traceback__.tb_next))


def _pickled(idx, r, err):
    """A call's outcome as it crosses back to the parent process: the result pickled here,
    so that a result that cannot be pickled is named with its call."""
    if err is not None:
        return idx, "err", err
    try:
        return idx, "ok", pickle.dumps(r)
    except Exception as e:
        return idx, "unpicklable", "the result of call %d (%s) cannot be pickled: %s" % (
            idx, type(r).__name__, last_line(e))


def _pool_init(spec, pythonpath):
    set_path(pythonpath)
    _load(spec)


def _pool_call(spec, coro, idx, args):
    r, lat, err = one_call(_load(spec), coro, args)
    i, status, payload = _pickled(idx, r, err)
    return i, lat, status, payload


def _proc_main(spec, pythonpath, coro, items, conn):
    """A multiprocessing.Process of one task: its calls, then one message back."""
    try:
        set_path(pythonpath)
        fn = _load(spec)
        out = []
        for idx, args in items:
            r, lat, err = one_call(fn, coro, args)
            i, status, payload = _pickled(idx, r, err)
            out.append((i, lat, status, payload))
        conn.send(("ok", out))
    except BadFunction as e:
        conn.send(("failed", str(e)))
    finally:
        conn.close()


# ------------------------------------------------------------------ the models

class Outcome:
    """Every call's result (or error), by call index, and its latency."""

    def __init__(self, calls):
        self.results = [None] * calls
        self.errors = [None] * calls
        self.lat = [0.0] * calls

    def put(self, idx, lat, r, err):
        self.lat[idx] = lat
        if err is not None:
            self.errors[idx] = err
        else:
            self.results[idx] = r

    def put_pickled(self, idx, lat, status, payload):
        if status == "unpicklable":
            raise ModelFailed(payload)
        if status == "err":
            self.put(idx, lat, None, payload)
        else:
            self.put(idx, lat, pickle.loads(payload), None)


def plan_calls(calls, tasks, args, task_args):
    """Per task, its (call index, args) in order: the calls split over the tasks as evenly as
    possible, task i passing task_args[i] when given, else args."""
    base, extra = divmod(calls, tasks)
    out, idx = [], 0
    for t in range(tasks):
        n = base + (1 if t < extra else 0)
        a = tuple(task_args[t]) if task_args is not None else tuple(args)
        out.append([(idx + k, a) for k in range(n)])
        idx += n
    return out


def _check_picklable(what, obj):
    try:
        pickle.dumps(obj)
    except Exception as e:
        raise ModelFailed("%s cannot be pickled for another process: %s"
                          % (what, last_line(e))) from None


def run_model(model, spec, fn, plan, calls, pythonpath, lag_cls=None):
    """Run the plan's calls in `model`. Returns (Outcome, extra figures)."""
    base, method = model, None
    for m in METHODS:
        if model.endswith("-" + m) and model[:-len(m) - 1] in PROCESS_BASES:
            base, method = model[:-len(m) - 1], m
    coro = is_async(fn)
    if base == "asyncio" and not coro:
        raise ModelFailed("model asyncio awaits coroutines and %s is a plain function "
                          "(asyncio-to-thread or asyncio-process-pool run one from a loop)"
                          % spec)
    if base in ("asyncio-to-thread", "asyncio-process-pool") and coro:
        raise ModelFailed("%s runs a plain function from the loop and %s is an async def "
                          "(model asyncio awaits it)" % (base, spec))
    out, extra = Outcome(calls), {}
    items = [it for task in plan for it in task]
    tasks = len(plan)
    if base == "sequential":
        for idx, args in items:
            r, lat, err = one_call(fn, coro, args)
            out.put(idx, lat, r, err)
    elif base == "threading":
        def task(its):
            for idx, args in its:
                r, lat, err = one_call(fn, coro, args)
                out.put(idx, lat, r, err)
        ts = [threading.Thread(target=task, args=(p,)) for p in plan]
        [t.start() for t in ts]
        [t.join() for t in ts]
    elif base == "thread-pool":
        with cf.ThreadPoolExecutor(max_workers=tasks) as ex:
            futs = [(idx, ex.submit(one_call, fn, coro, args)) for idx, args in items]
            for idx, f in futs:
                r, lat, err = f.result()
                out.put(idx, lat, r, err)
    elif base in ("asyncio", "asyncio-to-thread"):
        extra = _run_loop(base, fn, plan, out, tasks, lag_cls)
    else:
        ctx = mp.get_context(method)
        extra["start_method"] = ctx.get_start_method()
        if base == "multiprocessing":
            _run_processes(ctx, spec, pythonpath, coro, plan, out)
        else:
            for p in plan:        # a pool pickles every call's arguments
                if p:
                    _check_picklable("the arguments of call %d" % p[0][0], p[0][1])
            with cf.ProcessPoolExecutor(max_workers=tasks, mp_context=ctx,
                                        initializer=_pool_init,
                                        initargs=(spec, pythonpath)) as ex:
                if base == "process-pool":
                    futs = [ex.submit(_pool_call, spec, coro, idx, args) for idx, args in items]
                    try:
                        for f in futs:
                            out.put_pickled(*f.result())
                    except POOL_ERRORS as e:
                        raise ModelFailed("the process pool failed: %s" % last_line(e)) from None
                else:
                    extra.update(_run_loop(base, fn, plan, out, tasks, lag_cls, ex, spec))
    return out, extra


def _run_processes(ctx, spec, pythonpath, coro, plan, out):
    procs = []
    try:
        for p in plan:
            r, w = ctx.Pipe(duplex=False)
            pr = ctx.Process(target=_proc_main, args=(spec, pythonpath, coro, p, w))
            try:
                pr.start()
            except (pickle.PicklingError, TypeError, AttributeError) as e:
                raise ModelFailed("the arguments cannot be pickled for a %s process: %s"
                                  % (ctx.get_start_method(), last_line(e))) from None
            finally:
                w.close()
            procs.append((pr, r))
        for pr, r in procs:
            try:
                status, payload = r.recv()
            except EOFError:
                pr.join()
                raise ModelFailed("a worker process ended without its results (exit code %s)"
                                  % pr.exitcode) from None
            if status != "ok":
                raise ModelFailed("in a worker process: %s" % payload)
            for item in payload:
                out.put_pickled(*item)
    finally:
        for pr, r in procs:
            r.close()
            if pr.is_alive():
                pr.terminate()
            pr.join()


def _run_loop(base, fn, plan, out, tasks, lag_cls, pool=None, spec=None):
    async def worker(its):
        loop = asyncio.get_running_loop()
        for idx, args in its:
            if base == "asyncio":
                t0 = time.perf_counter()
                try:
                    r, err = await fn(*args), None
                except Exception as e:
                    r, err = None, user_traceback(e)
                out.put(idx, time.perf_counter() - t0, r, err)
            elif base == "asyncio-to-thread":
                r, lat, err = await asyncio.to_thread(one_call, fn, False, args)
                out.put(idx, lat, r, err)
            else:
                try:
                    res = await loop.run_in_executor(pool, _pool_call, spec, False, idx, args)
                except POOL_ERRORS as e:
                    raise ModelFailed("the process pool failed: %s" % last_line(e)) from None
                out.put_pickled(*res)

    async def main():
        loop = asyncio.get_running_loop()
        if base == "asyncio-to-thread":
            loop.set_default_executor(cf.ThreadPoolExecutor(max_workers=tasks))
        lag = lag_cls(loop) if lag_cls else None
        if lag:
            lag.start()
        try:
            await asyncio.gather(*(worker(p) for p in plan))
        finally:
            if lag:
                lag.stop()
        return lag.lags if lag else []
    lags = asyncio.run(main())
    if not lags:
        return {}
    v = sorted(lags)
    return {"loop_lag_p99_ms": v[min(len(v) - 1, int(round(0.99 * (len(v) - 1))))] * 1e3,
            "loop_lag_max_ms": v[-1] * 1e3}


# ------------------------------------------------------------------ comparing results

_ADDR = re.compile(r" at 0x[0-9a-fA-F]+")


def canon(v):
    """A text form of a result that is the same for equal values in every process: sets and
    dicts sorted, other objects by type and repr without their addresses."""
    if v is None or isinstance(v, (bool, int, str)):
        return json.dumps(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, bytes):
        return "b" + json.dumps(v.hex())
    if isinstance(v, (list, tuple)):
        return ("[%s]" if isinstance(v, list) else "(%s)") % ",".join(canon(x) for x in v)
    if isinstance(v, (set, frozenset)):
        return "{%s}" % ",".join(sorted(canon(x) for x in v))
    if isinstance(v, dict):
        return "{%s}" % ",".join(sorted("%s:%s" % (canon(k), canon(x)) for k, x in v.items()))
    return "%s.%s:%s" % (type(v).__module__, type(v).__qualname__, _ADDR.sub("", repr(v)))


def figures(out):
    """What the fd-3 line says about the calls: how many raised, the first traceback, and a
    digest of every result (an exception counts as its type) for comparing models."""
    h = hashlib.sha256()
    first_err, nerr, sample = None, 0, None
    for idx, (r, err) in enumerate(zip(out.results, out.errors)):
        if err is not None:
            nerr += 1
            if first_err is None:
                first_err = idx
            h.update(("!%s\n" % err.strip().splitlines()[-1].split(":")[0]).encode())
        else:
            c = canon(r)
            if sample is None:
                sample = c
            h.update((c + "\n").encode())
    fig = {"calls": len(out.results), "errors": nerr, "results_digest": h.hexdigest()[:16]}
    if sample is not None:
        fig["result_sample"] = sample if len(sample) <= 120 else sample[:117] + "..."
    if first_err is not None:
        tb = out.errors[first_err]
        fig["first_error_call"] = first_err
        fig["first_error"] = tb.strip().splitlines()[-1]
        fig["first_traceback"] = tb if len(tb) <= 4000 else "...\n" + tb[-4000:]
    return fig
