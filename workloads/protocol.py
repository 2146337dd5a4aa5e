"""The protocol between workloads and models: what a task is, how it waits, what it learns of its run.

Both sides import this module and it imports neither (the standard library only),
so the layers read top-down: this protocol, then the workloads (``workloads/``)
and the models (``bench/models/``), then the run (``bench/``), then the reports.
What a workload needs the run to do for it (time its reference work in a fresh
interpreter, say) reaches it on the :class:`RunContext`, never by importing the run.

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
from typing import Any, Protocol

from workloads.report_spec import ReportSpec

Params = Mapping[str, Any]


class Form(enum.Enum):
    """How a model wants a task handed to it."""

    BLOCKING = "blocking"
    COROUTINE = "coroutine"
    GENERATOR = "generator"


# -- the task types: what a generator task yields, and how it is driven ------------------


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


# -- the run: its options, its calibration, its environments ----------------------------


@dataclass(frozen=True)
class Option:
    """One command-line option: ``--cluster-address ADDR``, say, defaulting to ``$CLUSTER_ADDRESS``.

    A model or a workload declares it; ``python -m bench`` adds it to its parser
    (``bench.options``). ``parse`` turns the text into the value (and raises
    ``argparse.ArgumentTypeError`` with a one-line message naming the valid choices
    when it cannot); the value reaches the owner under :attr:`dest`
    (``cluster_address``), None when not given.
    """

    flag: str
    help: str
    env: str | None = None
    metavar: str | None = None
    parse: Callable[[str], Any] = str

    @property
    def dest(self) -> str:
        """The key of the value: the flag without dashes, ``-`` as ``_``."""
        return self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Calibration:
    """Facts measured once per run, before any timing, that ideals depend on.

    ``cpu_count`` is the number of cores the model can use: the machine's, unless
    the model says otherwise (a cluster's). ``entries`` maps a workload's name to what
    its ``calibrate`` measured, keyed as that workload chooses; a workload's ideal
    reads its own entries with :meth:`of`.
    """

    cpu_count: int
    entries: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def of(self, workload: str) -> Mapping[str, Any]:
        """The entries ``workload`` measured (empty when it measured nothing)."""
        return self.entries.get(workload, {})


class CalibrationFailed(RuntimeError):
    """What a workload needs cannot be reached before any timing (an unreachable URL): names it and why."""


#: Given a workload's name and size, the seconds its ``measure(size)`` takes in a fresh interpreter.
FreshMeasure = Callable[[str, int], float]


def not_calibrating(workload: str, size: int) -> float:
    """A run that is not calibrating times nothing in a fresh interpreter: raises RuntimeError."""
    raise RuntimeError(f"{workload}: a fresh-interpreter timing is only available while the run calibrates")


@dataclass(frozen=True)
class RunContext:
    """What a workload learns of its run: the user's options, its environments' facts, the run's services.

    ``options`` holds the values of the options workloads declare, by
    :attr:`Option.dest` (None where not given); ``facts`` maps an
    :class:`Environment`'s key to what it yielded (a server's base URL and pid).
    ``fresh_measure(workload, size)`` times a workload's ``measure(size)`` in a fresh
    interpreter, as the results are timed: the run hands it in while it calibrates.
    """

    options: Mapping[str, Any] = field(default_factory=dict)
    facts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    fresh_measure: FreshMeasure = not_calibrating


@dataclass(frozen=True)
class Environment:
    """Something a run needs around all its sessions (a local server), started once per run.

    ``start(options)`` is entered by the runner before calibration and left after the
    last session; it yields the facts every session receives (JSON values: a base
    URL, a pid). Workloads that return the same ``key`` share one environment.
    """

    key: str
    start: Callable[[Mapping[str, Any]], AbstractContextManager[Mapping[str, Any]]]


class Meter(Protocol):
    """Reads something beside the timed work over each round (a server's CPU), in the untimed setup and teardown."""

    def before(self) -> None:
        """Called just before a timed round."""

    def after(self) -> None:
        """Called just after a timed round."""

    def extra_info(self) -> Mapping[str, Any]:
        """What the case records once its rounds are done."""
        return {}


# -- the workload's declaration -----------------------------------------------------------


def no_ideal(n_tasks: int, params: Params, calibration: Calibration) -> float | None:
    """No ideal applies: the case is recorded with ``ideal_s`` null."""
    return None


def unknown_task_s(n_tasks: int, params: Params, calibration: Calibration) -> float:
    """One task's time is not known in advance: no round is predicted too long."""
    return 0.0


def no_environment(options: Mapping[str, Any]) -> Environment | None:
    """A workload that needs nothing started around the run."""
    return None


def as_given(params: Params, context: RunContext) -> Params:
    """Parameters that need nothing from the run: used as the profile gives them."""
    return params


@contextlib.contextmanager
def nothing_to_prepare(params: Params) -> Iterator[Mapping[str, Any]]:
    """A workload that needs no files or data made before its case."""
    yield {}


Prepare = Callable[[Params], AbstractContextManager[Mapping[str, Any]]]


@dataclass(frozen=True)
class Workload:
    """One workload: its forms, how to check a task set, and its ideal wall time.

    ``params`` gives the workload's parameters for each profile (``smoke``,
    ``quick``, ``full``); a parameter given as a tuple is a grid axis (every case
    runs once per value). ``task_s`` is the wall time of one task alone (sleep: T;
    cpu_spin: its share of the work), which the harness uses to predict a round's
    length for a model that can only overlap ``capacity`` tasks at once.

    ``prepare(params)`` is entered once per case, outside the timed region, and
    yields parameters the tasks need but the results do not record (a temporary
    directory, say); leaving it removes what it made.

    What the workload needs from its run (see the block "the run" below):
    ``options`` it adds to the command line; the ``environment`` the runner starts
    once for the whole run (a local server), given those options; ``resolve``, which
    turns a case's parameters into what its tasks use, from the options and the
    environment's facts (the URL is built there, and only there); ``calibrate``,
    which measures the inputs of its ideal once per run, before any timing, given the
    profile's parameters less the grid axes, resolved (what it returns is stored under
    the workload's name and read back with ``Calibration.of``); ``measure``, the
    timing ``python -m bench.calibrate NAME SIZE`` runs in a fresh interpreter
    (a ``calibrate`` reaches it through ``RunContext.fresh_measure``); and
    ``meter``, something read over every timed round (a server's CPU).

    ``report`` declares, as data, what the report says of the workload beyond its
    charts (:mod:`workloads.report_spec`); the runner records it in ``run.json``.
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
    #: Its tasks wait (on a timer, on a server) rather than compute: a pool sized to hold
    #: all N tasks at once runs it, where it measures the model rather than the pool's size.
    waits: bool = False
    prepare: Prepare = nothing_to_prepare
    #: Parameters per profile name (smoke, quick, full).
    params: Mapping[str, Params] | None = None
    # -- the run --
    options: tuple[Option, ...] = ()
    environment: Callable[[Mapping[str, Any]], Environment | None] = no_environment
    resolve: Callable[[Params, RunContext], Params] = as_given
    calibrate: Callable[[Params, RunContext], Mapping[str, Any]] | None = None
    #: Given the workload's size, the seconds its reference work takes in this interpreter.
    measure: Callable[[int], float] | None = None
    #: What a case records that calibration learnt (the body size of a URL given by the user).
    recorded: Callable[[Params, Calibration], Mapping[str, Any]] | None = None
    meter: Callable[[Params, RunContext], Meter] | None = None
    # -- the report --
    #: What the report says of it beyond its charts: its claims, readings and tables, as data.
    report: ReportSpec = field(default_factory=ReportSpec)

    def profile_params(self, profile: str) -> Params:
        """The workload's parameters in ``profile`` (empty where it gives none)."""
        return (self.params or {}).get(profile, {})

    def form(self, kind: Form) -> Callable[..., Any] | None:
        """Return the callable for ``kind``, or None where the workload lacks it."""
        forms: dict[Form, Callable[..., Any] | None] = {
            Form.BLOCKING: self.blocking,
            Form.COROUTINE: self.coroutine,
            Form.GENERATOR: self.generator,
        }
        return forms[kind]
