"""A minimal reactor: sleep deadlines and socket readiness, shared by two models.

The yield scheduler (``generators``) and the greenlet hub (``greenlet``) differ in
how they suspend a task; both wait on the same two things, which this class tracks:
a heap of deadlines and a selector of sockets. Items are opaque to it.
"""

from __future__ import annotations

import heapq
import itertools
import selectors
import time
from typing import Generic, TypeVar

from workloads._base import Readable, Sleep, Wait, Writable

T = TypeVar("T")


class Reactor(Generic[T]):
    """Parks items on wait requests and hands them back once the wait is over."""

    def __init__(self) -> None:
        self._timers: list[tuple[float, int, T]] = []
        self._order = itertools.count()
        self._selector = selectors.DefaultSelector()
        self._waiting_io = 0

    def park(self, item: T, request: Wait) -> None:
        """Hold ``item`` until ``request`` is satisfied."""
        if isinstance(request, Sleep):
            deadline = time.monotonic() + request.seconds
            heapq.heappush(self._timers, (deadline, next(self._order), item))
        elif isinstance(request, Readable):
            self._selector.register(request.sock, selectors.EVENT_READ, item)
            self._waiting_io += 1
        elif isinstance(request, Writable):
            self._selector.register(request.sock, selectors.EVENT_WRITE, item)
            self._waiting_io += 1
        else:
            raise TypeError(f"a task yielded {request!r}; expected Sleep, Readable or Writable")

    @property
    def pending(self) -> int:
        """How many items are parked."""
        return len(self._timers) + self._waiting_io

    def wake(self) -> list[T]:
        """Block until at least one parked item is due; return all that are due."""
        timeout = None
        if self._timers:
            timeout = max(0.0, self._timers[0][0] - time.monotonic())
        ready: list[T] = []
        if self._waiting_io:
            for key, _ in self._selector.select(timeout):
                self._selector.unregister(key.fileobj)
                self._waiting_io -= 1
                ready.append(key.data)
        elif timeout:
            time.sleep(timeout)
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            ready.append(heapq.heappop(self._timers)[2])
        return ready

    def close(self) -> None:
        """Release the selector."""
        self._selector.close()
