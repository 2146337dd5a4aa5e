"""trio: structured concurrency, a nursery per round.

Each round is one ``trio.run`` whose main task opens a nursery and starts one child
task per workload task; the round ends when the nursery has closed, that is when
every child has finished (or, after an error, been cancelled). trio has no event
loop that outlives ``trio.run``, so starting the run is inside the timed region: it
is part of what a round of trio costs (see the ``spawn`` micro-cost for its size).

trio runs the workloads' generator form: a task yields what it waits for
(:class:`~workloads._base.Sleep`, :class:`~workloads._base.Readable`,
:class:`~workloads._base.Writable`) and the child awaits trio's own primitive for it
(``trio.sleep``, ``trio.lowlevel.wait_readable`` / ``wait_writable`` under a cancel
scope for a deadline). Its HTTP fetch is therefore the same raw-socket client as the
``generators`` and ``greenlet`` models', so the three differ only in the model.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.micro import MicroCase
from bench.micro._loop import Loop, counted
from bench.micro.costs import IPC, MEMORY, SPAWN, SWITCH
from bench.micro.hooks import Families, MicroHooks, MicroLoop, PerProfile, Skip
from bench.micro.switch_common import common_loop, ping_task, pipes, pong_task, switch_loop
from bench.models._base import Model, Task, Traits
from bench.models._skips import NOT_IPC
from workloads.protocol import Form, Readable, Sleep, TaskGenerator, Wait, Writable

if sys.version_info < (3, 11):
    from exceptiongroup import BaseExceptionGroup

#: Longest a round may take before trio cancels it and the case fails.
ROUND_TIMEOUT_S = 600.0


async def _wait(request: Wait) -> None:
    """Await trio's primitive for one wait request; a deadline ends the wait, ready or not."""
    import trio

    if isinstance(request, Sleep):
        await trio.sleep(request.seconds)
        return
    if isinstance(request, Readable):
        waiting = trio.lowlevel.wait_readable
    elif isinstance(request, Writable):
        waiting = trio.lowlevel.wait_writable
    else:
        raise TypeError(f"a task yielded {request!r}; expected Sleep, Readable or Writable")
    if request.deadline is None:
        await waiting(request.sock)
        return
    # The request's deadline is on time.monotonic(); trio's clock has its own origin.
    with trio.move_on_after(max(0.0, request.deadline - time.monotonic())):
        await waiting(request.sock)


async def _drive(gen: TaskGenerator, results: list[Any], i: int) -> None:
    """Run one generator task to its end, awaiting each wait it yields; store its value."""
    try:
        request = gen.send(None)
        while True:
            await _wait(request)
            request = gen.send(None)
    except StopIteration as stop:
        results[i] = stop.value
    finally:
        gen.close()


async def _round(task: Task, n_tasks: int) -> list[Any]:
    """One nursery, one child per task; returns when every child has finished."""
    import trio

    results: list[Any] = [None] * n_tasks
    async with trio.open_nursery() as nursery:
        for i in range(n_tasks):
            nursery.start_soon(_drive, task(i), results, i)
    return results


def _run_round(main: Callable[..., Awaitable[Any]], *args: Any) -> Any:
    """``trio.run(main, *args)`` under the round's time limit; a task's error is raised as itself.

    trio gathers the errors of a nursery's children in an exception group; the first
    real one is raised, so the case's failure names it.
    """
    import trio

    async def limited() -> Any:
        with trio.fail_after(ROUND_TIMEOUT_S):
            return await main(*args)

    try:
        return trio.run(limited)
    except BaseExceptionGroup as group:
        first: BaseException = group
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None


# -- micro-costs ------------------------------------------------------------------------


async def _started_child(task_status: Any) -> None:
    task_status.started(1)


@contextmanager
def spawn_children(case: MicroCase, k: int) -> Iterator[Loop]:
    """spawn: K children started one after another with ``nursery.start``, in one nursery per round.

    ``nursery.start`` returns once the child has called ``task_status.started(1)``;
    the child ends right after, and the nursery waits for every child before the
    round ends.
    """

    async def one_round() -> int:
        import trio

        done = 0
        async with trio.open_nursery() as nursery:
            for _ in range(k):
                done += await nursery.start(_started_child)
        return done

    yield Loop(lambda: int(_run_round(one_round)), counted(k, "spawn: trio children started"), k)


async def _ping_pong_channels(round_trips: int) -> int:
    """Two trio tasks hand values over through two unbuffered memory channels; return ping's total."""
    import trio

    to_pong_send, to_pong_receive = trio.open_memory_channel[int | None](0)
    to_ping_send, to_ping_receive = trio.open_memory_channel[int](0)
    totals: list[int] = []

    async def ping() -> None:
        total = 0
        for i in range(round_trips):
            await to_pong_send.send(i)
            total += await to_ping_receive.receive()
        await to_pong_send.send(None)
        totals.append(total)

    async def pong() -> None:
        while (n := await to_pong_receive.receive()) is not None:
            await to_ping_send.send(n)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(ping)
        nursery.start_soon(pong)
    return totals[0]


@contextmanager
def switch_channels(case: MicroCase, k: int) -> Iterator[Loop]:
    """switch: two tasks of one nursery, through two ``trio.open_memory_channel(0)``."""
    yield switch_loop(lambda: int(_run_round(_ping_pong_channels, k // 2)), k, "trio")


@contextmanager
def switch_pipes(case: MicroCase, k: int) -> Iterator[Loop]:
    """switch, common family: two tasks waiting with ``trio.lowlevel.wait_readable`` on two OS pipes."""
    with pipes() as (to_pong_r, to_pong_w, to_ping_r, to_ping_w):

        def task(i: int) -> TaskGenerator:
            return ping_task(k // 2, to_pong_w, to_ping_r) if i == 0 else pong_task(to_pong_r, to_ping_w)

        yield common_loop(lambda: int(_run_round(_round, task, 2)[0]), k, "trio")


class Trio(Model):
    """One nursery per round, one child task per workload task."""

    name = "trio"
    form = Form.GENERATOR
    summary = "trio: a nursery per round, each task awaiting trio's sleep and socket waits"
    traits = Traits(waits="cooperative", parallel_python=False, in_parent=True, fixed_pool=False)

    colour = "#637939"
    requires = ("trio",)
    packages = ("trio",)

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        return MicroHooks(
            {
                SPAWN: MicroLoop(spawn_children, "nursery.start (one nursery per round)", PerProfile(quick=5_000)),
                SWITCH: Families(
                    MicroLoop(switch_channels, "trio memory channel (unbuffered)", PerProfile(quick=10_000)),
                    common=MicroLoop(switch_pipes, "os.pipe via trio.lowlevel.wait_readable", PerProfile(quick=2_000)),
                ),
                IPC: Skip(NOT_IPC + "trio tasks share one thread and pass values through memory channels"),
                MEMORY: Skip(
                    "not measured for trio: the memory holder reads a process's size while its tasks are parked, from "
                    "outside the model's loop, and trio's tasks exist only inside a trio.run call"
                ),
            }
        )

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        return list(_run_round(_round, task, n_tasks))
