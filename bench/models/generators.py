"""generators: ``yield``/``send`` coroutines under a small scheduler loop.

In the spirit of the classic producer/consumer: a task is a generator that yields
what it waits for (a :class:`~workloads._base.Sleep` deadline, a socket to become
readable or writable); the scheduler parks it in a reactor and resumes it with
``send()`` when the wait is over. One thread, no locks, no preemption. The
reactor (and its selector) is made once per case, outside the timed region.

Its micro-costs: spawn creates a generator and takes its first value with ``next()``;
switch is the classic producer/consumer, the producer ``send()`` ing each value into
a consumer that sums it (native), or two generator tasks on two OS pipes, waiting in
the scheduler's selector (common); memory holds N generators suspended at ``yield``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

from bench.micro import MicroCase
from bench.micro._held import Holder, ballast_bytes
from bench.micro._loop import Loop, WrongAnswer, counted
from bench.micro.costs import IPC, MEMORY, SPAWN, SWITCH
from bench.micro.hooks import Families, MemoryHook, MicroHooks, MicroLoop, PerProfile, Skip
from bench.micro.switch_common import common_loop, ping_task, pipes, pong_task, switch_loop
from bench.models._base import Model, Task, Traits
from bench.models._reactor import Reactor
from bench.models._skips import NOT_IPC
from workloads.protocol import Form, TaskGenerator

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


# -- spawn ----------------------------------------------------------------------------


def _first_value() -> Iterator[int]:
    yield 1


@contextmanager
def spawn_generators(case: MicroCase, k: int) -> Iterator[Loop]:
    """K generators created and advanced to their first ``yield`` (then dropped, suspended)."""

    def one_round() -> int:
        done = 0
        for _ in range(k):
            done += next(_first_value())
        return done

    yield Loop(one_round, counted(k, "spawn: generators that yielded"), k)


# -- switch -----------------------------------------------------------------------------


def _consumer() -> Generator[None, int | None, int]:
    """The consumer: sums what it is sent; ``None`` ends it with the total."""
    total = 0
    while True:
        n = yield
        if n is None:
            return total
        total += n


def produce(round_trips: int) -> int:
    """The producer: ``send()`` 0 .. round_trips - 1 into a fresh consumer; return its total."""
    consumer = _consumer()
    next(consumer)
    send = consumer.send
    for i in range(round_trips):
        send(i)
    try:
        consumer.send(None)
    except StopIteration as stop:
        return int(stop.value)
    raise WrongAnswer("switch generators: the consumer did not return its total")


@contextmanager
def switch_send(case: MicroCase, k: int) -> Iterator[Loop]:
    """Producer/consumer with ``send()``."""
    yield switch_loop(lambda: produce(k // 2), k, "generators")


@contextmanager
def switch_pipes(case: MicroCase, k: int) -> Iterator[Loop]:
    """Two generator tasks under the yield scheduler, waiting in its selector (made once)."""
    reactor: Reactor[Any] = Reactor()
    try:
        with pipes() as (to_pong_r, to_pong_w, to_ping_r, to_ping_w):

            def one_round() -> int:
                tasks: list[TaskGenerator] = [
                    ping_task(k // 2, to_pong_w, to_ping_r),
                    pong_task(to_pong_r, to_ping_w),
                ]
                return int(run_generators(tasks, reactor)[0])

            yield common_loop(one_round, k, "generators")
    finally:
        reactor.close()


# -- memory -----------------------------------------------------------------------------


def _parked(ballast: int) -> Generator[None, None, int]:
    held = ballast_bytes(ballast)
    yield
    del held
    return 1


def hold_generators(n: int, ballast: int = 0) -> list[Generator[None, None, int]]:
    """N generators, each advanced to its ``yield`` and suspended there."""
    tasks = [_parked(ballast) for _ in range(n)]
    for task in tasks:
        next(task)
    return tasks


def release_generators(tasks: list[Generator[None, None, int]]) -> int:
    """Resume every generator to its end; return how many returned 1."""
    done = 0
    for task in tasks:
        try:
            task.send(None)
        except StopIteration as stop:
            done += stop.value
    return done


@contextmanager
def generator_holder(case: MicroCase, ballast: int) -> Iterator[Holder[list[Generator[None, None, int]]]]:
    """The holder of N generators suspended at ``yield``."""
    yield Holder(lambda n: hold_generators(n, ballast), release_generators)


class Generators(Model):
    """Creates N generator tasks and runs them under the yield scheduler."""

    name = "generators"
    form = Form.GENERATOR
    summary = "yield/send coroutines under a small scheduler (sleep deadlines, socket readiness)"
    traits = Traits(waits="cooperative", parallel_python=False, in_parent=True, fixed_pool=False)
    colour = "#8c564b"

    def __init__(self, variant: str | None = None) -> None:
        super().__init__(variant)
        self._reactor: Reactor[Any] = Reactor()

    def close(self) -> None:
        self._reactor.close()

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        return run_generators([task(i) for i in range(n_tasks)], self._reactor)

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        return MicroHooks(
            {
                SPAWN: MicroLoop(spawn_generators, "generator creation + next()", PerProfile(quick=100_000)),
                SWITCH: Families(
                    MicroLoop(switch_send, "generator.send", PerProfile(quick=200_000)),
                    common=MicroLoop(switch_pipes, "os.pipe via the scheduler's selector", PerProfile(quick=2_000)),
                ),
                IPC: Skip(NOT_IPC + "generator tasks share one thread and pass values with send()"),
                MEMORY: MemoryHook(
                    generator_holder, "generator suspended at yield", PerProfile(quick=10_000, smoke=1_000)
                ),
            }
        )
