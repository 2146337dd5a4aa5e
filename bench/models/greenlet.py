"""greenlet: raw ``greenlet.switch()`` tasks under a small hub.

A task runs in its own greenlet as a plain function; when it must wait it calls
the hub's ``wait``, which parks the greenlet in the reactor and switches to the
hub; the hub switches back when the deadline passes or the socket is ready. The
generator form of a workload is driven through ``wait`` (see
:func:`workloads._base.drive`), so no task ever yields to the hub itself.

Its micro-costs: spawn creates a greenlet and switches into it until its function
returns; switch is greenlet's own test1/test2 example, two greenlets ``switch()`` ing
to each other (native), or two tasks on two OS pipes under the hub's selector
(common); memory holds N greenlets switched away.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Any

import greenlet

from bench.micro import MicroCase, switch_common
from bench.micro._children import ran
from bench.micro._held import Holder, ballast_bytes
from bench.micro._loop import Loop, counted
from bench.micro.costs import IPC, MEMORY, SPAWN, SWITCH
from bench.micro.hooks import Families, MemoryHook, MicroHooks, MicroLoop, PerProfile, Skip
from bench.micro.switch_common import common_loop, pipes, switch_loop
from bench.models._base import Model, Task, Traits
from bench.models._reactor import Reactor
from bench.models._skips import NOT_IPC
from workloads.protocol import Form, Readable, Wait, drive

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


# -- spawn ----------------------------------------------------------------------------


@contextmanager
def spawn_greenlets(case: MicroCase, k: int) -> Iterator[Loop]:
    """K greenlets, each switched into and run to its end (its value comes back to the switcher)."""
    make = greenlet.greenlet

    def one_round() -> int:
        done = 0
        for _ in range(k):
            done += make(ran).switch()
        return done

    yield Loop(one_round, counted(k, "spawn: greenlets finished"), k)


# -- switch -----------------------------------------------------------------------------


def ping_pong_greenlets(round_trips: int) -> int:
    """greenlet's test1/test2 example: two greenlets switch to each other; return pong's total.

    Pong's parent is ping, so when pong returns its total it arrives in ping's last
    ``switch``, and ping's own return arrives here.
    """

    def ping() -> int:
        for i in range(round_trips):
            pong_task.switch(i)
        return int(pong_task.switch(None))

    def pong(n: int | None) -> int:
        total = 0
        while n is not None:
            total += n
            n = ping_task.switch()
        return total

    ping_task = greenlet.greenlet(ping)
    pong_task = greenlet.greenlet(pong, parent=ping_task)
    return int(ping_task.switch())


@contextmanager
def switch_greenlets(case: MicroCase, k: int) -> Iterator[Loop]:
    """test1/test2 with ``greenlet.switch()``."""
    yield switch_loop(lambda: ping_pong_greenlets(k // 2), k, "greenlet")


@contextmanager
def switch_pipes(case: MicroCase, k: int) -> Iterator[Loop]:
    """Two greenlets under the greenlet hub, waiting in its selector (made once)."""
    hub = Hub()
    try:
        with pipes() as (to_pong_r, to_pong_w, to_ping_r, to_ping_w):

            def task(i: int) -> Generator[Readable, None, int]:
                if i == 0:
                    return switch_common.ping_task(k // 2, to_pong_w, to_ping_r)
                return switch_common.pong_task(to_pong_r, to_ping_w)

            yield common_loop(lambda: int(hub.run(task, 2)[0]), k, "greenlet")
    finally:
        hub.close()


# -- memory -----------------------------------------------------------------------------


def hold_greenlets(n: int, ballast: int = 0) -> list[greenlet.greenlet]:
    """N greenlets, each switched into once and parked by switching straight back here."""
    here = greenlet.getcurrent()

    def park() -> int:
        held = ballast_bytes(ballast)
        here.switch()
        del held
        return 1

    tasks: list[greenlet.greenlet] = []
    try:
        for _ in range(n):
            task = greenlet.greenlet(park)
            task.switch()
            tasks.append(task)
    except BaseException:
        release_greenlets(tasks)
        raise
    return tasks


def release_greenlets(tasks: list[greenlet.greenlet]) -> int:
    """Switch into every parked greenlet so it returns; return how many returned 1."""
    return sum(int(task.switch()) for task in tasks if not task.dead)


@contextmanager
def greenlet_holder(case: MicroCase, ballast: int) -> Iterator[Holder[list[greenlet.greenlet]]]:
    """The holder of N greenlets switched away."""
    yield Holder(lambda n: hold_greenlets(n, ballast), release_greenlets)


class Greenlet(Model):
    """One raw greenlet per task, switched by a hub on sleep and socket readiness."""

    name = "greenlet"
    form = Form.GENERATOR
    summary = "raw greenlet.switch() tasks under a small hub (sleep deadlines, socket readiness)"
    traits = Traits(waits="cooperative", parallel_python=False, in_parent=True, fixed_pool=False)
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

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        return MicroHooks(
            {
                SPAWN: MicroLoop(spawn_greenlets, "greenlet creation + switch()", PerProfile(quick=5_000)),
                SWITCH: Families(
                    MicroLoop(switch_greenlets, "greenlet.switch", PerProfile(quick=100_000)),
                    common=MicroLoop(switch_pipes, "os.pipe via the hub's selector", PerProfile(quick=2_000)),
                ),
                IPC: Skip(NOT_IPC + "greenlets share one thread and pass values with switch()"),
                MEMORY: MemoryHook(greenlet_holder, "greenlet switched away", PerProfile(quick=10_000, smoke=1_000)),
            }
        )
