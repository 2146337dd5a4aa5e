"""How a model holds N tasks alive at once, and releases them: the memory micro-cost's shared parts.

Each model's module makes its own :class:`Holder` (its memory hook); what is
here is shared: the holder's shape, the ballast, and the holder of an asyncio-style
event loop. A :class:`Holder` pairs ``hold(n)``, which creates N tasks and returns once every one
is blocked the model's own way, with ``release(held)``, which unblocks them, waits
for every one to finish and returns how many finished normally.

The in-process holders take a ``ballast``: bytes each held task keeps alive in a
``bytearray`` of its own (zero-filled, so its pages are resident). It is 0 in every
measurement; a known ballast is how the tests prove that the memory figure sees
what a task holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from bench.micro._loop import JOIN_TIMEOUT_S, ROUND_TIMEOUT_S

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


def ballast_bytes(size: int) -> bytearray | None:
    """What a held task keeps alive besides itself: ``size`` zero bytes, or nothing."""
    return bytearray(size) if size else None


# -- an asyncio-style event loop ---------------------------------------------------


async def _parked_task(release: asyncio.Future[None], started: list[int], size: int) -> int:
    held = ballast_bytes(size)
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
