"""memory: hold N tasks alive at once, each blocked, and measure what each one costs.

``bytes_per_task`` comes from one untimed hold before the timed rounds:

- in-process models (threads, generators, greenlet, gevent, asyncio, uvloop): the
  larger of two growths from before the N tasks exist to while they are all held,
  divided by N: the memory Python's allocators hand out (``tracemalloc``: objects,
  frames, greenlet stack copies) and this process's resident set (RSS, after
  ``gc.collect()``: thread stacks and other native memory). Each alone undercounts:
  RSS does not grow while the allocator reuses memory freed by earlier cases, and
  tracemalloc does not see a thread's stack;
- processes: the mean unique set size (USS: the pages only that child holds) of the
  N children while they are all held; a forked child shares its parent's pages until
  it writes them, a spawned one holds a fresh interpreter of its own.

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
import resource
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
from bench.micro._loop import Loop, LoopFactory, Plan, close_loop, expect

#: Rough resident cost of one idle thread (its touched stack pages and kernel side),
#: used only to refuse thread counts this machine's memory cannot hold.
THREAD_BYTES = 256 * 1024


def rss_bytes() -> int:
    """This process's resident set size, after a full garbage collection."""
    gc.collect()
    return int(psutil.Process().memory_info().rss)


def _measure(holder: Holder[H], n: int) -> float:
    """Hold ``n`` tasks once, untimed, and return the bytes each one costs."""
    if holder.footprint:
        tasks = holder.hold(n)
        try:
            held_bytes = holder.footprint(tasks)
        finally:
            expect(holder.release(tasks), n, "memory: held tasks that finished")
        return held_bytes / n
    tracemalloc.start()
    try:
        rss_before = rss_bytes()
        traced_before = tracemalloc.get_traced_memory()[0]
        tasks = holder.hold(n)
        try:
            traced = tracemalloc.get_traced_memory()[0] - traced_before
            rss = rss_bytes() - rss_before
        finally:
            expect(holder.release(tasks), n, "memory: held tasks that finished")
    finally:
        tracemalloc.stop()
    return max(traced, rss) / n


@contextmanager
def _memory_loop(holder: Holder[H], n: int) -> Iterator[Loop]:
    """The loop of a holder: measured once, then rounds of hold (timed) and release (checked)."""
    outstanding: list[H] = []

    def one_round() -> H:
        tasks = holder.hold(n)
        outstanding.append(tasks)
        return tasks

    def check(tasks: H) -> None:
        outstanding.clear()
        expect(holder.release(tasks), n, "memory: held tasks that finished")

    try:
        bytes_per_task = _measure(holder, n)
        yield Loop(one_round, check, n, {"bytes_per_task": bytes_per_task, **holder.recorded})
    finally:
        for tasks in outstanding:
            holder.release(tasks)


def _event_loop_factory(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> LoopFactory:
    @contextmanager
    def factory(case: MicroCase, n: int) -> Iterator[Loop]:
        """N tasks awaiting one ``Future``, on a loop made outside timing."""
        loop = new_loop()
        try:
            with _memory_loop(event_loop_holder(loop), n) as memory_loop:
                yield memory_loop
        finally:
            close_loop(loop)

    return factory


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


def _holding(make: Callable[[MicroCase], Holder[Any]]) -> LoopFactory:
    """A loop factory from a function that makes the case's holder."""

    @contextmanager
    def factory(case: MicroCase, n: int) -> Iterator[Loop]:
        with _memory_loop(make(case), n) as loop:
            yield loop

    return factory


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
    loops={
        "generators": _holding(lambda case: Holder(hold_generators, release_generators)),
        "greenlet": _holding(lambda case: Holder(hold_greenlets, release_greenlets)),
        "gevent": _holding(lambda case: gevent_holder()),
        "asyncio": _event_loop_factory(asyncio.new_event_loop),
        "uvloop": _event_loop_factory(_uvloop),
        "threads": _holding(lambda case: Holder(hold_threads, release_threads)),
        "processes": _holding(lambda case: process_holder(_start_method(case))),
    },
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
