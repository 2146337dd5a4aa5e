"""The micro-costs of ``processes``: spawn, switch and memory (ipc in :mod:`._ipc`).

- spawn: create, ``start`` and ``join`` a ``multiprocessing.Process``, once per start
  method (the variant), from a small helper interpreter (see :func:`spawn_processes`);
- switch: this process and a partner child, through a duplex ``Pipe`` (``send``/``recv``
  of the value; native), or blocking in ``os.read`` on two one-way ``Pipe`` s (common),
  with the default start method only, at every CPU placement;
- memory: N children waiting on a ``multiprocessing.Event``, measured by their unique
  set size (USS, the pages only that child holds), with their proportional set size
  (PSS, shared pages split among their sharers) beside it.

``spawn`` and ``memory`` depend on how a process is made, so they run once per start
method of the profile and of :data:`MICRO_START_METHODS`; ``switch`` and ``ipc`` use
the platform's default start method only, as a start method changes how a child is
made, not how bytes travel once it runs. Starting a process with ``spawn`` costs
~30-60 ms (a fresh interpreter), so even ``smoke`` can afford a round of one of them.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event as ProcessEvent
from typing import TYPE_CHECKING

import psutil

from bench.micro import MicroCase, default_start_method
from bench.micro._children import echo, echo_fd, held, start_processes
from bench.micro._held import Holder
from bench.micro._loop import (
    HOLD_TIMEOUT_S,
    JOIN_TIMEOUT_S,
    ROUND_TIMEOUT_S,
    Loop,
    await_ready,
    counted,
    expect,
    finish_process,
    kill_all,
    new_process,
)
from bench.micro.costs import IPC, MEMORY, SPAWN, SWITCH
from bench.micro.hooks import Families, MemoryHook, MicroHooks, MicroLoop, PerProfile
from bench.micro.placement import cpus, pin_process, pinned
from bench.micro.switch_common import STOP, blocking_ping, common_loop, switch_loop
from bench.models._limits import process_limit

if TYPE_CHECKING:
    from bench.profiles import Profile

#: Start methods that spawn and memory run beyond the profile's own, by profile.
MICRO_START_METHODS: dict[str, tuple[str, ...]] = {
    "smoke": ("fork", "spawn"),
    "quick": ("fork", "spawn"),
    "full": ("fork", "forkserver", "spawn"),
}


def default_method(profile: Profile) -> tuple[str | None, ...]:
    """The start method the two-party micro-costs (switch, ipc) run with: this platform's default."""
    return (default_start_method(),)


def start_methods(profile: Profile) -> tuple[str | None, ...]:
    """The start methods spawn and memory run with: all of the profile's, and its micro-cost extras."""
    wanted = dict.fromkeys([*profile.start_methods, *MICRO_START_METHODS.get(profile.name, ())])
    available = multiprocessing.get_all_start_methods()
    return tuple(method for method in wanted if method in available)


def _start_method(case: MicroCase) -> str:
    assert case.variant is not None, "processes cases carry their start method as the variant"
    return case.variant


# -- spawn ----------------------------------------------------------------------------


@contextmanager
def spawn_processes(case: MicroCase, k: int) -> Iterator[Loop]:
    """K processes of the case's start method, each started and joined before the next one.

    A small helper interpreter, the starter (made with ``spawn``, untimed), starts
    them; a round is one request to it and its reply. ``fork`` copies the page tables
    of the process that forks, so its cost grows with that process's size (~0.1 ms
    per MiB of resident memory on a small machine): started from the process that
    times them, the figure would measure the size of pytest and its plugins. From the
    starter it is the cost of forking a small Python program, whoever times it.
    """
    method = _start_method(case)
    spawner = multiprocessing.get_context("spawn")
    here, there = spawner.Pipe()
    # Not a daemon: it starts children of its own. It ends on None, or when ``here`` closes.
    starter = new_process(spawner, start_processes, there, method, JOIN_TIMEOUT_S, name="starter", daemon=False)
    starter.start()
    there.close()

    def request(count: int) -> int:
        here.send(count)
        if not here.poll(ROUND_TIMEOUT_S):
            raise TimeoutError(f"spawn: the starter did not start {count} processes within {ROUND_TIMEOUT_S:.0f} s")
        return int(here.recv())

    def one_round() -> int:
        return request(k)

    try:
        request(0)  # the starter is up and listening before anything is timed
        yield Loop(one_round, counted(k, "spawn: processes exited with code 0"), k, {"start_method": method})
        here.send(None)
        finish_process(starter)
    finally:
        here.close()
        kill_all([starter])


# -- switch -----------------------------------------------------------------------------


