"""spawn: create a task that does nothing, wait for it to finish; K times a round.

One operation is one task's whole life in the model's own terms, one after another
(never overlapped, so the figure is the cost of a task, not a throughput):

- ``sequential``: a plain function call, the floor every other model is above;
- ``generators``: create a generator and take its first value with ``next()``
  (it is then dropped, suspended, as a primed consumer would be);
- ``greenlet``: create a ``greenlet`` and switch into it until its function returns;
- ``gevent``: ``gevent.spawn`` and wait for the result (``get``: join, then value);
- ``asyncio``/``uvloop``: ``asyncio.create_task`` and ``await`` it, in one coroutine;
- ``threads``: create, ``start`` and ``join`` a ``threading.Thread``;
- ``thread_pool``/``process_pool``: one ``submit`` and its ``result()`` on a warm pool
  of one worker (a round trip, one task at a time, so the pool size does not matter);
- ``processes``: create, ``start`` and ``join`` a ``multiprocessing.Process``, once
  per start method (the variant), from a small helper interpreter (see :func:`processes`).

Every task returns 1 (or exits with code 0), and a round's answer is their sum: a
round is right only if all K tasks ran.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager

import greenlet

from bench.micro import MicroCase, default_start_method
from bench.micro._children import ran, start_processes
from bench.micro._loop import (
    JOIN_TIMEOUT_S,
    ROUND_TIMEOUT_S,
    Loop,
    LoopFactory,
    Plan,
    close_loop,
    counted,
    finish_process,
    kill_all,
    new_process,
)


def _first_value() -> Iterator[int]:
    yield 1


async def _aran() -> int:
    return 1


@contextmanager
def sequential(case: MicroCase, k: int) -> Iterator[Loop]:
    """K plain calls of a function that returns 1."""

    def one_round() -> int:
        done = 0
        for _ in range(k):
            done += ran()
        return done

    yield Loop(one_round, counted(k, "spawn: calls returned"), k)


@contextmanager
def generators(case: MicroCase, k: int) -> Iterator[Loop]:
    """K generators created and advanced to their first ``yield``."""

    def one_round() -> int:
        done = 0
        for _ in range(k):
            done += next(_first_value())
        return done

    yield Loop(one_round, counted(k, "spawn: generators that yielded"), k)


@contextmanager
def greenlets(case: MicroCase, k: int) -> Iterator[Loop]:
    """K greenlets, each switched into and run to its end (its value comes back to the switcher)."""
    make = greenlet.greenlet

    def one_round() -> int:
        done = 0
        for _ in range(k):
            done += make(ran).switch()
        return done

    yield Loop(one_round, counted(k, "spawn: greenlets finished"), k)


@contextmanager
def gevent_spawn(case: MicroCase, k: int) -> Iterator[Loop]:
    """K ``gevent.spawn`` + ``get``; the round runs under one ``gevent.Timeout``."""
    import gevent

    spawn = gevent.spawn

    def one_round() -> int:
        done = 0
        with gevent.Timeout(ROUND_TIMEOUT_S, TimeoutError):
            for _ in range(k):
                done += spawn(ran).get()
        return done

    yield Loop(one_round, counted(k, "spawn: greenlets finished"), k)


def _event_loop(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> LoopFactory:
    """The spawn loop of an asyncio-style event loop made by ``new_loop``."""

    @contextmanager
    def factory(case: MicroCase, k: int) -> Iterator[Loop]:
        """K ``asyncio.create_task`` + ``await`` in one coroutine, on a loop made outside timing."""

        async def tasks() -> int:
            done = 0
            for _ in range(k):
                done += await asyncio.create_task(_aran())
            return done

        loop = new_loop()
        try:

            def one_round() -> int:
                return loop.run_until_complete(asyncio.wait_for(tasks(), ROUND_TIMEOUT_S))

            yield Loop(one_round, counted(k, "spawn: tasks finished"), k)
        finally:
            close_loop(loop)

    return factory


def _uvloop() -> asyncio.AbstractEventLoop:
    import uvloop

    return uvloop.new_event_loop()


@contextmanager
def threads(case: MicroCase, k: int) -> Iterator[Loop]:
    """K threads, each created, started and joined before the next one."""

    def one_round() -> int:
        done: list[int] = []
        for _ in range(k):
            thread = threading.Thread(target=done.append, args=(1,), daemon=True)
            thread.start()
            thread.join(JOIN_TIMEOUT_S)
            if thread.is_alive():
                raise TimeoutError(f"spawn: a thread did not finish within {JOIN_TIMEOUT_S:.0f} s")
        return len(done)

    yield Loop(one_round, counted(k, "spawn: threads finished"), k)


@contextmanager
def thread_pool(case: MicroCase, k: int) -> Iterator[Loop]:
    """K ``submit(...).result()`` round trips on a warm one-worker ``ThreadPoolExecutor``."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(ran).result(JOIN_TIMEOUT_S)  # the worker thread starts here, untimed

        def one_round() -> int:
            done = 0
            for _ in range(k):
                done += pool.submit(ran).result(JOIN_TIMEOUT_S)
            return done

        yield Loop(one_round, counted(k, "spawn: pool tasks finished"), k, {"pool_size": 1})


