"""switch: hand control back and forth between two tasks; K hand-overs a round.

A hand-over is one task giving control to the other; a round trip (ping to pong and
back) is two. The ping task sends 0, 1, 2, ... and the pong task returns or sums
them, so a round's answer is the sum ``0 + 1 + ... + (K/2 - 1)``: right only if
every value made the trip.

- ``generators``: the classic producer/consumer: the producer ``send()``s each value
  into a consumer generator, which sums it and ``yield``s control back;
- ``greenlet``: greenlet's own test1/test2 example: two greenlets ``switch()`` to each other;
- ``gevent``: two greenlets handing values over through two ``gevent.queue.Queue``
  (each hand-over goes through gevent's hub, as every gevent wait does);
- ``asyncio``/``uvloop``: two tasks handing values over through two ``asyncio.Queue``;
- ``threads``: the calling thread and a partner thread, through two ``queue.Queue``;
- ``processes``: this process and a partner child, through a duplex ``Pipe``
  (``send``/``recv`` of the value), with the default start method only.

For the in-process models both tasks are created per round (two creations against
thousands of hand-overs); the partner thread or process is started once, untimed,
as making one is what ``spawn`` measures. ``sequential``, ``thread_pool`` and
``process_pool`` have no second task to hand over to (see :data:`PLAN`'s skips).

That is the ``native`` family: each model's own hand-over, so the figures also differ
by what the hand-over goes through (a bare switch against a queue and a hub). The
``common`` family (:mod:`bench.micro.switch_common`) hands every model over through
the same OS pipe, so that only the model differs. Every loop records its
``mechanism``; the two-thread and two-process loops run at the case's ``placement``
(:mod:`bench.micro.placement`).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import AbstractContextManager, contextmanager

import greenlet

from bench.micro import MicroCase, switch_common
from bench.micro._children import echo
from bench.micro._loop import (
    JOIN_TIMEOUT_S,
    ROUND_TIMEOUT_S,
    Loop,
    LoopFactory,
    Plan,
    WrongAnswer,
    close_loop,
    expect,
    finish_process,
    kill_all,
    new_process,
)
from bench.micro.placement import cpus, pin_process, pin_this_thread, pinned

_loop = switch_common.switch_loop


def _consumer() -> Generator[None, int | None, int]:
    """The consumer: sums what it is sent; ``None`` ends it with the total."""
    total = 0
    while True:
        n = yield
        if n is None:
            return total
        total += n


def produce(round_trips: int) -> int:
    """The producer: ``send()`` 0 .. round_trips - 1 into a fresh consumer; return its total."""
    consumer = _consumer()
    next(consumer)
    send = consumer.send
    for i in range(round_trips):
        send(i)
    try:
        consumer.send(None)
    except StopIteration as stop:
        return int(stop.value)
    raise WrongAnswer("switch generators: the consumer did not return its total")


def ping_pong_greenlets(round_trips: int) -> int:
    """greenlet's test1/test2 example: two greenlets switch to each other; return pong's total.

    Pong's parent is ping, so when pong returns its total it arrives in ping's last
    ``switch``, and ping's own return arrives here.
    """

    def ping() -> int:
        for i in range(round_trips):
            pong_task.switch(i)
        return int(pong_task.switch(None))

    def pong(n: int | None) -> int:
        total = 0
        while n is not None:
            total += n
            n = ping_task.switch()
        return total

    ping_task = greenlet.greenlet(ping)
    pong_task = greenlet.greenlet(pong, parent=ping_task)
    return int(ping_task.switch())


@contextmanager
def generators(case: MicroCase, k: int) -> Iterator[Loop]:
    """Producer/consumer with ``send()``."""
    yield _loop(lambda: produce(k // 2), k, "generators", "generator.send")


@contextmanager
def greenlets(case: MicroCase, k: int) -> Iterator[Loop]:
    """test1/test2 with ``greenlet.switch()``."""
    yield _loop(lambda: ping_pong_greenlets(k // 2), k, "greenlet", "greenlet.switch")


@contextmanager
def gevent_queues(case: MicroCase, k: int) -> Iterator[Loop]:
    """Two greenlets spawned by gevent, handing values over through two ``gevent.queue.Queue``."""
    import gevent
    from gevent.queue import Queue

    round_trips = k // 2

    def one_round() -> int:
        to_pong: Queue = Queue()
        to_ping: Queue = Queue()

        def ping() -> int:
            total = 0
            put, get = to_pong.put, to_ping.get
            for i in range(round_trips):
                put(i)
                total += get()
            put(None)
            return total

        def pong() -> None:
            get, put = to_pong.get, to_ping.put
            while (n := get()) is not None:
                put(n)

        tasks = [gevent.spawn(ping), gevent.spawn(pong)]
        try:
            gevent.joinall(tasks, timeout=ROUND_TIMEOUT_S, raise_error=True)
            if not all(task.ready() for task in tasks):
                raise TimeoutError(f"switch gevent: the round did not finish within {ROUND_TIMEOUT_S:.0f} s")
            return int(tasks[0].value)
        finally:
            gevent.killall([task for task in tasks if not task.ready()])

    yield _loop(one_round, k, "gevent", "gevent.queue.Queue via the hub")


async def ping_pong_tasks(round_trips: int) -> int:
    """Two asyncio tasks hand values over through two ``asyncio.Queue``; return ping's total."""
    to_pong: asyncio.Queue[int | None] = asyncio.Queue()
    to_ping: asyncio.Queue[int] = asyncio.Queue()

    async def ping() -> int:
        total = 0
        put, get = to_pong.put_nowait, to_ping.get
        for i in range(round_trips):
            put(i)
            total += await get()
        put(None)
        return total

    async def pong() -> None:
        get, put = to_pong.get, to_ping.put_nowait
        while (n := await get()) is not None:
            put(n)

    tasks = (asyncio.create_task(ping()), asyncio.create_task(pong()))
    try:
        total, _ = await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()  # no-op once finished; stops the partner when the other failed
    return int(total)


