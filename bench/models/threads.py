"""threads: one ``threading.Thread`` per task, start all, join all.

Its micro-costs: spawn creates, starts and joins one thread at a time; switch hands
values to a partner thread through two ``queue.Queue`` (native) or two OS pipes, the
partner blocking in ``os.read`` with the GIL released (common); ipc's in-process
reference sends through a ``queue.Queue`` to a receiver thread (a reference moves,
no bytes); memory holds N threads on a ``threading.Event``. The two-thread cases run
at every CPU placement (:mod:`bench.micro.placement`): each thread pins itself.
"""

from __future__ import annotations

import os
import queue
import resource
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psutil

from bench.micro import MicroCase
from bench.micro._children import tally_rounds
from bench.micro._held import Holder, ballast_bytes
from bench.micro._loop import HOLD_TIMEOUT_S, JOIN_TIMEOUT_S, ROUND_TIMEOUT_S, Loop, await_ready, counted
from bench.micro.costs import IPC, MEMORY, SPAWN, SWITCH
from bench.micro.hooks import Families, IpcChannel, MemoryHook, MicroHooks, MicroLoop, PerProfile
from bench.micro.ipc import DISTINCT_PAYLOADS, Tally, Tamper, ipc_loop, prepare
from bench.micro.placement import cpus, pin_this_thread, pinned
from bench.micro.sizes import PAYLOADS
from bench.micro.switch_common import STOP, VALUE, blocking_ping, common_loop, pipes, read_value, switch_loop
from bench.models._base import Model, Task, Traits
from workloads.protocol import Form

_MISSING = object()


