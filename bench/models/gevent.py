"""gevent: ``gevent.spawn`` + ``joinall`` over the blocking form, monkey-patched.

This model only runs in gevent's own interpreter, where ``bench.session`` applies
gevent's monkey-patching before anything else; ``time.sleep`` and ``urlopen``'s
sockets then yield to gevent's hub by themselves. gevent itself is imported inside
the functions that use it, so reading this class's declarations imports no gevent.

Its micro-costs: spawn is ``gevent.spawn`` and ``get``; switch hands values between
two greenlets through two ``gevent.queue.Queue`` (native; every hand-over goes
through the hub, as every gevent wait does) or two OS pipes with
``gevent.os.nb_read``/``nb_write`` (common); memory holds N greenlets on a
``gevent.event.Event``. None of them needs the patching: they use gevent's own calls.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from bench.micro import MicroCase
from bench.micro._children import ran
from bench.micro._held import Holder, ballast_bytes
from bench.micro._loop import JOIN_TIMEOUT_S, ROUND_TIMEOUT_S, Loop, WrongAnswer, counted
from bench.micro.costs import IPC, MEMORY, SPAWN, SWITCH
from bench.micro.hooks import Families, MemoryHook, MicroHooks, MicroLoop, PerProfile, Skip
from bench.micro.switch_common import STOP, VALUE, common_loop, pipes, switch_loop
from bench.models._base import Model, Task, Traits
from bench.models._skips import NOT_IPC
from workloads.protocol import Form

# -- spawn ----------------------------------------------------------------------------


@contextmanager
def spawn_greenlets(case: MicroCase, k: int) -> Iterator[Loop]:
    """K ``gevent.spawn`` + ``get``; the round runs under one ``gevent.Timeout``."""
    import gevent

    spawn = gevent.spawn

    def one_round() -> int:
        done = 0
        with gevent.Timeout(ROUND_TIMEOUT_S, TimeoutError):
            for _ in range(k):
                done += spawn(ran).get()
        return done

    yield Loop(one_round, counted(k, "spawn: greenlets finished"), k)


# -- switch -----------------------------------------------------------------------------


def _join_round(ping: Any, pong: Any) -> int:
    """Spawn ``ping`` and ``pong``, wait for both within a round's timeout; return ping's value."""
    import gevent

    tasks = [gevent.spawn(ping), gevent.spawn(pong)]
    try:
        gevent.joinall(tasks, timeout=ROUND_TIMEOUT_S, raise_error=True)
        if not all(task.ready() for task in tasks):
            raise TimeoutError(f"switch gevent: the round did not finish within {ROUND_TIMEOUT_S:.0f} s")
        return int(tasks[0].value)
    finally:
        gevent.killall([task for task in tasks if not task.ready()])


@contextmanager
def switch_queues(case: MicroCase, k: int) -> Iterator[Loop]:
    """Two greenlets spawned by gevent, handing values over through two ``gevent.queue.Queue``."""
    from gevent.queue import Queue

    round_trips = k // 2

    def one_round() -> int:
        to_pong: Queue = Queue()
        to_ping: Queue = Queue()

        def ping() -> int:
            total = 0
            put, get = to_pong.put, to_ping.get
            for i in range(round_trips):
                put(i)
                total += get()
            put(None)
            return total

        def pong() -> None:
            get, put = to_pong.get, to_ping.put
            while (n := get()) is not None:
                put(n)

        return _join_round(ping, pong)

    yield switch_loop(one_round, k, "gevent")


@contextmanager
def switch_pipes(case: MicroCase, k: int) -> Iterator[Loop]:
    """Two gevent greenlets on ``gevent.os.nb_read``/``nb_write``: the hub waits on the pipe."""
    from gevent.os import nb_read, nb_write

    round_trips = k // 2
    with pipes() as (to_pong_r, to_pong_w, to_ping_r, to_ping_w):
        for fd in (to_pong_r, to_pong_w, to_ping_r, to_ping_w):
            os.set_blocking(fd, False)  # nb_read and nb_write need non-blocking descriptors

        def get(fd: int) -> int:
            data = nb_read(fd, VALUE.size)
            if len(data) != VALUE.size:
                raise WrongAnswer(f"switch gevent (common): read {len(data)} bytes, expected {VALUE.size}")
            return int(VALUE.unpack(data)[0])

        def ping() -> int:
            total = 0
            for i in range(round_trips):
                nb_write(to_pong_w, VALUE.pack(i))
                total += get(to_ping_r)
            nb_write(to_pong_w, STOP)
            return total

        def pong() -> None:
            while (n := get(to_pong_r)) >= 0:
                nb_write(to_ping_w, VALUE.pack(n))

        yield common_loop(lambda: _join_round(ping, pong), k, "gevent")


# -- memory -----------------------------------------------------------------------------


@contextmanager
def gevent_holder(case: MicroCase, ballast: int) -> Iterator[Holder[Any]]:
    """N ``gevent.spawn`` greenlets waiting on one ``gevent.event.Event``.

    ``hold`` yields to the hub until every greenlet has started and is waiting.
    """
    import gevent
    from gevent.event import Event

    def parked(release: Event, started: list[int]) -> int:
        held = ballast_bytes(ballast)
        started.append(1)
        release.wait()
        del held
        return 1

    def hold(n: int) -> tuple[Event, list[gevent.Greenlet]]:
        release = Event()
        started: list[int] = []
        tasks = [gevent.spawn(parked, release, started) for _ in range(n)]
        try:
            with gevent.Timeout(ROUND_TIMEOUT_S, TimeoutError):
                while len(started) < n:
                    gevent.sleep(0)
        except BaseException:
            gevent.killall(tasks)
            raise
        return release, tasks

    def release(held_tasks: tuple[Event, list[gevent.Greenlet]]) -> int:
        release, tasks = held_tasks
        release.set()
        gevent.joinall(tasks, timeout=JOIN_TIMEOUT_S)
        gevent.killall([task for task in tasks if not task.ready()])
        return sum(1 for task in tasks if task.successful() and task.value == 1)

    yield Holder(hold, release)


class Gevent(Model):
    """Spawn a greenlet per task and join them all; errors are re-raised."""

    name = "gevent"
    form = Form.BLOCKING
    summary = "gevent.spawn + joinall over the blocking form, monkey-patched"
    traits = Traits(waits="cooperative", parallel_python=False, in_parent=True, fixed_pool=False)
    colour = "#2ca02c"
    packages = ("gevent",)
    prelude = "bench.gevent_patch:patch_everything"

    @classmethod
    def isolation_facts(cls) -> Mapping[str, Any]:
        """Whether this interpreter imported gevent, and whether gevent patched its sockets."""
        monkey = sys.modules.get("gevent.monkey")
        return {
            "gevent_imported": "gevent" in sys.modules,
            "gevent_patched": monkey is not None and bool(monkey.is_module_patched("socket")),
        }

    def __init__(self, variant: str | None = None) -> None:
        import gevent

        super().__init__(variant)
        self._gevent = gevent

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        gevent = self._gevent
        greenlets = [gevent.spawn(task, i) for i in range(n_tasks)]
        gevent.joinall(greenlets, raise_error=True)
        return [glet.value for glet in greenlets]

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        return MicroHooks(
            {
                SPAWN: MicroLoop(spawn_greenlets, "gevent.spawn + get (through the hub)", PerProfile(quick=5_000)),
                SWITCH: Families(
                    MicroLoop(switch_queues, "gevent.queue.Queue via the hub", PerProfile(quick=10_000)),
                    common=MicroLoop(
                        switch_pipes, "os.pipe via gevent's hub (gevent.os.nb_read)", PerProfile(quick=2_000)
                    ),
                ),
                IPC: Skip(NOT_IPC + "gevent greenlets share one thread and pass values by reference"),
                MEMORY: MemoryHook(
                    gevent_holder,
                    "gevent greenlet waiting on gevent.event.Event",
                    PerProfile(quick=10_000, smoke=1_000),
                ),
            }
        )
