"""memory: hold N tasks alive at once, each blocked, and measure what each one costs.

``bytes_per_task`` is read with no instrument running, in fresh interpreters made for
it (:mod:`bench.micro.footprint`, one per hold, :data:`HOLDS` holds), so neither
tracemalloc's own bookkeeping nor the allocator history of earlier cases lands in it:

- in-process models (threads, generators, greenlet, gevent, asyncio, uvloop): the
  growth of the fresh process's resident set (RSS, after ``gc.collect()``, tracemalloc
  off) from before the N tasks exist to while they are all held, divided by N. For
  threads that is each thread's touched stack pages and thread structures, not the
  8 MiB of stack each one reserves;
- processes: the mean unique set size (USS: the pages only that child holds) of the
  N children while they are all held, with the proportional set size (PSS: shared
  pages split among their sharers) beside it. The children are made by the fresh
  interpreter, a small Python program, as spawn's starter makes them.

Beside it, as "Python objects", the same fresh process holds the tasks again under
``tracemalloc``: the memory Python's allocators hand out (objects, frames, greenlet
stack copies), which does not see a thread's stack. The median of the holds is the
figure; their lowest and highest are its spread.

A held task is blocked the model's own way: a generator suspended at ``yield``, a
greenlet switched away, a gevent greenlet on a ``gevent.event.Event``, an asyncio
task on a shared ``Future``, a thread on a ``threading.Event``, a process on a
``multiprocessing.Event``. The timed round creates the N tasks and returns once all
of them are held (seconds per held task = round / N); the untimed check after it
releases them, joins every one and fails unless all N finished.
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from functools import partial
from typing import Any

import psutil

from bench.backends._limits import process_limit
from bench.micro import MicroCase
from bench.micro._held import (
    H,
    Holder,
    event_loop_holder,
    gevent_holder,
    hold_generators,
    hold_greenlets,
    hold_threads,
    process_holder,
    release_generators,
    release_greenlets,
    release_threads,
)
from bench.micro._loop import Loop, Plan, close_loop, expect

#: Rough resident cost of one idle thread (its touched stack pages and kernel side),
#: used only to refuse thread counts this machine's memory cannot hold.
THREAD_BYTES = 256 * 1024


def rss_bytes() -> int:
    """This process's resident set size, after a full garbage collection."""
    gc.collect()
    return int(psutil.Process().memory_info().rss)


#: Fresh-process holds per case: the figure is their median, the spread their range.
HOLDS = 3
#: Longest one fresh-process hold may take before the case fails.
FOOTPRINT_TIMEOUT_S = 300.0

#: What each model's figure counts, by backend (in-process models not named: RSS growth).
COUNTS = {
    "threads": "resident set growth: each thread's touched stack pages and thread structures, "
    "not the 8 MiB of stack it reserves",
    "processes": "unique set size (USS) per child; PSS beside it",
}
_RSS = "resident set growth of a fresh process, tracemalloc off"