@contextmanager
def switch_pipe(case: MicroCase, k: int) -> Iterator[Loop]:
    """This process and a partner child, through a duplex ``Pipe``, at the case's placement.

    A child that dies closes its end, so ``recv`` here fails with ``EOFError``
    instead of waiting forever.
    """
    method = _start_method(case)
    context = multiprocessing.get_context(method)
    here, there = context.Pipe()
    partner = new_process(context, echo, there, os.getpid(), name="switch-partner")
    partner.start()
    there.close()
    here_cpu, there_cpu = cpus(case.placement)
    round_trips = k // 2

    def one_round() -> int:
        total = 0
        send, recv = here.send, here.recv
        for i in range(round_trips):
            send(i)
            total += recv()
        return total

    try:
        assert partner.pid is not None
        pin_process(partner.pid, there_cpu)
        here.send(0)  # the partner is up and answering before anything is timed
        expect(here.recv(), 0, "switch processes: the partner's first answer")
        with pinned(here_cpu):
            yield switch_loop(one_round, k, "processes", start_method=method)
        here.send(None)
        finish_process(partner)
    finally:
        here.close()
        kill_all([partner])


@contextmanager
def switch_os_pipes(case: MicroCase, k: int) -> Iterator[Loop]:
    """This process and a partner child blocking in ``os.read`` on two one-way ``Pipe`` s."""
    method = _start_method(case)
    context = multiprocessing.get_context(method)
    to_pong_r, to_pong_w = context.Pipe(duplex=False)
    to_ping_r, to_ping_w = context.Pipe(duplex=False)
    partner = new_process(context, echo_fd, to_pong_r, to_ping_w, os.getpid(), name="switch-partner")
    partner.start()
    to_pong_r.close()
    to_ping_w.close()
    here, there = cpus(case.placement)
    send_fd, recv_fd = to_pong_w.fileno(), to_ping_r.fileno()
    try:
        assert partner.pid is not None
        pin_process(partner.pid, there)
        expect(blocking_ping(1, send_fd, recv_fd), 0, "switch processes (common): the partner's first answer")
        with pinned(here):
            yield common_loop(lambda: blocking_ping(k // 2, send_fd, recv_fd), k, "processes", start_method=method)
        os.write(send_fd, STOP)
        finish_process(partner)
    finally:
        to_pong_w.close()
        to_ping_r.close()
        kill_all([partner])


# -- memory -----------------------------------------------------------------------------


@dataclass
class HeldProcesses:
    """N child processes waiting on ``release``."""

    release: ProcessEvent
    processes: list[BaseProcess]


def process_holder(start_method: str) -> Holder[HeldProcesses]:
    """N children of ``start_method`` waiting on a ``multiprocessing.Event``; footprint = their USS."""
    context = multiprocessing.get_context(start_method)

    def release(held_processes: HeldProcesses) -> int:
        held_processes.release.set()
        done = 0
        try:
            for proc in held_processes.processes:
                done += finish_process(proc) == 0
        finally:
            kill_all(held_processes.processes)
        return done

    def hold(n: int) -> HeldProcesses:
        ready = context.Semaphore(0)
        held_processes = HeldProcesses(context.Event(), [])
        try:
            for _ in range(n):
                proc = new_process(context, held, ready, held_processes.release, HOLD_TIMEOUT_S)
                proc.start()
                held_processes.processes.append(proc)
            await_ready(ready, n, "child")
        except BaseException:
            release(held_processes)
            raise
        return held_processes

    def footprint(held_processes: HeldProcesses) -> dict[str, int]:
        infos = [psutil.Process(p.pid).memory_full_info() for p in held_processes.processes if p.pid]
        return {"uss": sum(int(info.uss) for info in infos), "pss": sum(int(getattr(info, "pss", 0)) for info in infos)}

    return Holder(hold, release, footprint, {"start_method": start_method})


@contextmanager
def holder(case: MicroCase, ballast: int) -> Iterator[Holder[HeldProcesses]]:
    """The holder of N children of the case's start method (a ballast does not apply to children)."""
    yield process_holder(_start_method(case))


def memory_limit(case: MicroCase) -> str | None:
    """Why ``case``'s N processes cannot be held on this machine, or None when they can."""
    if case.n_tasks is None or not case.variant:
        return None
    return process_limit(case.n_tasks, case.variant)


def micro_hooks() -> MicroHooks:
    """The micro-cost hooks of ``processes``."""
    from bench.models.processes._ipc import CHANNELS

    return MicroHooks(
        {
            SPAWN: MicroLoop(
                spawn_processes,
                "multiprocessing.Process start + join, from a small helper",
                PerProfile(quick=10),
                ops_by_variant={"forkserver": PerProfile(quick=4), "spawn": PerProfile(quick=2)},
            ),
            SWITCH: Families(
                MicroLoop(switch_pipe, "multiprocessing.Pipe send/recv", PerProfile(quick=2_000)),
                common=MicroLoop(switch_os_pipes, "os.pipe, blocking read", PerProfile(quick=2_000)),
            ),
            IPC: CHANNELS,
            MEMORY: MemoryHook(
                holder,
                "process waiting on multiprocessing.Event",
                PerProfile(quick=20, smoke=4, full=200),
                tasks_by_variant={"fork": PerProfile(quick=100, smoke=10, full=1_000)},
                counts="unique set size (USS) per child; PSS beside it",
                limit=memory_limit,
            ),
        },
        placed=True,
        variants=default_method,
        variants_by_cost={SPAWN: start_methods, MEMORY: start_methods},
    )
