"""switch: hand control back and forth between two tasks; K hand-overs a round.

A hand-over is one task giving control to the other; a round trip (ping to pong and
back) is two. The ping task sends 0, 1, 2, ... and the pong task returns or sums
them, so a round's answer is the sum ``0 + 1 + ... + (K/2 - 1)``: right only if
every value made the trip (:func:`~bench.micro.switch_common.switch_loop` checks it).

That is the ``native`` family: each model's own hand-over, stated in its module (its
``switch`` hook, :mod:`bench.micro.hooks`), so the figures also differ by what the
hand-over goes through (a bare switch against a queue and a hub). The ``common``
family (:mod:`bench.micro.switch_common`) hands every model over through the same
OS pipe, so that only the model differs. For in-process models both tasks are
created per round (two creations against thousands of hand-overs); a partner thread
or process is started once, untimed, as making one is what ``spawn`` measures. A
model with no second live task to hand over to states why in its ``switch`` hook.

What is here is shared by models built on an asyncio-style event loop: two tasks
handing values over through two ``asyncio.Queue``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bench.micro import MicroCase
from bench.micro._loop import ROUND_TIMEOUT_S, Loop, LoopFactory, close_loop
from bench.micro.switch_common import switch_loop


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


def event_loop_switch(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> LoopFactory:
    """The native switch loop of an asyncio-style event loop made by ``new_loop``."""

    @contextmanager
    def factory(case: MicroCase, k: int) -> Iterator[Loop]:
        """Two tasks and two ``asyncio.Queue`` on a loop made outside timing."""
        loop = new_loop()
        try:
            yield switch_loop(
                lambda: loop.run_until_complete(asyncio.wait_for(ping_pong_tasks(k // 2), ROUND_TIMEOUT_S)),
                k,
                case.backend,
            )
        finally:
            close_loop(loop)

    return factory
