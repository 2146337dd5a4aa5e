"""process_pool: ``ProcessPoolExecutor``, one worker per core, and one worker per task for all N.

The variant is the pool size: none is one worker per core, chunked ``map``; ``all``
holds every task of the case at once (skipped above
:data:`~bench.backends._pools.PROCESS_POOL_CAP` workers, or what the machine can
hold if fewer) and runs only on workloads that wait (see :mod:`bench.backends._pools`).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from bench.backends._base import Backend, Task
from bench.backends._limits import process_cap
from bench.backends._pools import POOL_VARIANTS, PROCESS_POOL_CAP, applies, pool_label, why_not_all
from bench.backends.processes import default_start_method
from workloads import Form


def _noop(_: int) -> None:
    return None


def cores() -> int:
    """The CPUs this process may run on: the default pool size."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class ProcessPool(Backend):
    """Map all tasks over a warm pool; made outside timing.

    Tasks go out in chunks of about N / (4 x workers), the idiomatic way to keep
    per-task pickling from dominating many small tasks.
    """

    name = "process_pool"
    form = Form.BLOCKING
    summary = "ProcessPoolExecutor (one worker per core, and [all]: one per task; chunked map): submit all, wait"
    colour = "#ff7f0e"

    def __init__(self, variant: str | None = None) -> None:
        super().__init__(variant)
        self.start_method = default_start_method()
        self.pool_size = cores()
        self._pool: ProcessPoolExecutor | None = None

    @classmethod
    def variants(cls, start_methods: tuple[str, ...]) -> tuple[str | None, ...]:
        return POOL_VARIANTS

    @classmethod
    def applies(cls, variant: str | None, workload: str) -> bool:
        return applies(variant, workload)

    def size_for(self, n_tasks: int) -> int:
        """The pool's size for ``n_tasks``: one per core, or one worker per task."""
        return n_tasks if self.variant == "all" else cores()

    def chunksize(self, n_tasks: int) -> int:
        """Tasks per message to a worker."""
        return max(1, n_tasks // (4 * self.pool_size))

    def capacity(self, n_tasks: int) -> int | None:
        return self.size_for(n_tasks)

    def limit(self, n_tasks: int) -> str | None:
        if self.variant == "all":
            cap = min(PROCESS_POOL_CAP, process_cap(self.start_method))
            return why_not_all(n_tasks, cores(), cap, "worker processes")
        return None

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
            self._pool.shutdown(wait=True, cancel_futures=True)

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        if self._pool is None:
            self.setup(n_tasks)
        assert self._pool is not None
        return list(self._pool.map(task, range(n_tasks), chunksize=self.chunksize(n_tasks)))
