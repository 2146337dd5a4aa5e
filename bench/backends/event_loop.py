"""asyncio and uvloop: ``asyncio.gather`` over the coroutine form on one loop.

The loop is created outside the timed region and reused across rounds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from bench.backends._base import Backend, Task
from workloads import Form


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


class Asyncio(Backend):
    """The stdlib event loop."""

    name = "asyncio"
    form = Form.COROUTINE
    summary = "asyncio event loop: gather all coroutines"
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


class Uvloop(Asyncio):
    """asyncio on libuv."""

    name = "uvloop"
    summary = "asyncio on uvloop (libuv): gather all coroutines"
    colour = "#e377c2"
    requires = ("uvloop",)
    packages = ("uvloop",)

    def new_loop(self) -> asyncio.AbstractEventLoop:
        import uvloop

        return uvloop.new_event_loop()
