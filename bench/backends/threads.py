"""threads: one ``threading.Thread`` per task, start all, join all."""

from __future__ import annotations

import threading
from typing import Any

from bench.backends._base import Backend, Task
from workloads import Form

_MISSING = object()


def run_in_threads(task: Task, n_tasks: int) -> list[Any]:
    """Start one thread per task, join them all, and re-raise the first failure."""
    results: list[Any] = [_MISSING] * n_tasks
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            results[i] = task(i)
        except BaseException as exc:  # re-raised in the caller below
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(n_tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


class Threads(Backend):
    """A thread per task: creation is timed, as it is part of the model."""

    name = "threads"
    form = Form.BLOCKING
    summary = "threading.Thread per task: start all, join all"
    colour = "#1f77b4"

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        return run_in_threads(task, n_tasks)