def _event_loop(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> LoopFactory:
    """The switch loop of an asyncio-style event loop made by ``new_loop``."""

    @contextmanager
    def factory(case: MicroCase, k: int) -> Iterator[Loop]:
        """Two tasks and two ``asyncio.Queue`` on a loop made outside timing."""
        loop = new_loop()
        try:
            yield _loop(
                lambda: loop.run_until_complete(asyncio.wait_for(ping_pong_tasks(k // 2), ROUND_TIMEOUT_S)),
                k,
                case.backend,
                "asyncio.Queue via the event loop",
            )
        finally:
            close_loop(loop)

    return factory


def _uvloop() -> asyncio.AbstractEventLoop:
    import uvloop

    return uvloop.new_event_loop()


def _echo_thread(inbox: queue.Queue[int | None], outbox: queue.Queue[int], cpu: int | None) -> None:
    pin_this_thread(cpu)
    get, put = inbox.get, outbox.put
    while (n := get()) is not None:
        put(n)


@contextmanager
def threads(case: MicroCase, k: int) -> Iterator[Loop]:
    """This thread and a partner thread, through two ``queue.Queue``, at the case's placement."""
    here, there = cpus(case.placement)
    to_pong: queue.Queue[int | None] = queue.Queue()
    to_ping: queue.Queue[int] = queue.Queue()
    partner = threading.Thread(target=_echo_thread, args=(to_pong, to_ping, there), name="switch-partner", daemon=True)
    partner.start()
    round_trips = k // 2

    def one_round() -> int:
        total = 0
        put, get = to_pong.put, to_ping.get
        for i in range(round_trips):
            put(i)
            total += get(timeout=JOIN_TIMEOUT_S)
        return total

    try:
        with pinned(here):
            yield _loop(one_round, k, "threads", "queue.Queue")
    finally:
        to_pong.put(None)
        partner.join(JOIN_TIMEOUT_S)


@contextmanager
def processes(case: MicroCase, k: int) -> Iterator[Loop]:
    """This process and a partner child, through a duplex ``Pipe``, at the case's placement.

    A child that dies closes its end, so ``recv`` here fails with ``EOFError``
    instead of waiting forever.
    """
    assert case.variant is not None, "processes cases carry their start method as the variant"
    context = multiprocessing.get_context(case.variant)
    here, there = context.Pipe()
    partner = new_process(context, echo, there, os.getpid(), name="switch-partner")
    partner.start()
    there.close()
    here_cpu, there_cpu = cpus(case.placement)
    round_trips = k // 2

    def one_round() -> int:
        total = 0
        send, recv = here.send, here.recv
        for i in range(round_trips):
            send(i)
            total += recv()
        return total

    try:
        assert partner.pid is not None
        pin_process(partner.pid, there_cpu)
        here.send(0)  # the partner is up and answering before anything is timed
        expect(here.recv(), 0, "switch processes: the partner's first answer")
        with pinned(here_cpu):
            yield _loop(one_round, k, "processes", "multiprocessing.Pipe send/recv", start_method=case.variant)
        here.send(None)
        finish_process(partner)
    finally:
        here.close()
        kill_all([partner])


def _families(native: LoopFactory, common: LoopFactory) -> LoopFactory:
    """The loop factory that runs ``native`` or ``common`` by the case's family."""

    def factory(case: MicroCase, k: int) -> AbstractContextManager[Loop]:
        return common(case, k) if case.family == "common" else native(case, k)

    return factory


PLAN = Plan(
    micro="switch",
    operation="hand-over",
    loops={
        "threads": _families(threads, switch_common.threads),
        "processes": _families(processes, switch_common.processes),
        "generators": _families(generators, switch_common.generators),
        "greenlet": _families(greenlets, switch_common.greenlets),
        "gevent": _families(gevent_queues, switch_common.gevent_pipe),
        "asyncio": _families(_event_loop(asyncio.new_event_loop), switch_common.event_loop(asyncio.new_event_loop)),
        "uvloop": _families(_event_loop(_uvloop), switch_common.event_loop(_uvloop)),
    },
    skips={
        "sequential": "sequential runs one task to its end before the next starts, so there is no second live "
        "task to hand over to; its floor is spawn's plain call",
        "thread_pool": "a pool task cannot hand control to another task without blocking a pool worker; the "
        "hand-over between two threads is threads' switch",
        "process_pool": "a pool task cannot hand control to another task without blocking a pool worker; the "
        "hand-over between two processes is processes' switch",
    },
)
