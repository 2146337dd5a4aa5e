"""spawn: create a task that does nothing, wait for it to finish; K times a round.

One operation is one task's whole life in the model's own terms, one after another
(never overlapped, so the figure is the cost of a task, not a throughput). Each
model's loop lives in its own module (its ``spawn`` hook, :mod:`bench.micro.hooks`);
a plain call is the floor every other model is above.

Every task returns 1 (or exits with code 0), and a round's answer is their sum: a
round is right only if all K tasks ran. What is here is shared by models built on
an asyncio-style event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from bench.micro import MicroCase
from bench.micro._loop import ROUND_TIMEOUT_S, Loop, LoopFactory, close_loop, counted


async def _aran() -> int:
    return 1


def event_loop_spawn(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> LoopFactory:
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
