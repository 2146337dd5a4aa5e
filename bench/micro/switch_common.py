"""switch, common family: every model hands over through the same OS pipe.

The native hand-overs differ in more than the model (a bare switch against a queue
plus a hub), so this family gives every model that can wait on a file descriptor one
and the same mechanism: two ``os.pipe()`` s, one each way. Ping writes an 8-byte
value into one pipe and waits for it to come back on the other; pong waits for a
value, reads it and writes it back. How each side *waits* is the model's own, in its
module (its ``switch_common`` hook, :mod:`bench.micro.hooks`): blocked in
``os.read``, parked in a selector, woken by an event loop's ``add_reader``.

The answer is the same checksum as the native family: the sum of every value that
made the round trip. A negative value tells pong to stop. What is here is shared:
the pipes, the blocking ping, the two sides as generator tasks that yield
``Readable(fd)`` (for a scheduler or hub that waits in a selector), and the two
sides as asyncio-style tasks.
"""

from __future__ import annotations

import asyncio
import os
import struct
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any

from bench.micro import MicroCase
from bench.micro._loop import ROUND_TIMEOUT_S, Loop, LoopFactory, WrongAnswer, close_loop, counted
from workloads._base import Readable

VALUE = struct.Struct("<q")
STOP = VALUE.pack(-1)


def switch_loop(one_round: Callable[[], int], handovers: int, what: str, **recorded: Any) -> Loop:
    """A switch loop of ``handovers`` (rounded down to whole round trips) that ``one_round`` performs.

    Each round passes the values 0 .. round_trips - 1 and returns their sum, checked
    against the closed form; both families of switch use it.
    """
    round_trips = handovers // 2
    return Loop(
        one_round,
        counted(round_trips * (round_trips - 1) // 2, f"switch {what}: sum of values passed"),
        2 * round_trips,
        dict(recorded),
    )


def common_loop(one_round: Callable[[], int], handovers: int, backend: str, **recorded: Any) -> Loop:
    """A switch loop of the common family: as :func:`switch_loop`, its errors naming the family."""
    return switch_loop(one_round, handovers, f"{backend} (common)", **recorded)


def read_value(fd: int) -> int:
    """Read one 8-byte value from ``fd``; a short read (the other end closed) is an error."""
    data = os.read(fd, VALUE.size)
    if len(data) != VALUE.size:
        raise WrongAnswer(f"switch (common): read {len(data)} bytes from the pipe, expected {VALUE.size}")
    return int(VALUE.unpack(data)[0])


@contextmanager
def pipes() -> Iterator[tuple[int, int, int, int]]:
    """``(to_pong_r, to_pong_w, to_ping_r, to_ping_w)``: two pipes, closed when the block ends."""
    to_pong_r, to_pong_w = os.pipe()
    to_ping_r, to_ping_w = os.pipe()
    try:
        yield to_pong_r, to_pong_w, to_ping_r, to_ping_w
    finally:
        for fd in (to_pong_r, to_pong_w, to_ping_r, to_ping_w):
            os.close(fd)


def blocking_ping(round_trips: int, send_fd: int, recv_fd: int) -> int:
    """Ping blocking in ``os.write``/``os.read``: send 0 .. round_trips - 1, return the sum of the echoes."""
    total = 0
    write, pack = os.write, VALUE.pack
    for i in range(round_trips):
        write(send_fd, pack(i))
        total += read_value(recv_fd)
    return total


def ping_task(round_trips: int, send_fd: int, recv_fd: int) -> Generator[Readable, None, int]:
    """Ping as a generator task that yields ``Readable`` while it waits; returns its total, then stops pong."""
    total = 0
    for i in range(round_trips):
        os.write(send_fd, VALUE.pack(i))
        yield Readable(recv_fd)
        total += read_value(recv_fd)
    os.write(send_fd, STOP)
    return total


def pong_task(recv_fd: int, send_fd: int) -> Generator[Readable, None, int]:
    """Pong as a generator task: echo every value until a negative one; returns 0."""
    while True:
        yield Readable(recv_fd)
        n = read_value(recv_fd)
        if n < 0:
            return 0
        os.write(send_fd, VALUE.pack(n))


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


def event_loop_common(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> LoopFactory:
    """The common switch loop of an asyncio-style event loop made by ``new_loop``."""

    @contextmanager
    def factory(case: MicroCase, k: int) -> Iterator[Loop]:
        """Two tasks woken by ``add_reader`` on two pipes, on a loop made outside timing."""
        loop = new_loop()
        try:
            with pipes() as fds:
                yield common_loop(
                    lambda: loop.run_until_complete(asyncio.wait_for(ping_pong_pipe(k // 2, fds), ROUND_TIMEOUT_S)),
                    k,
                    case.backend,
                )
        finally:
            close_loop(loop)

    return factory
