"""sequential: the baseline, one task after another in the calling thread."""

from __future__ import annotations

from typing import Any

from bench.backends._base import Backend, Task
from workloads import Form


class Sequential(Backend):
    """Runs tasks one after another; waits add up to N x T."""

    name = "sequential"
    form = Form.BLOCKING
    summary = "one task after another (the baseline)"
    colour = "#7f7f7f"
    baseline = True

    def capacity(self, n_tasks: int) -> int | None:
        return 1

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        return [task(i) for i in range(n_tasks)]
