"""sequential: the baseline, one task after another in the calling thread."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.micro import MicroCase
from bench.micro._children import ran
from bench.micro._loop import Loop, counted
from bench.micro.costs import IPC, MEMORY, SPAWN, SWITCH
from bench.micro.hooks import MicroHooks, MicroLoop, PerProfile, Skip
from bench.models._base import Model, Task, Traits
from bench.models._skips import NO_LIVE_TASKS, NOT_IPC
from workloads.protocol import Form


@contextmanager
def spawn_calls(case: MicroCase, k: int) -> Iterator[Loop]:
    """spawn: K plain calls of a function that returns 1, the floor every other model is above."""

    def one_round() -> int:
        done = 0
        for _ in range(k):
            done += ran()
        return done

    yield Loop(one_round, counted(k, "spawn: calls returned"), k)


class Sequential(Model):
    """Runs tasks one after another; waits add up to N x T."""

    name = "sequential"
    form = Form.BLOCKING
    summary = "one task after another (the baseline)"
    traits = Traits(waits="none", parallel_python=False, in_parent=True, fixed_pool=False)
    colour = "#7f7f7f"
    baseline = True

    def capacity(self, n_tasks: int) -> int | None:
        return 1

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        return [task(i) for i in range(n_tasks)]

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        return MicroHooks(
            {
                SPAWN: MicroLoop(spawn_calls, "a plain call", PerProfile(quick=200_000)),
                SWITCH: Skip(
                    "sequential runs one task to its end before the next starts, so there is no second live "
                    "task to hand over to; its floor is spawn's plain call"
                ),
                IPC: Skip(NOT_IPC + "sequential tasks share one thread and pass values by return"),
                MEMORY: Skip("sequential " + NO_LIVE_TASKS + "it runs one task at a time, to its end"),
            }
        )
