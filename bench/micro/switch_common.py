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
the pipes, the blocking ping, and the two sides as generator tasks that yield
``Readable(fd)`` (for a scheduler or hub that waits in a selector). The two sides as
asyncio-style tasks are the event loop's, in :mod:`bench.models.asyncio`.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from typing import Any

from bench.micro._loop import Loop, WrongAnswer, counted
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


def common_loop(one_round: Callable[[], int], handovers: int, model: str, **recorded: Any) -> Loop:
    """A switch loop of the common family: as :func:`switch_loop`, its errors naming the family."""
    return switch_loop(one_round, handovers, f"{model} (common)", **recorded)


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
