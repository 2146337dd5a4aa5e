"""process_pool: ``ProcessPoolExecutor`` with one worker per core, tasks chunked."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from bench.backends._base import Backend, Task
from bench.backends.processes import default_start_method
from workloads import Form


def _noop(_: int) -> None:
    return None


class ProcessPool(Backend):
    """Map all tasks over a warm pool of ``cpu_count`` workers; made outside timing.

    Tasks go out in chunks of about N / (4 x workers), the idiomatic way to keep
    per-task pickling from dominating many small tasks.
    """

    name = "process_pool"
    form = Form.BLOCKING
    summary = "ProcessPoolExecutor (one worker per core, chunked map): submit all, wait"

    def __init__(self, variant: str | None = None) -> None:
        super().__init__(variant)
        self.start_method = default_start_method()
        self.pool_size = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        self._pool = ProcessPoolExecutor(
            max_workers=self.pool_size, mp_context=multiprocessing.get_context(self.start_method)
        )
        # Start every worker now so process creation is not timed.
        list(self._pool.map(_noop, range(self.pool_size * 2)))

    def chunksize(self, n_tasks: int) -> int:
        """Tasks per message to a worker."""
        return max(1, n_tasks // (4 * self.pool_size))

    def capacity(self, n_tasks: int) -> int | None:
        return self.pool_size

    def parameters(self) -> Mapping[str, Any]:
        return {"pool_size": self.pool_size, "start_method": self.start_method}

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        return list(self._pool.map(task, range(n_tasks), chunksize=self.chunksize(n_tasks)))
