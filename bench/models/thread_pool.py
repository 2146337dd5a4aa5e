"""thread_pool: ``concurrent.futures.ThreadPoolExecutor``, at its default size and at one for all N.

The variant is the pool size: none is the executor's default, ``min(32, cores + 4)``;
``all`` holds every task of the case at once (skipped above
:data:`~bench.models._pools.THREAD_POOL_CAP` threads) and runs only on workloads
that wait (see :mod:`bench.models._pools`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from bench.micro import MicroCase
from bench.micro._children import ran
from bench.micro._loop import JOIN_TIMEOUT_S, Loop, counted
from bench.micro.costs import IPC, MEMORY, SPAWN, SWITCH
from bench.micro.hooks import MicroHooks, MicroLoop, PerProfile, Skip
from bench.models._base import Model, Task, Traits
from bench.models._pools import THREAD_POOL_CAP, SizedPool, pool_label
from bench.models._skips import NO_LIVE_TASKS, NOT_IPC
from workloads.protocol import Form


def default_pool_size() -> int:
    """ThreadPoolExecutor's own default: min(32, cpu_count + 4)."""
    return min(32, (os.cpu_count() or 1) + 4)


@contextmanager
def spawn_submits(case: MicroCase, k: int) -> Iterator[Loop]:
    """spawn: K ``submit(...).result()`` round trips on a warm one-worker ``ThreadPoolExecutor``.

    One task at a time, so the pool's size does not matter: a pool of one.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(ran).result(JOIN_TIMEOUT_S)  # the worker thread starts here, untimed

        def one_round() -> int:
            done = 0
            for _ in range(k):
                done += pool.submit(ran).result(JOIN_TIMEOUT_S)
            return done

        yield Loop(one_round, counted(k, "spawn: pool tasks finished"), k, {"pool_size": 1})


class ThreadPool(SizedPool, Model):
    """Submit all tasks to a warm pool and wait; the pool is made outside timing."""

    name = "thread_pool"
    form = Form.BLOCKING
    summary = "ThreadPoolExecutor (default size, and [all]: one thread per task): submit all, wait"
    traits = Traits(waits="thread", parallel_python=False, in_parent=True, fixed_pool=True)
    colour = "#17becf"

    def __init__(self, variant: str | None = None) -> None:
        super().__init__(variant)
        self.pool_size = default_pool_size()
        self._pool: ThreadPoolExecutor | None = None

    worker_noun = "threads"

    def default_size(self) -> int:
        return default_pool_size()

    def all_cap(self) -> int:
        return THREAD_POOL_CAP

    def setup(self, n_tasks: int) -> None:
        self.pool_size = self.size_for(n_tasks)
        self._pool = ThreadPoolExecutor(max_workers=self.pool_size)
        # Start every worker now so thread creation is not timed.
        list(self._pool.map(lambda _: None, range(self.pool_size * 2)))

    def parameters(self) -> Mapping[str, Any]:
        return {"pool_size": self.pool_size, "pool": pool_label(self.variant)}

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        if self._pool is None:
            self.setup(n_tasks)
        assert self._pool is not None
        futures = [self._pool.submit(task, i) for i in range(n_tasks)]
        return [future.result() for future in futures]

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        return MicroHooks(
            {
                SPAWN: MicroLoop(spawn_submits, "submit + result on a pool of one", PerProfile(quick=1_000)),
                SWITCH: Skip(
                    "a pool task cannot hand control to another task without blocking a pool worker; the "
                    "hand-over between two threads is threads' switch"
                ),
                IPC: Skip(NOT_IPC + "thread_pool tasks share one process like threads"),
                MEMORY: Skip(
                    "thread_pool " + NO_LIVE_TASKS + "a fixed set of workers runs the tasks and a queued task "
                    "is a small work item, not a thread; threads' memory is the cost of a thread per task"
                ),
            }
        )
