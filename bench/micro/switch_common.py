"""switch, common family: every model hands over through the same OS pipe.

The native hand-overs differ in more than the model (a bare ``greenlet.switch()``
against a queue plus gevent's hub), so this family gives every model that can wait
on a file descriptor one and the same mechanism: two ``os.pipe()`` s, one each way.
Ping writes an 8-byte value into one pipe and waits for it to come back on the other;
pong waits for a value, reads it and writes it back. How each side *waits* is the
model's own:

- ``threads``: the partner thread blocks in ``os.read`` (the GIL is released);
- ``processes``: the same, in a partner child, on two one-way ``multiprocessing.Pipe``
  (raw ``os.read``/``os.write`` on their descriptors, nothing pickled);
- ``generators``: both tasks yield ``Readable(fd)`` to the yield scheduler, which
  waits in its selector;
- ``greenlet``: the same two tasks, driven by the greenlet hub's selector;
- ``gevent``: ``gevent.os.nb_read``/``nb_write``: gevent's hub waits on the descriptor;
- ``asyncio``/``uvloop``: the loop's ``add_reader`` wakes the waiting task.

The answer is the same checksum as the native family: the sum of every value that
made the round trip. A negative value tells pong to stop.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import struct
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any

from bench.backends._reactor import Reactor
from bench.backends.generators import run_generators
from bench.backends.greenlet_hub import Hub
from bench.micro import MicroCase
from bench.micro._children import echo_fd
from bench.micro._loop import (
    JOIN_TIMEOUT_S,
    ROUND_TIMEOUT_S,
    Loop,
    LoopFactory,
    WrongAnswer,
    close_loop,
    counted,
    expect,
    finish_process,
    kill_all,
    new_process,
)
from bench.micro.placement import cpus, pin_process, pin_this_thread, pinned
from workloads._base import Readable, TaskGenerator

VALUE = struct.Struct("<q")
STOP = VALUE.pack(-1)


def switch_loop(one_round: Callable[[], int], handovers: int, what: str, mechanism: str, **recorded: Any) -> Loop:
    """A switch loop of ``handovers`` (rounded down to whole round trips) through ``mechanism``.

    Each round passes the values 0 .. round_trips - 1 and returns their sum, checked
    against the closed form; both families of switch use it.
    """
    round_trips = handovers // 2
    return Loop(
        one_round,
        counted(round_trips * (round_trips - 1) // 2, f"switch {what}: sum of values passed"),
        2 * round_trips,
        {"mechanism": mechanism, **recorded},
    )


def _loop(one_round: Callable[[], int], handovers: int, backend: str, mechanism: str, **recorded: Any) -> Loop:
    return switch_loop(one_round, handovers, f"{backend} (common)", mechanism, **recorded)


def read_value(fd: int) -> int:
    """Read one 8-byte value from ``fd``; a short read (the other end closed) is an error."""
    data = os.read(fd, VALUE.size)
    if len(data) != VALUE.size:
        raise WrongAnswer(f"switch (common): read {len(data)} bytes from the pipe, expected {VALUE.size}")
    return int(VALUE.unpack(data)[0])


@contextmanager
def _pipes() -> Iterator[tuple[int, int, int, int]]:
    """``(to_pong_r, to_pong_w, to_ping_r, to_ping_w)``: two pipes, closed when the block ends."""
    to_pong_r, to_pong_w = os.pipe()
    to_ping_r, to_ping_w = os.pipe()
    try:
        yield to_pong_r, to_pong_w, to_ping_r, to_ping_w
    finally:
        for fd in (to_pong_r, to_pong_w, to_ping_r, to_ping_w):
            os.close(fd)


def _blocking_ping(round_trips: int, send_fd: int, recv_fd: int) -> int:
    total = 0
    write, pack = os.write, VALUE.pack
    for i in range(round_trips):
        write(send_fd, pack(i))
        total += read_value(recv_fd)
    return total


def _echo_thread(recv_fd: int, send_fd: int, cpu: int | None) -> None:
    pin_this_thread(cpu)
    while (n := read_value(recv_fd)) >= 0:
        os.write(send_fd, VALUE.pack(n))


@contextmanager
def threads(case: MicroCase, k: int) -> Iterator[Loop]:
    """This thread and a partner thread blocking in ``os.read`` on two pipes, at the case's placement."""
    here, there = cpus(case.placement)
    with _pipes() as (to_pong_r, to_pong_w, to_ping_r, to_ping_w):
        partner = threading.Thread(
            target=_echo_thread, args=(to_pong_r, to_ping_w, there), name="switch-partner", daemon=True
        )
        partner.start()
        try:
            with pinned(here):
                yield _loop(
                    lambda: _blocking_ping(k // 2, to_pong_w, to_ping_r), k, "threads", "os.pipe, blocking read"
                )
        finally:
            os.write(to_pong_w, STOP)
            partner.join(JOIN_TIMEOUT_S)


@contextmanager
def processes(case: MicroCase, k: int) -> Iterator[Loop]:
    """This process and a partner child blocking in ``os.read`` on two one-way ``Pipe`` s."""
    assert case.variant is not None, "processes cases carry their start method as the variant"
    context = multiprocessing.get_context(case.variant)
    to_pong_r, to_pong_w = context.Pipe(duplex=False)
    to_ping_r, to_ping_w = context.Pipe(duplex=False)
    partner = new_process(context, echo_fd, to_pong_r, to_ping_w, os.getpid(), name="switch-partner")
    partner.start()
    to_pong_r.close()
    to_ping_w.close()
    here, there = cpus(case.placement)
    send_fd, recv_fd = to_pong_w.fileno(), to_ping_r.fileno()
    try:
        assert partner.pid is not None
        pin_process(partner.pid, there)
        expect(_blocking_ping(1, send_fd, recv_fd), 0, "switch processes (common): the partner's first answer")
        with pinned(here):
            yield _loop(
                lambda: _blocking_ping(k // 2, send_fd, recv_fd),
                k,
                "processes",
                "os.pipe, blocking read",
                start_method=case.variant,
            )
        os.write(send_fd, STOP)
        finish_process(partner)
    finally:
        to_pong_w.close()
        to_ping_r.close()
        kill_all([partner])


def _ping_task(round_trips: int, send_fd: int, recv_fd: int) -> Generator[Readable, None, int]:
    total = 0
    for i in range(round_trips):
        os.write(send_fd, VALUE.pack(i))
        yield Readable(recv_fd)
        total += read_value(recv_fd)
    os.write(send_fd, STOP)
    return total


def _pong_task(recv_fd: int, send_fd: int) -> Generator[Readable, None, int]:
    while True:
        yield Readable(recv_fd)
        n = read_value(recv_fd)
        if n < 0:
            return 0
        os.write(send_fd, VALUE.pack(n))


@contextmanager
def generators(case: MicroCase, k: int) -> Iterator[Loop]:
    """Two generator tasks under the yield scheduler, waiting in its selector (made once)."""
    reactor: Reactor[Any] = Reactor()
    try:
        with _pipes() as (to_pong_r, to_pong_w, to_ping_r, to_ping_w):

            def one_round() -> int:
                tasks: list[TaskGenerator] = [
                    _ping_task(k // 2, to_pong_w, to_ping_r),
                    _pong_task(to_pong_r, to_ping_w),
                ]
                return int(run_generators(tasks, reactor)[0])

            yield _loop(one_round, k, "generators", "os.pipe via the scheduler's selector")
    finally:
        reactor.close()


@contextmanager
def greenlets(case: MicroCase, k: int) -> Iterator[Loop]:
    """Two greenlets under the greenlet hub, waiting in its selector (made once)."""
    hub = Hub()
    try:
        with _pipes() as (to_pong_r, to_pong_w, to_ping_r, to_ping_w):

            def task(i: int) -> Generator[Readable, None, int]:
                return _ping_task(k // 2, to_pong_w, to_ping_r) if i == 0 else _pong_task(to_pong_r, to_ping_w)

            yield _loop(lambda: int(hub.run(task, 2)[0]), k, "greenlet", "os.pipe via the hub's selector")
    finally:
        hub.close()


@contextmanager
def gevent_pipe(case: MicroCase, k: int) -> Iterator[Loop]:
    """Two gevent greenlets on ``gevent.os.nb_read``/``nb_write``: the hub waits on the pipe."""
    import gevent
    from gevent.os import nb_read, nb_write

    round_trips = k // 2
    with _pipes() as (to_pong_r, to_pong_w, to_ping_r, to_ping_w):
        for fd in (to_pong_r, to_pong_w, to_ping_r, to_ping_w):
            os.set_blocking(fd, False)  # nb_read and nb_write need non-blocking descriptors

        def get(fd: int) -> int:
            data = nb_read(fd, VALUE.size)
            if len(data) != VALUE.size:
                raise WrongAnswer(f"switch gevent (common): read {len(data)} bytes, expected {VALUE.size}")
            return int(VALUE.unpack(data)[0])

        def ping() -> int:
            total = 0
            for i in range(round_trips):
                nb_write(to_pong_w, VALUE.pack(i))
                total += get(to_ping_r)
            nb_write(to_pong_w, STOP)
            return total

        def pong() -> None:
            while (n := get(to_pong_r)) >= 0:
                nb_write(to_ping_w, VALUE.pack(n))

        def one_round() -> int:
            tasks = [gevent.spawn(ping), gevent.spawn(pong)]
            try:
                gevent.joinall(tasks, timeout=ROUND_TIMEOUT_S, raise_error=True)
                if not all(task.ready() for task in tasks):
                    raise TimeoutError(f"switch gevent: the round did not finish within {ROUND_TIMEOUT_S:.0f} s")
                return int(tasks[0].value)
            finally:
                gevent.killall([task for task in tasks if not task.ready()])

        yield _loop(one_round, k, "gevent", "os.pipe via gevent's hub (gevent.os.nb_read)")


async def _readable(loop: asyncio.AbstractEventLoop, fd: int) -> None:
    """Wait until ``fd`` is readable, through ``loop.add_reader``."""
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        loop.remove_reader(fd)
        ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


async def ping_pong_pipe(round_trips: int, fds: tuple[int, int, int, int]) -> int:
    """Two asyncio tasks handing values over through two pipes; return ping's total."""
    to_pong_r, to_pong_w, to_ping_r, to_ping_w = fds
    loop = asyncio.get_running_loop()

    async def ping() -> int:
        total = 0
        for i in range(round_trips):
            os.write(to_pong_w, VALUE.pack(i))
            await _readable(loop, to_ping_r)
            total += read_value(to_ping_r)
        os.write(to_pong_w, STOP)
        return total

    async def pong() -> int:
        while True:
            await _readable(loop, to_pong_r)
            n = read_value(to_pong_r)
            if n < 0:
                return 0
            os.write(to_ping_w, VALUE.pack(n))

    tasks = (asyncio.create_task(ping()), asyncio.create_task(pong()))
    try:
        total, _ = await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
    return int(total)


def event_loop(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> LoopFactory:
    """The common switch loop of an asyncio-style event loop made by ``new_loop``."""

    @contextmanager
    def factory(case: MicroCase, k: int) -> Iterator[Loop]:
        """Two tasks woken by ``add_reader`` on two pipes, on a loop made outside timing."""
        loop = new_loop()
        try:
            with _pipes() as fds:
                yield _loop(
                    lambda: loop.run_until_complete(asyncio.wait_for(ping_pong_pipe(k // 2, fds), ROUND_TIMEOUT_S)),
                    k,
                    case.backend,
                    "os.pipe via the loop's add_reader",
                )
        finally:
            close_loop(loop)

    return factory