def run_in_threads(task: Task, n_tasks: int) -> list[Any]:
    """Start one thread per task, join them all, and re-raise the first failure."""
    results: list[Any] = [_MISSING] * n_tasks
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            results[i] = task(i)
        except BaseException as exc:  # re-raised in the caller below
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(n_tasks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


# -- spawn ----------------------------------------------------------------------------


@contextmanager
def spawn_threads(case: MicroCase, k: int) -> Iterator[Loop]:
    """K threads, each created, started and joined before the next one."""

    def one_round() -> int:
        done: list[int] = []
        for _ in range(k):
            thread = threading.Thread(target=done.append, args=(1,), daemon=True)
            thread.start()
            thread.join(JOIN_TIMEOUT_S)
            if thread.is_alive():
                raise TimeoutError(f"spawn: a thread did not finish within {JOIN_TIMEOUT_S:.0f} s")
        return len(done)

    yield Loop(one_round, counted(k, "spawn: threads finished"), k)


# -- switch -----------------------------------------------------------------------------


def _echo_thread(inbox: queue.Queue[int | None], outbox: queue.Queue[int], cpu: int | None) -> None:
    pin_this_thread(cpu)
    get, put = inbox.get, outbox.put
    while (n := get()) is not None:
        put(n)


@contextmanager
def switch_queues(case: MicroCase, k: int) -> Iterator[Loop]:
    """This thread and a partner thread, through two ``queue.Queue``, at the case's placement."""
    here, there = cpus(case.placement)
    to_pong: queue.Queue[int | None] = queue.Queue()
    to_ping: queue.Queue[int] = queue.Queue()
    partner = threading.Thread(target=_echo_thread, args=(to_pong, to_ping, there), name="switch-partner", daemon=True)
    partner.start()
    round_trips = k // 2

    def one_round() -> int:
        total = 0
        put, get = to_pong.put, to_ping.get
        for i in range(round_trips):
            put(i)
            total += get(timeout=JOIN_TIMEOUT_S)
        return total

    try:
        with pinned(here):
            yield switch_loop(one_round, k, "threads")
    finally:
        to_pong.put(None)
        partner.join(JOIN_TIMEOUT_S)


def _echo_fd_thread(recv_fd: int, send_fd: int, cpu: int | None) -> None:
    pin_this_thread(cpu)
    while (n := read_value(recv_fd)) >= 0:
        os.write(send_fd, VALUE.pack(n))


@contextmanager
def switch_pipes(case: MicroCase, k: int) -> Iterator[Loop]:
    """This thread and a partner thread blocking in ``os.read`` on two pipes, at the case's placement."""
    here, there = cpus(case.placement)
    with pipes() as (to_pong_r, to_pong_w, to_ping_r, to_ping_w):
        partner = threading.Thread(
            target=_echo_fd_thread, args=(to_pong_r, to_ping_w, there), name="switch-partner", daemon=True
        )
        partner.start()
        try:
            with pinned(here):
                yield common_loop(lambda: blocking_ping(k // 2, to_pong_w, to_ping_r), k, "threads")
        finally:
            os.write(to_pong_w, STOP)
            partner.join(JOIN_TIMEOUT_S)


# -- ipc ----------------------------------------------------------------------------------


def _receive_thread(
    channel: queue.Queue[bytes | None],
    tallies: queue.Queue[Tally],
    payloads: list[bytes],
    messages: int,
    cpu: int | None,
) -> None:
    pin_this_thread(cpu)
    tally_rounds(channel.get, payloads, messages, tallies.put)


@contextmanager
def thread_queue(case: MicroCase, messages: int, tamper: Tamper | None = None) -> Iterator[Loop]:
    """``queue.Queue`` to a receiver thread: the in-process reference (a reference moves, no bytes)."""
    expected, sent = prepare(case, tamper)
    here, there = cpus(case.placement)
    channel: queue.Queue[bytes | None] = queue.Queue()
    tallies: queue.Queue[Tally] = queue.Queue()
    receiver = threading.Thread(
        target=_receive_thread, args=(channel, tallies, expected, messages, there), name="ipc-receiver", daemon=True
    )
    receiver.start()

    def one_round() -> Tally:
        put = channel.put
        for j in range(messages):
            put(sent[j % DISTINCT_PAYLOADS])
        return tallies.get(timeout=ROUND_TIMEOUT_S)

    try:
        with pinned(here):
            yield ipc_loop(case, messages, one_round)
    finally:
        channel.put(None)
        receiver.join(JOIN_TIMEOUT_S)


# -- memory -------------------------------------------------------------------------------

#: Rough resident cost of one idle thread (its touched stack pages and kernel side),
#: used only to refuse thread counts this machine's memory cannot hold.
THREAD_BYTES = 256 * 1024


@dataclass
class HeldThreads:
    """N threads waiting on ``release``; each appends to ``finished`` once released."""

    release: threading.Event
    threads: list[threading.Thread]
    finished: list[int]


def _parked_thread(ready: threading.Semaphore, release: threading.Event, finished: list[int], ballast: int) -> None:
    held = ballast_bytes(ballast)
    ready.release()
    if release.wait(HOLD_TIMEOUT_S):
        finished.append(1)
    del held


def release_threads(held_threads: HeldThreads) -> int:
    """Set the event, join every thread; return how many were released (not timed out)."""
    held_threads.release.set()
    for thread in held_threads.threads:
        thread.join(JOIN_TIMEOUT_S)
    alive = sum(thread.is_alive() for thread in held_threads.threads)
    if alive:
        raise TimeoutError(f"memory: {alive} threads did not finish within {JOIN_TIMEOUT_S:.0f} s of release")
    return len(held_threads.finished)


def hold_threads(n: int, ballast: int = 0) -> HeldThreads:
    """N threads, returned once every one has said it is up (and is about to wait)."""
    ready = threading.Semaphore(0)
    held_threads = HeldThreads(threading.Event(), [], [])
    try:
        for _ in range(n):
            thread = threading.Thread(
                target=_parked_thread,
                args=(ready, held_threads.release, held_threads.finished, ballast),
                daemon=True,
            )
            thread.start()
            held_threads.threads.append(thread)
        await_ready(ready, n, "thread")
    except BaseException:
        release_threads(held_threads)
        raise
    return held_threads


@contextmanager
def thread_holder(case: MicroCase, ballast: int) -> Iterator[Holder[HeldThreads]]:
    """The holder of N threads waiting on a ``threading.Event``."""
    yield Holder(lambda n: hold_threads(n, ballast), release_threads)


def _threads_running() -> int:
    """Threads of every process this user can see (what ``ulimit -u`` counts, roughly)."""
    total = 0
    for proc in psutil.process_iter():
        try:
            total += proc.num_threads()
        except psutil.Error:
            continue
    return total


def thread_limit(n_tasks: int) -> str | None:
    """Why ``n_tasks`` live threads cannot be held here, or None when they can."""
    caps = {"memory": int(psutil.virtual_memory().available * 0.5) // THREAD_BYTES}
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[0]
    if nproc != resource.RLIM_INFINITY:
        caps["the per-user process limit (ulimit -u)"] = nproc - _threads_running()
    try:
        with open("/proc/sys/kernel/threads-max") as threads_max:
            caps["kernel.threads-max"] = int(threads_max.read()) // 2
    except OSError:
        pass
    bound, cap = min(caps.items(), key=lambda item: item[1])
    if n_tasks <= cap:
        return None
    return f"{n_tasks} live threads exceed what this machine can hold (~{cap}, bound by {bound})"


def _memory_limit(case: MicroCase) -> str | None:
    return thread_limit(case.n_tasks) if case.n_tasks is not None else None


class Threads(Model):
    """A thread per task: creation is timed, as it is part of the model."""

    name = "threads"
    form = Form.BLOCKING
    summary = "threading.Thread per task: start all, join all"
    traits = Traits(waits="thread", parallel_python=False, in_parent=True, fixed_pool=False)
    colour = "#1f77b4"

    def run(self, task: Task, n_tasks: int) -> list[Any]:
        return run_in_threads(task, n_tasks)

    @classmethod
    def micro_hooks(cls) -> MicroHooks:
        return MicroHooks(
            {
                SPAWN: MicroLoop(spawn_threads, "threading.Thread start + join", PerProfile(quick=300)),
                SWITCH: Families(
                    MicroLoop(switch_queues, "queue.Queue", PerProfile(quick=2_000)),
                    common=MicroLoop(switch_pipes, "os.pipe, blocking read", PerProfile(quick=2_000)),
                ),
                IPC: (
                    IpcChannel(
                        "thread_queue",
                        thread_queue,
                        "queue.Queue put/get (a reference moves)",
                        # A reference moves whatever the size: the same count of each.
                        dict.fromkeys(PAYLOADS, PerProfile(quick=20_000)),
                    ),
                ),
                MEMORY: MemoryHook(
                    thread_holder,
                    "thread waiting on threading.Event",
                    PerProfile(quick=1_000, smoke=100, full=10_000),
                    counts="resident set growth: each thread's touched stack pages and thread structures, "
                    "not the 8 MiB of stack it reserves",
                    limit=_memory_limit,
                ),
            },
            placed=True,
        )
