"""asyncio: ``asyncio.gather`` over the coroutine form on one loop, and the event-loop micro-costs.

The loop is created outside the timed region and reused across rounds.

Its micro-costs run on a loop of the model's own, made outside the timed region:
spawn is ``asyncio.create_task`` and ``await``; switch hands values between two tasks
through two ``asyncio.Queue`` (native) or two OS pipes, each task woken by the loop's
``add_reader`` (common); memory holds N tasks awaiting one ``Future``. Every helper
takes the function that makes a loop, so that :mod:`bench.models.uvloop` measures
the same operations on its own loop.

Every import is absolute: ``asyncio`` here is the standard library's, not this module.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from bench.micro import MicroCase
from bench.micro._held import Holder, ballast_bytes
from bench.micro._loop import JOIN_TIMEOUT_S, ROUND_TIMEOUT_S, Loop, LoopFactory, counted
from bench.micro.costs import IPC, MEMORY, SPAWN, SWITCH
from bench.micro.hooks import Families, HolderFactory, MemoryHook, MicroHooks, MicroLoop, PerProfile, Skip
from bench.micro.switch_common import STOP, VALUE, common_loop, pipes, read_value, switch_loop
from bench.models._base import Model, Task, Traits
from bench.models._skips import NOT_IPC
from workloads.protocol import Form


async def _gather(task: Task, n_tasks: int) -> list[Any]:
    tasks = [asyncio.ensure_future(task(i)) for i in range(n_tasks)]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        # One task failed: the others must not outlive the round (nor the loop).
        for pending in tasks:
            pending.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def _holder(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> HolderFactory:
    """The memory holder on a loop made by ``new_loop`` (made and closed around the hold)."""

    @contextmanager
    def holder(case: MicroCase, ballast: int) -> Iterator[Holder[Any]]:
        loop = new_loop()
        try:
            yield event_loop_holder(loop, ballast)
        finally:
            close_loop(loop)

    return holder


def event_loop_micro_hooks(name: str, new_loop: Callable[[], asyncio.AbstractEventLoop]) -> MicroHooks:
    """The micro-cost hooks of an asyncio-style model whose loops ``new_loop`` makes."""
    return MicroHooks(
        {
            SPAWN: MicroLoop(
                event_loop_spawn(new_loop), "create_task + await (through the event loop)", PerProfile(quick=5_000)
            ),
            SWITCH: Families(
                MicroLoop(event_loop_switch(new_loop), "asyncio.Queue via the event loop", PerProfile(quick=10_000)),
                common=MicroLoop(
                    event_loop_common(new_loop), "os.pipe via the loop's add_reader", PerProfile(quick=2_000)
                ),
            ),
            IPC: Skip(NOT_IPC + f"{name} tasks share one thread and pass values by reference"),
            MEMORY: MemoryHook(_holder(new_loop), "task awaiting a Future", PerProfile(quick=10_000, smoke=1_000)),
        }
    )


class Asyncio(Model):
    """The stdlib event loop."""

    name = "asyncio"
    form = Form.COROUTINE
    summary = "asyncio event loop: gather all coroutines"
    traits = Traits(waits="cooperative", parallel_python=False, in_parent=True, fixed_pool=False)
    colour = "#9467bd"

    def __init__(self, variant: str | None = None) -> None:
        super().__init__(variant)
        self.loop = self.new_loop()

    def new_loop(self) -> asyncio.AbstractEventLoop:
        """Create this model's event loop."""
        return asyncio.new_event_loop()

    def parameters(self) -> Mapping[str, Any]:
        return {"loop": type(self.loop).__module__ + "." + type(self.loop).__name__}

    def close(self) -> None:
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        try:
            return self.loop.run_until_complete(_gather(task, n_tasks))
        except Exception as exc:
            # A task's error is raised again from here, without the event loop's
            # frames: formatting those crashes pytest on CPython 3.11 (SystemError
            # in the compiler), which would end the session instead of the case.
            raise exc.with_traceback(None) from None

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        return event_loop_micro_hooks("asyncio", asyncio.new_event_loop)


# -- the event-loop micro-costs, on a loop made by ``new_loop`` ---------------------


def close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is still pending on ``loop`` (a failed round's tasks), wait for it, close the loop."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.wait(pending, timeout=JOIN_TIMEOUT_S))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()


# spawn: create a task that does nothing and await it, K times a round.


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


# switch, native family: two tasks handing values over through two asyncio.Queue.


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
                case.model,
            )
        finally:
            close_loop(loop)

    return factory


# switch, common family: two tasks woken by add_reader on two OS pipes.


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
                    case.model,
                )
        finally:
            close_loop(loop)

    return factory


# memory: N tasks awaiting one Future.


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