@contextmanager
def process_pool(case: MicroCase, k: int) -> Iterator[Loop]:
    """K ``submit(...).result()`` round trips on a warm one-worker ``ProcessPoolExecutor``."""
    method = default_start_method()
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context(method))
    try:
        pool.submit(ran).result(JOIN_TIMEOUT_S)  # the worker process starts here, untimed

        def one_round() -> int:
            done = 0
            for _ in range(k):
                done += pool.submit(ran).result(JOIN_TIMEOUT_S)
            return done

        yield Loop(one_round, counted(k, "spawn: pool tasks finished"), k, {"pool_size": 1, "start_method": method})
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def processes(case: MicroCase, k: int) -> Iterator[Loop]:
    """K processes of the case's start method, each started and joined before the next one.

    A small helper interpreter, the starter (made with ``spawn``, untimed), starts
    them; a round is one request to it and its reply. ``fork`` copies the page tables
    of the process that forks, so its cost grows with that process's size (~0.1 ms
    per MiB of resident memory on a small machine): started from the process that
    times them, the figure would measure the size of pytest and its plugins. From the
    starter it is the cost of forking a small Python program, whoever times it.
    """
    assert case.variant is not None, "processes cases carry their start method as the variant"
    spawner = multiprocessing.get_context("spawn")
    here, there = spawner.Pipe()
    # Not a daemon: it starts children of its own. It ends on None, or when ``here`` closes.
    starter = new_process(spawner, start_processes, there, case.variant, JOIN_TIMEOUT_S, name="starter", daemon=False)
    starter.start()
    there.close()

    def request(count: int) -> int:
        here.send(count)
        if not here.poll(ROUND_TIMEOUT_S):
            raise TimeoutError(f"spawn: the starter did not start {count} processes within {ROUND_TIMEOUT_S:.0f} s")
        return int(here.recv())

    def one_round() -> int:
        return request(k)

    try:
        request(0)  # the starter is up and listening before anything is timed
        yield Loop(one_round, counted(k, "spawn: processes exited with code 0"), k, {"start_method": case.variant})
        here.send(None)
        finish_process(starter)
    finally:
        here.close()
        kill_all([starter])


PLAN = Plan(
    micro="spawn",
    operation="task",
    loops={
        "sequential": sequential,
        "threads": threads,
        "thread_pool": thread_pool,
        "processes": processes,
        "process_pool": process_pool,
        "generators": generators,
        "greenlet": greenlets,
        "gevent": gevent_spawn,
        "asyncio": _event_loop(asyncio.new_event_loop),
        "uvloop": _event_loop(_uvloop),
    },
    skips={},
    mechanisms={
        "sequential": "a plain call",
        "threads": "threading.Thread start + join",
        "thread_pool": "submit + result on a pool of one",
        "processes": "multiprocessing.Process start + join, from a small helper",
        "process_pool": "submit + result on a pool of one",
        "generators": "generator creation + next()",
        "greenlet": "greenlet creation + switch()",
        "gevent": "gevent.spawn + get (through the hub)",
        "asyncio": "create_task + await (through the event loop)",
        "uvloop": "create_task + await (through the event loop)",
    },
)
