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

from workloads.protocol import Readable, Sleep, Wait, Writable

T = TypeVar("T")


class Reactor(Generic[T]):
    """Parks items on wait requests and hands them back once the wait is over."""

    def __init__(self) -> None:
        self._timers: list[tuple[float, int, T]] = []
        self._order = itertools.count()
        self._selector = selectors.DefaultSelector()
        self._waiting_io = 0
        # Deadlines of socket waits: (deadline, token, sock). A socket's entry in the
        # selector carries the token of its current wait, so a stale deadline (the
        # wait already ended) is recognised and ignored.
        self._io_deadlines: list[tuple[float, int, object]] = []

    def park(self, item: T, request: Wait) -> None:
        """Hold ``item`` until ``request`` is satisfied."""
        if isinstance(request, Sleep):
            deadline = time.monotonic() + request.seconds
            heapq.heappush(self._timers, (deadline, next(self._order), item))
        elif isinstance(request, (Readable, Writable)):
            token = next(self._order)
            event = selectors.EVENT_READ if isinstance(request, Readable) else selectors.EVENT_WRITE
            self._selector.register(request.sock, event, (token, item))
            self._waiting_io += 1
            if request.deadline is not None:
                heapq.heappush(self._io_deadlines, (request.deadline, token, request.sock))
        else:
            raise TypeError(f"a task yielded {request!r}; expected Sleep, Readable or Writable")

    @property
    def pending(self) -> int:
        """How many items are parked."""
        return len(self._timers) + self._waiting_io

    def wake(self) -> list[T]:
        """Block until at least one parked item is due; return all that are due.

        A socket wait whose deadline has passed is due as well: its item comes back
        unready and must look at the clock itself.
        """
        while True:
            ready = self._wake_once()
            if ready or not self.pending:
                return ready

    def _wake_once(self) -> list[T]:
        # One select (or sleep) until the next deadline; a stale deadline of a wait
        # that already ended can make this return nothing.
        due = [heap[0][0] for heap in (self._timers, self._io_deadlines) if heap]
        timeout = max(0.0, min(due) - time.monotonic()) if due else None
        ready: list[T] = []
        if self._waiting_io:
            for key, _ in self._selector.select(timeout):
                self._selector.unregister(key.fileobj)
                self._waiting_io -= 1
                ready.append(key.data[1])
        elif timeout:
            time.sleep(timeout)
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            ready.append(heapq.heappop(self._timers)[2])
        while self._io_deadlines and self._io_deadlines[0][0] <= now:
            _, token, sock = heapq.heappop(self._io_deadlines)
            try:
                key = self._selector.get_key(sock)  # type: ignore[arg-type]
            except (KeyError, ValueError):
                continue  # that wait is over (and the socket may be closed)
            if key.data[0] == token:
                self._selector.unregister(sock)  # type: ignore[arg-type]
                self._waiting_io -= 1
                ready.append(key.data[1])
        return ready

    def close(self) -> None:
        """Release the selector."""
        self._selector.close()
