"""The shape every workload takes: its forms, its answer check and its ideal time.

A workload says WHAT one task does, in each form a concurrency model can run:

- ``blocking(i, params)``: a plain call that blocks the thread while it waits
  (sequential, threads, pools, processes, and gevent once patched);
- ``coroutine(i, params)``: an ``async def`` (asyncio, uvloop);
- ``generator(i, params)``: a generator that yields :class:`Wait` requests
  (``Sleep``, ``Readable``, ``Writable``) to its scheduler and is resumed with
  ``send()`` when the wait is over; its ``return`` value is the task's result.

The greenlet hub runs the generator form through :func:`drive`, so one protocol
description serves both the yield scheduler and the greenlet hub (a greenlet
switches away inside ``wait`` instead of yielding).
"""

from __future__ import annotations

import contextlib
import enum
import socket
from collections.abc import Awaitable, Callable, Generator, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

Params = Mapping[str, Any]


class Form(enum.Enum):
    """How a backend wants a task handed to it."""

    BLOCKING = "blocking"
    COROUTINE = "coroutine"
    GENERATOR = "generator"


@dataclass(frozen=True)
class Sleep:
    """Wait request: resume me after ``seconds``."""

    seconds: float


@dataclass(frozen=True)
class Readable:
    """Wait request: resume me when ``sock`` (a socket or a file descriptor) has data (or EOF) to read.

    With a ``deadline`` (``time.monotonic()``), I am also resumed once it passes,
    ready or not, and must check the time myself.
    """

    sock: socket.socket | int
    deadline: float | None = None


@dataclass(frozen=True)
class Writable:
    """Wait request: resume me when ``sock`` accepts writes (or has connected).

    With a ``deadline``, as for :class:`Readable`.
    """

    sock: socket.socket
    deadline: float | None = None


Wait = Sleep | Readable | Writable
TaskGenerator = Generator[Wait, None, Any]
WaitFn = Callable[[Wait], None]


class WrongAnswer(AssertionError):
    """A task set returned a wrong or incomplete result: the case fails, untimed."""


def drive(gen: TaskGenerator, wait: WaitFn) -> Any:
    """Run a generator task to completion, blocking in ``wait`` for each request.

    ``wait`` must only return once the request is satisfied; in the greenlet hub it
    switches to the hub, which switches back when the deadline passes or the socket
    is ready.
    """
    try:
        request = next(gen)
        while True:
            wait(request)
            request = gen.send(None)
    except StopIteration as stop:
        return stop.value


@dataclass(frozen=True)
class Calibration:
    """Facts measured once per run, before any timing, that ideals depend on.

    ``single_process_s`` maps a cpu_spin size to the time of the whole work done
    once in one process; ``request_s`` maps a URL to the wall time of one request;
    ``server_cpu_per_request_s`` maps a URL to the local server's CPU time per
    request. ``server_pid`` and ``server_workers`` name the local server whose CPU
    is measured (None for a server given by URL, whose CPU cannot be measured).
    """

    cpu_count: int
    single_process_s: Mapping[str, float] = field(default_factory=dict)
    request_s: Mapping[str, float] = field(default_factory=dict)
    body_bytes: Mapping[str, int] = field(default_factory=dict)
    server_cpu_per_request_s: Mapping[str, float] = field(default_factory=dict)
    server_pid: int | None = None
    server_workers: int | None = None


def no_ideal(n_tasks: int, params: Params, calibration: Calibration) -> float | None:
    """No ideal applies: the case is recorded with ``ideal_s`` null."""
    return None


def unknown_task_s(n_tasks: int, params: Params, calibration: Calibration) -> float:
    """One task's time is not known in advance: no round is predicted too long."""
    return 0.0


@contextlib.contextmanager
def nothing_to_prepare(params: Params) -> Iterator[Mapping[str, Any]]:
    """A workload that needs no files or data made before its case."""
    yield {}


Prepare = Callable[[Params], AbstractContextManager[Mapping[str, Any]]]


@dataclass(frozen=True)
class Workload:
    """One workload: its forms, how to check a task set, and its ideal wall time.

    ``task_s`` is the wall time of one task alone (sleep: T; cpu_spin: its share of
    the work), which the harness uses to predict a round's length for a model that
    can only overlap ``capacity`` tasks at once.

    ``prepare(params)`` is entered once per case, outside the timed region, and
    yields parameters the tasks need but the results do not record (a temporary
    directory, say); leaving it removes what it made. ``params`` gives a workload
    loaded from the user's file its parameters for each profile (``smoke``,
    ``quick``, ``full``); the built-in workloads take theirs from
    :mod:`bench.profiles`.
    """

    name: str
    summary: str
    blocking: Callable[..., Any]
    check: Callable[[list[Any], int, Params], None]
    ideal_s: Callable[[int, Params, Calibration], float | None] = no_ideal
    task_s: Callable[[int, Params, Calibration], float] = unknown_task_s
    coroutine: Callable[..., Awaitable[Any]] | None = None
    generator: Callable[..., TaskGenerator] | None = None
    #: What a case records beyond its parameters, given the form it runs (the
    #: HTTP library a form uses, say).
    describe: Callable[[Form, Params], Mapping[str, Any]] | None = None
    #: Descriptors (sockets, files) one running task holds open.
    fds_per_task: int = 0
    prepare: Prepare = nothing_to_prepare
    #: Parameters per profile name, for a workload that is not in the profiles' tables.
    params: Mapping[str, Params] | None = None

    def form(self, kind: Form) -> Callable[..., Any] | None:
        """Return the callable for ``kind``, or None where the workload lacks it."""
        forms: dict[Form, Callable[..., Any] | None] = {
            Form.BLOCKING: self.blocking,
            Form.COROUTINE: self.coroutine,
            Form.GENERATOR: self.generator,
        }
        return forms[kind]


def check_indices(results: list[Any], n_tasks: int, name: str) -> None:
    """Fail unless there is exactly one result per task, ``results[i] == i``."""
    if len(results) != n_tasks:
        raise WrongAnswer(f"{name}: {len(results)} results for {n_tasks} tasks")
    wrong = [i for i, value in enumerate(results) if value != i]
    if wrong:
        raise WrongAnswer(f"{name}: tasks {wrong[:5]} returned the wrong index")
