"""greenlet: raw ``greenlet.switch()`` tasks under a small hub.

A task runs in its own greenlet as a plain function; when it must wait it calls
the hub's ``wait``, which parks the greenlet in the reactor and switches to the
hub; the hub switches back when the deadline passes or the socket is ready. The
generator form of a workload is driven through ``wait`` (see
:func:`workloads._base.drive`), so no task ever yields to the hub itself.
"""

from __future__ import annotations

from typing import Any

import greenlet

from bench.backends._base import Backend, Task
from bench.backends._reactor import Reactor
from workloads import Form
from workloads._base import Wait, drive

_MISSING = object()


class Hub:
    """Owns the reactor and the hub greenlet that switches tasks on readiness."""

    def __init__(self) -> None:
        self.reactor: Reactor[greenlet.greenlet] = Reactor()
        # Tasks switch back to the greenlet that made the hub: make it where ``run`` runs.
        self.greenlet = greenlet.getcurrent()

    def wait(self, request: Wait) -> None:
        """Park the current task greenlet on ``request`` and switch to the hub."""
        self.reactor.park(greenlet.getcurrent(), request)
        self.greenlet.switch()

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        """Run ``drive(task(i), wait)`` in one greenlet per task; return the results."""
        results: list[Any] = [_MISSING] * n_tasks

        def body(i: int) -> None:
            results[i] = drive(task(i), self.wait)

        # Each task greenlet's parent is the hub (this greenlet): when a task
        # finishes or raises, control (and the exception) returns here.
        tasks = [greenlet.greenlet(body) for _ in range(n_tasks)]
        for i, glet in enumerate(tasks):
            glet.switch(i)
        while self.reactor.pending:
            for glet in self.reactor.wake():
                glet.switch()
        return results

    def close(self) -> None:
        """Release the reactor."""
        self.reactor.close()


class Greenlet(Backend):
    """One raw greenlet per task, switched by a hub on sleep and socket readiness."""

    name = "greenlet"
    form = Form.GENERATOR
    summary = "raw greenlet.switch() tasks under a small hub (sleep deadlines, socket readiness)"
    colour = "#bcbd22"
    packages = ("greenlet",)

    def __init__(self, variant: str | None = None) -> None:
        super().__init__(variant)
        # One hub (and selector) per case, made outside the timed region.
        self._hub = Hub()

    def close(self) -> None:
        self._hub.close()

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        return self._hub.run(task, n_tasks)
