"""uvloop: asyncio on libuv, ``asyncio.gather`` over the coroutine form on one uvloop loop.

The model and its micro-costs are asyncio's (:mod:`bench.models.asyncio`) on a loop
that uvloop makes; uvloop itself is imported only when a loop is made, so that its
absence is a skip with the reason, not an import error.
"""

from __future__ import annotations

import asyncio

from bench.micro.hooks import MicroHooks
from bench.models.asyncio import Asyncio, event_loop_micro_hooks


def _new_uvloop() -> asyncio.AbstractEventLoop:
    import uvloop

    return uvloop.new_event_loop()


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
        return event_loop_micro_hooks("uvloop", _new_uvloop)
