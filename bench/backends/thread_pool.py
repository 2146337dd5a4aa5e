"""thread_pool: ``concurrent.futures.ThreadPoolExecutor`` with its default size."""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.backends._base import Backend, Task
from workloads import Form


def default_pool_size() -> int:
    """ThreadPoolExecutor's own default: min(32, cpu_count + 4)."""
    return min(32, (os.cpu_count() or 1) + 4)


class ThreadPool(Backend):
    """Submit all tasks to a warm pool and wait; the pool is made outside timing."""

    name = "thread_pool"
    form = Form.BLOCKING
    summary = "ThreadPoolExecutor (default size): submit all, wait"

    def __init__(self, variant: str | None = None) -> None:
        super().__init__(variant)
        self.pool_size = default_pool_size()
        self._pool = ThreadPoolExecutor(max_workers=self.pool_size)
        # Start every worker now so thread creation is not timed.
        list(self._pool.map(lambda _: None, range(self.pool_size * 2)))

    def capacity(self, n_tasks: int) -> int | None:
        return self.pool_size

    def parameters(self) -> Mapping[str, Any]:
        return {"pool_size": self.pool_size}

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        futures = [self._pool.submit(task, i) for i in range(n_tasks)]
        return [future.result() for future in futures]