def fresh_holds(case: MicroCase, n: int, holds: int = HOLDS, ballast: int = 0) -> list[dict[str, float]]:
    """Hold ``n`` tasks of ``case`` in ``holds`` fresh interpreters; each one's bytes per task.

    Each result has ``bytes_per_task`` (RSS or USS growth, no instrument on) and,
    for in-process models, ``python_objects`` (tracemalloc's growth); for processes
    ``pss``. Raises ``RuntimeError`` with the child's error when a hold fails.
    """
    spec = json.dumps({**asdict(case), "n": n, "ballast": ballast})
    results = []
    for _ in range(holds):
        done = subprocess.run(
            [sys.executable, "-m", "bench.micro.footprint", spec],
            capture_output=True,
            text=True,
            timeout=FOOTPRINT_TIMEOUT_S,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"memory {case.id}: the fresh-process hold failed: {done.stderr.strip()[-2000:]}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return results


def summary(case: MicroCase, results: list[dict[str, float]]) -> dict[str, Any]:
    """``bytes_per_task`` (the median hold) and ``memory`` (spread, Python objects, PSS, what it counts)."""
    figures = [r["bytes_per_task"] for r in results]
    memory: dict[str, Any] = {
        "holds": len(figures),
        "low": min(figures),
        "high": max(figures),
        "counts": COUNTS.get(case.backend, _RSS),
    }
    for key in ("python_objects", "pss"):
        values = [r[key] for r in results if r.get(key) is not None]
        if values:
            memory[key] = statistics.median(values)
    return {"bytes_per_task": statistics.median(figures), "memory": memory}


@contextmanager
def _memory_loop(case: MicroCase, holder: Holder[H], n: int) -> Iterator[Loop]:
    """The loop of a holder: measured in fresh processes, then rounds of hold (timed) and release (checked)."""
    outstanding: list[H] = []

    def one_round() -> H:
        tasks = holder.hold(n)
        outstanding.append(tasks)
        return tasks

    def check(tasks: H) -> None:
        outstanding.clear()
        expect(holder.release(tasks), n, "memory: held tasks that finished")

    try:
        measured = summary(case, fresh_holds(case, n))
        yield Loop(one_round, check, n, {**measured, **holder.recorded})
    finally:
        for tasks in outstanding:
            holder.release(tasks)


def _uvloop() -> asyncio.AbstractEventLoop:
    import uvloop

    return uvloop.new_event_loop()


def _threads_running() -> int:
    """Threads of every process this user can see (what ``ulimit -u`` counts, roughly)."""
    total = 0
    for proc in psutil.process_iter():
        try:
            total += proc.num_threads()
        except psutil.Error:
            continue
    return total


def thread_limit(n_tasks: int) -> str | None:
    """Why ``n_tasks`` live threads cannot be held here, or None when they can."""
    caps = {"memory": int(psutil.virtual_memory().available * 0.5) // THREAD_BYTES}
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[0]
    if nproc != resource.RLIM_INFINITY:
        caps["the per-user process limit (ulimit -u)"] = nproc - _threads_running()
    try:
        with open("/proc/sys/kernel/threads-max") as threads_max:
            caps["kernel.threads-max"] = int(threads_max.read()) // 2
    except OSError:
        pass
    bound, cap = min(caps.items(), key=lambda item: item[1])
    if n_tasks <= cap:
        return None
    return f"{n_tasks} live threads exceed what this machine can hold (~{cap}, bound by {bound})"


# -- the plan -----------------------------------------------------------------------


@contextmanager
def holder_for(case: MicroCase, ballast: int = 0) -> Iterator[Holder[Any]]:
    """The holder of ``case``'s backend (with its event loop, made and closed here)."""
    if case.backend in ("asyncio", "uvloop"):
        loop = asyncio.new_event_loop() if case.backend == "asyncio" else _uvloop()
        try:
            yield event_loop_holder(loop, ballast)
        finally:
            close_loop(loop)
    elif case.backend == "generators":
        yield Holder(partial(hold_generators, ballast=ballast), release_generators)
    elif case.backend == "greenlet":
        yield Holder(partial(hold_greenlets, ballast=ballast), release_greenlets)
    elif case.backend == "gevent":
        yield gevent_holder(ballast)
    elif case.backend == "threads":
        yield Holder(partial(hold_threads, ballast=ballast), release_threads)
    elif case.backend == "processes":
        yield process_holder(_start_method(case))
    else:
        raise ValueError(f"memory has no holder for {case.backend}; valid: {', '.join(HELD)}")


#: The backends that hold tasks, for which :func:`holder_for` has a holder.
HELD = ("generators", "greenlet", "gevent", "asyncio", "uvloop", "threads", "processes")


@contextmanager
def _holding(case: MicroCase, n: int) -> Iterator[Loop]:
    """The memory loop of ``case``: its holder, measured, then held in timed rounds."""
    with holder_for(case) as holder, _memory_loop(case, holder, n) as loop:
        yield loop


def limit(case: MicroCase) -> str | None:
    """Why ``case``'s N tasks cannot be held on this machine, or None when they can."""
    if case.n_tasks is None:
        return None
    if case.backend == "threads":
        return thread_limit(case.n_tasks)
    if case.backend == "processes" and case.variant:
        return process_limit(case.n_tasks, case.variant)
    return None


def _start_method(case: MicroCase) -> str:
    assert case.variant is not None, "processes cases carry their start method as the variant"
    return case.variant


_NO_LIVE_TASKS = "keeps no task of its own alive while it waits: "

PLAN = Plan(
    micro="memory",
    operation="held task",
    loops=dict.fromkeys(HELD, _holding),
    skips={
        "sequential": "sequential " + _NO_LIVE_TASKS + "it runs one task at a time, to its end",
        "thread_pool": "thread_pool " + _NO_LIVE_TASKS + "a fixed set of workers runs the tasks and a queued task "
        "is a small work item, not a thread; threads' memory is the cost of a thread per task",
        "process_pool": "process_pool " + _NO_LIVE_TASKS + "a fixed set of workers runs the tasks and a queued "
        "task is a small work item, not a process; processes' memory is the cost of a process per task",
    },
    limit=limit,
    mechanisms={
        "generators": "generator suspended at yield",
        "greenlet": "greenlet switched away",
        "gevent": "gevent greenlet waiting on gevent.event.Event",
        "asyncio": "task awaiting a Future",
        "uvloop": "task awaiting a Future",
        "threads": "thread waiting on threading.Event",
        "processes": "process waiting on multiprocessing.Event",
    },
)
