"""process_pool: ``ProcessPoolExecutor``, one worker per core, and one worker per task for all N.

The variant is the pool size: none is one worker per core, chunked ``map``; ``all``
holds every task of the case at once (skipped above
:data:`~bench.models._pools.PROCESS_POOL_CAP` workers, or what the machine can
hold if fewer) and runs only on workloads that wait (see :mod:`bench.models._pools`).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from bench.machine import cpu_count
from bench.micro import MicroCase
from bench.micro._children import ran
from bench.micro._loop import JOIN_TIMEOUT_S, Loop, counted
from bench.micro.costs import IPC, MEMORY, SPAWN, SWITCH
from bench.micro.hooks import MicroHooks, MicroLoop, PerProfile, Skip
from bench.models._base import Model, Task, Traits
from bench.models._limits import process_cap
from bench.models._pools import PROCESS_POOL_CAP, SizedPool, pool_label
from bench.models._skips import NO_LIVE_TASKS, NOT_IPC
from bench.models.processes import default_start_method
from workloads.protocol import Form


def _noop(_: int) -> None:
    return None


@contextmanager
def spawn_submits(case: MicroCase, k: int) -> Iterator[Loop]:
    """spawn: K ``submit(...).result()`` round trips on a warm one-worker ``ProcessPoolExecutor``.

    One task at a time, so the pool's size does not matter: a pool of one.
    """
    method = default_start_method()
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context(method))
    try:
        pool.submit(ran).result(JOIN_TIMEOUT_S)  # the worker process starts here, untimed

        def one_round() -> int:
            done = 0
            for _ in range(k):
                done += pool.submit(ran).result(JOIN_TIMEOUT_S)
            return done

        yield Loop(one_round, counted(k, "spawn: pool tasks finished"), k, {"pool_size": 1, "start_method": method})
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


#: How long a pool's workers may take to finish their current task once the pool is shut down.
CLOSE_GRACE_S = 2.0


def close_pool(pool: ProcessPoolExecutor, grace_s: float = CLOSE_GRACE_S) -> None:
    """Shut ``pool`` down; a worker still busy ``grace_s`` later (a hung task) is killed.

    ``shutdown(wait=True)`` would wait for a hung task for ever: the case's time-out
    would fire and the session still hang in the pool's teardown.
    """
    workers = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + grace_s
    for worker in workers:
        worker.join(max(0.0, deadline - time.monotonic()))
    for worker in workers:
        if worker.is_alive():
            worker.kill()
            worker.join(5.0)
    if manager is not None:
        # It joins the pool's queues and their feeder threads: nothing of the pool outlives the case.
        manager.join(5.0)


class ProcessPool(SizedPool, Model):
    """Map all tasks over a warm pool; made outside timing.

    Tasks go out in chunks of about N / (4 x workers), the idiomatic way to keep
    per-task pickling from dominating many small tasks.
    """

    name = "process_pool"
    form = Form.BLOCKING
    summary = "ProcessPoolExecutor (one worker per core, and [all]: one per task; chunked map): submit all, wait"
    traits = Traits(waits="process", parallel_python=True, in_parent=False, fixed_pool=True, own_interpreter=True)
    colour = "#ff7f0e"

    def __init__(self, variant: str | None = None) -> None:
        super().__init__(variant)
        self.start_method = default_start_method()
        self.pool_size = cpu_count()
        self._pool: ProcessPoolExecutor | None = None

    worker_noun = "worker processes"

    def default_size(self) -> int:
        return cpu_count()

    def all_cap(self) -> int:
        return min(PROCESS_POOL_CAP, process_cap(self.start_method))

    def chunksize(self, n_tasks: int) -> int:
        """Tasks per message to a worker."""
        return max(1, n_tasks // (4 * self.pool_size))

    def setup(self, n_tasks: int) -> None:
        self.pool_size = self.size_for(n_tasks)
        self._pool = ProcessPoolExecutor(
            max_workers=self.pool_size, mp_context=multiprocessing.get_context(self.start_method)
        )
        # Start every worker now so process creation is not timed.
        list(self._pool.map(_noop, range(self.pool_size * 2)))

    def parameters(self) -> Mapping[str, Any]:
        return {"pool_size": self.pool_size, "pool": pool_label(self.variant), "start_method": self.start_method}

    def close(self) -> None:
        if self._pool is not None:
            close_pool(self._pool)
            self._pool = None

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        if self._pool is None:
            self.setup(n_tasks)
        assert self._pool is not None
        return list(self._pool.map(task, range(n_tasks), chunksize=self.chunksize(n_tasks)))

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        return MicroHooks(
            {
                SPAWN: MicroLoop(spawn_submits, "submit + result on a pool of one", PerProfile(quick=200)),
                SWITCH: Skip(
                    "a pool task cannot hand control to another task without blocking a pool worker; the "
                    "hand-over between two processes is processes' switch"
                ),
                IPC: Skip(NOT_IPC + "process_pool moves its tasks over the same multiprocessing pipes and queues"),
                MEMORY: Skip(
                    "process_pool " + NO_LIVE_TASKS + "a fixed set of workers runs the tasks and a queued "
                    "task is a small work item, not a process; processes' memory is the cost of a process per task"
                ),
            }
        )
