"""How each model holds N tasks alive at once, and releases them: the memory micro-cost's parts.

A :class:`Holder` pairs ``hold(n)``, which creates N tasks and returns once every one
is blocked the model's own way, with ``release(held)``, which unblocks them, waits
for every one to finish and returns how many finished normally.

The in-process holders take a ``ballast``: bytes each held task keeps alive in a
``bytearray`` of its own (zero-filled, so its pages are resident). It is 0 in every
measurement; a known ballast is how the tests prove that the memory figure sees
what a task holds.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as ProcessEvent
from typing import Any, Generic, TypeVar

import greenlet
import psutil

from bench.micro._children import held
from bench.micro._loop import (
    HOLD_TIMEOUT_S,
    JOIN_TIMEOUT_S,
    ROUND_TIMEOUT_S,
    finish_process,
    kill_all,
    new_process,
)

H = TypeVar("H")


@dataclass
class Holder(Generic[H]):
    """How one model holds N tasks: ``hold`` makes and parks them, ``release`` ends them.

    ``hold`` releases whatever it made when it fails halfway. ``release`` returns how
    many tasks finished normally and leaves none running, also when it raises.
    ``footprint``, where given, is the bytes the held tasks occupy outside this
    process (the children's total ``uss`` and ``pss``); otherwise RSS growth is measured.
    """

    hold: Callable[[int], H]
    release: Callable[[H], int]
    footprint: Callable[[H], dict[str, int]] | None = None
    recorded: dict[str, Any] = field(default_factory=dict)


# -- generators ---------------------------------------------------------------------


def _ballast(size: int) -> bytearray | None:
    """What a held task keeps alive besides itself: ``size`` zero bytes, or nothing."""
    return bytearray(size) if size else None


def _parked(ballast: int) -> Generator[None, None, int]:
    held = _ballast(ballast)
    yield
    del held
    return 1


def hold_generators(n: int, ballast: int = 0) -> list[Generator[None, None, int]]:
    """N generators, each advanced to its ``yield`` and suspended there."""
    tasks = [_parked(ballast) for _ in range(n)]
    for task in tasks:
        next(task)
    return tasks


def release_generators(tasks: list[Generator[None, None, int]]) -> int:
    """Resume every generator to its end; return how many returned 1."""
    done = 0
    for task in tasks:
        try:
            task.send(None)
        except StopIteration as stop:
            done += stop.value
    return done


# -- greenlet -----------------------------------------------------------------------


def hold_greenlets(n: int, ballast: int = 0) -> list[greenlet.greenlet]:
    """N greenlets, each switched into once and parked by switching straight back here."""
    here = greenlet.getcurrent()

    def park() -> int:
        held = _ballast(ballast)
        here.switch()
        del held
        return 1

    tasks: list[greenlet.greenlet] = []
    try:
        for _ in range(n):
            task = greenlet.greenlet(park)
            task.switch()
            tasks.append(task)
    except BaseException:
        release_greenlets(tasks)
        raise
    return tasks


def release_greenlets(tasks: list[greenlet.greenlet]) -> int:
    """Switch into every parked greenlet so it returns; return how many returned 1."""
    return sum(int(task.switch()) for task in tasks if not task.dead)


# -- gevent -------------------------------------------------------------------------


def gevent_holder(ballast: int = 0) -> Holder[Any]:
    """N ``gevent.spawn`` greenlets waiting on one ``gevent.event.Event``.

    ``hold`` yields to the hub until every greenlet has started and is waiting.
    """
    import gevent
    from gevent.event import Event

    def parked(release: Event, started: list[int]) -> int:
        held = _ballast(ballast)
        started.append(1)
        release.wait()
        del held
        return 1

    def hold(n: int) -> tuple[Event, list[gevent.Greenlet]]:
        release = Event()
        started: list[int] = []
        tasks = [gevent.spawn(parked, release, started) for _ in range(n)]
        try:
            with gevent.Timeout(ROUND_TIMEOUT_S, TimeoutError):
                while len(started) < n:
                    gevent.sleep(0)
        except BaseException:
            gevent.killall(tasks)
            raise
        return release, tasks

    def release(held_tasks: tuple[Event, list[gevent.Greenlet]]) -> int:
        release, tasks = held_tasks
        release.set()
        gevent.joinall(tasks, timeout=JOIN_TIMEOUT_S)
        gevent.killall([task for task in tasks if not task.ready()])
        return sum(1 for task in tasks if task.successful() and task.value == 1)

    return Holder(hold, release)


# -- asyncio, uvloop ----------------------------------------------------------------


async def _parked_task(release: asyncio.Future[None], started: list[int], ballast: int) -> int:
    held = _ballast(ballast)
    started.append(1)
    await release
    del held
    return 1


async def _hold_tasks(n: int, ballast: int) -> tuple[asyncio.Future[None], list[asyncio.Task[int]]]:
    release: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    started: list[int] = []
    tasks = [asyncio.create_task(_parked_task(release, started, ballast)) for _ in range(n)]
    while len(started) < n:
        await asyncio.sleep(0)
    return release, tasks


def event_loop_holder(loop: asyncio.AbstractEventLoop, ballast: int = 0) -> Holder[Any]:
    """N tasks awaiting one ``Future`` on ``loop`` (which the caller made and closes)."""

    def hold(n: int) -> tuple[asyncio.Future[None], list[asyncio.Task[int]]]:
        return loop.run_until_complete(asyncio.wait_for(_hold_tasks(n, ballast), ROUND_TIMEOUT_S))

    def release(held_tasks: tuple[asyncio.Future[None], list[asyncio.Task[int]]]) -> int:
        future, tasks = held_tasks
        future.set_result(None)
        return sum(loop.run_until_complete(asyncio.wait_for(asyncio.gather(*tasks), JOIN_TIMEOUT_S)))

    return Holder(hold, release)


# -- threads ------------------------------------------------------------------------


@dataclass
class HeldThreads:
    """N threads waiting on ``release``; each appends to ``finished`` once released."""

    release: threading.Event
    threads: list[threading.Thread]
    finished: list[int]


def _parked_thread(ready: threading.Semaphore, release: threading.Event, finished: list[int], ballast: int) -> None:
    held = _ballast(ballast)
    ready.release()
    if release.wait(HOLD_TIMEOUT_S):
        finished.append(1)
    del held


def release_threads(held_threads: HeldThreads) -> int:
    """Set the event, join every thread; return how many were released (not timed out)."""
    held_threads.release.set()
    for thread in held_threads.threads:
        thread.join(JOIN_TIMEOUT_S)
    alive = sum(thread.is_alive() for thread in held_threads.threads)
    if alive:
        raise TimeoutError(f"memory: {alive} threads did not finish within {JOIN_TIMEOUT_S:.0f} s of release")
    return len(held_threads.finished)


def hold_threads(n: int, ballast: int = 0) -> HeldThreads:
    """N threads, returned once every one has said it is up (and is about to wait)."""
    ready = threading.Semaphore(0)
    held_threads = HeldThreads(threading.Event(), [], [])
    try:
        for _ in range(n):
            thread = threading.Thread(
                target=_parked_thread,
                args=(ready, held_threads.release, held_threads.finished, ballast),
                daemon=True,
            )
            thread.start()
            held_threads.threads.append(thread)
        for _ in range(n):
            if not ready.acquire(timeout=JOIN_TIMEOUT_S):
                raise TimeoutError(f"memory: a thread was not up within {JOIN_TIMEOUT_S:.0f} s")
    except BaseException:
        release_threads(held_threads)
        raise
    return held_threads


# -- processes ----------------------------------------------------------------------


@dataclass
class HeldProcesses:
    """N child processes waiting on ``release``."""

    release: ProcessEvent
    processes: list[BaseProcess]


def process_holder(start_method: str) -> Holder[HeldProcesses]:
    """N children of ``start_method`` waiting on a ``multiprocessing.Event``; footprint = their USS."""
    context = multiprocessing.get_context(start_method)

    def release(held_processes: HeldProcesses) -> int:
        held_processes.release.set()
        done = 0
        try:
            for proc in held_processes.processes:
                done += finish_process(proc) == 0
        finally:
            kill_all(held_processes.processes)
        return done

    def hold(n: int) -> HeldProcesses:
        ready = context.Semaphore(0)
        held_processes = HeldProcesses(context.Event(), [])
        try:
            for _ in range(n):
                proc = new_process(context, held, ready, held_processes.release, HOLD_TIMEOUT_S)
                proc.start()
                held_processes.processes.append(proc)
            for _ in range(n):
                if not ready.acquire(timeout=JOIN_TIMEOUT_S):
                    raise TimeoutError(f"memory: a child was not up within {JOIN_TIMEOUT_S:.0f} s")
        except BaseException:
            release(held_processes)
            raise
        return held_processes

    def footprint(held_processes: HeldProcesses) -> dict[str, int]:
        infos = [psutil.Process(p.pid).memory_full_info() for p in held_processes.processes if p.pid]
        return {"uss": sum(int(info.uss) for info in infos), "pss": sum(int(getattr(info, "pss", 0)) for info in infos)}

    return Holder(hold, release, footprint, {"start_method": start_method})
