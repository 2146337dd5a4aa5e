"""asyncio and uvloop: ``asyncio.gather`` over the coroutine form on one loop.

The loop is created outside the timed region and reused across rounds.

Their micro-costs run on a loop of the model's own, made outside the timed region:
spawn is ``asyncio.create_task`` and ``await``; switch hands values between two tasks
through two ``asyncio.Queue`` (native) or two OS pipes, each task woken by the loop's
``add_reader`` (common); memory holds N tasks awaiting one ``Future``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from bench.backends._base import Backend, Task, Traits
from bench.backends._skips import NOT_IPC
from bench.micro import MicroCase
from bench.micro._held import Holder, event_loop_holder
from bench.micro._loop import close_loop
from bench.micro.costs import IPC, MEMORY, SPAWN, SWITCH
from bench.micro.hooks import Families, HolderFactory, MemoryHook, MicroHooks, MicroLoop, PerProfile, Skip
from bench.micro.spawn import event_loop_spawn
from bench.micro.switch import event_loop_switch
from bench.micro.switch_common import event_loop_common
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


def _new_uvloop() -> asyncio.AbstractEventLoop:
    import uvloop

    return uvloop.new_event_loop()


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


def _micro_hooks(name: str, new_loop: Callable[[], asyncio.AbstractEventLoop]) -> MicroHooks:
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


class Asyncio(Backend):
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
        return _micro_hooks("asyncio", asyncio.new_event_loop)


class Uvloop(Asyncio):
    """asyncio on libuv."""

    name = "uvloop"
    summary = "asyncio on uvloop (libuv): gather all coroutines"
    colour = "#e377c2"
    requires = ("uvloop",)
    packages = ("uvloop",)

    def new_loop(self) -> asyncio.AbstractEventLoop:
        return _new_uvloop()

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        return _micro_hooks("uvloop", _new_uvloop)
