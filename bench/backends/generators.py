"""generators: ``yield``/``send`` coroutines under a small scheduler loop.

In the spirit of the classic producer/consumer: a task is a generator that yields
what it waits for (a :class:`~workloads._base.Sleep` deadline, a socket to become
readable or writable); the scheduler parks it in a reactor and resumes it with
``send()`` when the wait is over. One thread, no locks, no preemption. The
reactor (and its selector) is made once per case, outside the timed region.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from bench.backends._base import Backend, Task
from bench.backends._reactor import Reactor
from workloads import Form
from workloads._base import TaskGenerator

_MISSING = object()


def run_generators(tasks: list[TaskGenerator], reactor: Reactor[Any] | None = None) -> list[Any]:
    """Run generator tasks to completion on ``reactor``; return their return values in order.

    Without a ``reactor`` one is made for this call and closed after it; a reactor
    passed in is left open for the next call (the caller closes it).
    """
    results: list[Any] = [_MISSING] * len(tasks)
    ready: deque[tuple[int, TaskGenerator]] = deque(enumerate(tasks))
    own = reactor is None
    if reactor is None:
        reactor = Reactor()
    try:
        while ready or reactor.pending:
            while ready:
                i, gen = ready.popleft()
                try:
                    request = gen.send(None)
                except StopIteration as stop:
                    results[i] = stop.value
                    continue
                reactor.park((i, gen), request)
            if reactor.pending:
                ready.extend(reactor.wake())
    finally:
        if own:
            reactor.close()
        for gen in tasks:
            gen.close()
    return results


class Generators(Backend):
    """Creates N generator tasks and runs them under the yield scheduler."""

    name = "generators"
    form = Form.GENERATOR
    summary = "yield/send coroutines under a small scheduler (sleep deadlines, socket readiness)"
    colour = "#8c564b"

    def __init__(self, variant: str | None = None) -> None:
        super().__init__(variant)
        self._reactor: Reactor[Any] = Reactor()

    def close(self) -> None:
        self._reactor.close()

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        return run_generators([task(i) for i in range(n_tasks)], self._reactor)
