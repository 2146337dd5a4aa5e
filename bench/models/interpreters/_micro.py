"""The interpreters model's micro-costs: spawn, switch, ipc and memory of subinterpreters.

- spawn: create an interpreter, run one statement in it, close it (the cost of a
  task that is an interpreter); variant ``pool``: one ``submit`` + ``result`` on a
  warm ``InterpreterPoolExecutor`` of one.
- switch: this thread and a subinterpreter running in a thread of its own hand
  values back and forth through two PEP 734 ``Queue`` s (native), or through two OS
  pipes, the subinterpreter blocking in ``os.read`` (common). The backport's
  ``Queue.get`` polls every 10 ms while the queue is empty, so the native hand-over
  is about that: its rows are small.
- ipc: bytes through a PEP 734 ``Queue`` to a receiver subinterpreter. ``bytes`` are
  shareable, so the receiver gets a copy of the data, not a pickle.
- memory: N interpreters alive at once, each waiting in a thread of its own for a
  ``Queue`` to give it a value.

What runs inside a subinterpreter is a short script of the standard library's
``os`` and PEP 734's queue module: the interpreter imports nothing of this project.
"""

from __future__ import annotations

import os
import pickle
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bench.micro import MicroCase
from bench.micro._held import Holder
from bench.micro._loop import HOLD_TIMEOUT_S, JOIN_TIMEOUT_S, ROUND_TIMEOUT_S, Loop, counted
from bench.micro.costs import IPC, MEMORY, SPAWN, SWITCH
from bench.micro.hooks import Families, IpcChannel, MemoryHook, MicroHooks, MicroLoop, PerProfile
from bench.micro.ipc import DISTINCT_PAYLOADS, Tally, Tamper, ipc_loop, prepare
from bench.micro.sizes import PAYLOADS
from bench.micro.switch_common import STOP, blocking_ping, common_loop, pipes, switch_loop
from bench.models._by_reference import call_by_reference, one, reference
from bench.models.interpreters import executor_class, interpreters_module, queues_module_name, results_of
from bench.profiles import Profile

#: The spawn variant that submits to a warm pool instead of making an interpreter.
POOL = "pool"
#: What a pool task that ran sends back: ``one``'s 1, pickled.
_RAN = pickle.dumps(1)


def spawn_variants(profile: Profile) -> tuple[str | None, ...]:
    """Spawn runs twice: a new interpreter, and a pool submit (every other micro-cost once)."""
    return (None, POOL)


def _new(*, queues: bool = False, **shared: Any) -> Any:
    """A new interpreter with ``shared`` in its ``__main__`` (queues need their module imported first)."""
    interp = interpreters_module().create()
    if queues:
        interp.exec(f"import {queues_module_name()}")
    if shared:
        interp.prepare_main(**shared)
    return interp


@contextmanager
def running(script: str, *, queues: bool = False, **shared: Any) -> Iterator[threading.Thread]:
    """A new interpreter running ``script`` in a thread of its own; closed after its thread is joined.

    The caller makes the script end before the block does (a stop value); a script
    still running after :data:`JOIN_TIMEOUT_S` fails the case.
    """
    interp = _new(queues=queues, **shared)
    errors: list[BaseException] = []

    def body() -> None:
        try:
            interp.exec(script)
        except BaseException as exc:  # raised in the case below
            errors.append(exc)

    thread = threading.Thread(target=body, name="interpreter", daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        thread.join(JOIN_TIMEOUT_S)
        if thread.is_alive():
            raise TimeoutError(f"a subinterpreter's script did not end within {JOIN_TIMEOUT_S:.0f} s")
        interp.close()
        if errors:
            raise errors[0]


# -- spawn --------------------------------------------------------------------------


@contextmanager
def spawn_interpreters(case: MicroCase, k: int) -> Iterator[Loop]:
    """spawn: K interpreters, each created, run one statement and closed before the next.

    Variant ``pool``: K ``submit(...).result()`` round trips on a warm one-worker
    ``InterpreterPoolExecutor``, the task sent by importable reference.
    """
    if case.variant != POOL:
        create = interpreters_module().create

        def one_round() -> int:
            done = 0
            for _ in range(k):
                interp = create()
                interp.exec("pass")
                interp.close()
                done += 1
            return done

        yield Loop(one_round, counted(k, "spawn: interpreters created and run"), k)
        return
    pool = executor_class()(1)
    try:
        packed = reference(one)
        results_of([pool.submit(call_by_reference, packed, 0)], JOIN_TIMEOUT_S, "warm-up")  # untimed

        def one_submits() -> int:
            done = 0
            for _ in range(k):
                done += int(pool.submit(call_by_reference, packed, 0).result(JOIN_TIMEOUT_S) == _RAN)
            return done

        recorded = {"pool_size": 1, "mechanism": "InterpreterPoolExecutor submit + result on a pool of one"}
        yield Loop(one_submits, counted(k, "spawn: pool tasks finished"), k, recorded)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# -- switch ---------------------------------------------------------------------------

_ECHO_QUEUE = "while (n := inbox.get(timeout=timeout)) is not None:\n    outbox.put(n)\n"
_ECHO_PIPE = (
    "import os\n"
    "while True:\n"
    "    data = os.read(recv_fd, 8)\n"
    "    if len(data) != 8 or int.from_bytes(data, 'little', signed=True) < 0:\n"
    "        break\n"
    "    os.write(send_fd, data)\n"
)


@contextmanager
def switch_queues(case: MicroCase, k: int) -> Iterator[Loop]:
    """switch: this thread and a subinterpreter in its own thread, through two PEP 734 ``Queue`` s."""
    create_queue = interpreters_module().create_queue
    to_pong, to_ping = create_queue(), create_queue()
    round_trips = k // 2

    def one_round() -> int:
        total = 0
        for i in range(round_trips):
            to_pong.put(i)
            total += to_ping.get(timeout=JOIN_TIMEOUT_S)
        return total

    with running(_ECHO_QUEUE, queues=True, inbox=to_pong, outbox=to_ping, timeout=HOLD_TIMEOUT_S):
        try:
            yield switch_loop(one_round, k, "interpreters")
        finally:
            to_pong.put(None)


@contextmanager
def switch_pipes(case: MicroCase, k: int) -> Iterator[Loop]:
    """switch, common family: a subinterpreter in its own thread blocking in ``os.read`` on two pipes."""
    with (
        pipes() as (to_pong_r, to_pong_w, to_ping_r, to_ping_w),
        running(_ECHO_PIPE, recv_fd=to_pong_r, send_fd=to_ping_w),
    ):
        try:
            yield common_loop(lambda: blocking_ping(k // 2, to_pong_w, to_ping_r), k, "interpreters")
        finally:
            os.write(to_pong_w, STOP)


# -- ipc ------------------------------------------------------------------------------

_RECEIVE = (
    "serving = True\n"
    "while serving:\n"
    "    intact = received = 0\n"
    "    for j in range(messages):\n"
    "        message = channel.get(timeout=timeout)\n"
    "        if not message:\n"
    "            serving = False\n"
    "            break\n"
    "        received += len(message)\n"
    "        intact += message == payloads[j % len(payloads)]\n"
    "    else:\n"
    "        tallies.put((intact, received))\n"
)


@contextmanager
def interpreter_queue(case: MicroCase, messages: int, tamper: Tamper | None = None) -> Iterator[Loop]:
    """ipc: bytes through a PEP 734 ``Queue`` to a receiver subinterpreter, which tallies each round."""
    expected, sent = prepare(case, tamper)
    create_queue = interpreters_module().create_queue
    channel, tallies = create_queue(), create_queue()
    shared = {"channel": channel, "tallies": tallies, "payloads": tuple(expected), "messages": messages}

    def one_round() -> Tally:
        put = channel.put
        for j in range(messages):
            put(sent[j % DISTINCT_PAYLOADS])
        intact, received = tallies.get(timeout=ROUND_TIMEOUT_S)
        return int(intact), int(received)

    with running(_RECEIVE, queues=True, timeout=HOLD_TIMEOUT_S, **shared):
        try:
            yield ipc_loop(case, messages, one_round)
        finally:
            channel.put(b"")


# -- memory ---------------------------------------------------------------------------


@dataclass
class HeldInterpreters:
    """N interpreters, each waiting in a thread of its own on ``release``, a PEP 734 ``Queue``."""

    release: Any
    interpreters: list[Any]
    threads: list[threading.Thread]


_HELD = "ready.put(1)\nrelease.get(timeout=timeout)\n"


def hold_interpreters(n: int) -> HeldInterpreters:
    """N interpreters, returned once every one has said it is up (and is about to wait)."""
    module = interpreters_module()
    ready, release = module.create_queue(), module.create_queue()
    held = HeldInterpreters(release, [], [])
    try:
        for _ in range(n):
            interp = _new(queues=True, ready=ready, release=release, timeout=HOLD_TIMEOUT_S)
            held.interpreters.append(interp)
            thread = threading.Thread(target=interp.exec, args=(_HELD,), daemon=True)
            thread.start()
            held.threads.append(thread)
        for _ in range(n):
            ready.get(timeout=JOIN_TIMEOUT_S)
    except BaseException:
        release_interpreters(held)
        raise
    return held


def release_interpreters(held: HeldInterpreters) -> int:
    """Give every interpreter its value, join every thread, close every interpreter; return how many ended."""
    for _ in held.threads:
        held.release.put(None)
    for thread in held.threads:
        thread.join(JOIN_TIMEOUT_S)
    alive = sum(thread.is_alive() for thread in held.threads)
    if alive:
        raise TimeoutError(f"memory: {alive} interpreters did not finish within {JOIN_TIMEOUT_S:.0f} s of release")
    for interp in held.interpreters:
        interp.close()
    return len(held.threads)


@contextmanager
def interpreter_holder(case: MicroCase, ballast: int) -> Iterator[Holder[HeldInterpreters]]:
    """The holder of N interpreters, each waiting on a PEP 734 ``Queue`` in its own thread (no ballast)."""
    yield Holder(hold_interpreters, release_interpreters)


def micro_hooks() -> MicroHooks:
    """What the micro-costs run on the interpreters model."""
    return MicroHooks(
        {
            SPAWN: MicroLoop(
                spawn_interpreters,
                "interpreters.create + exec + close ([pool]: executor submit + result)",
                PerProfile(quick=20, smoke=2),
                ops_by_variant={POOL: PerProfile(quick=500)},
            ),
            SWITCH: Families(
                MicroLoop(switch_queues, "PEP 734 interpreters Queue (get polls every 10 ms)", PerProfile(quick=40)),
                common=MicroLoop(switch_pipes, "os.pipe, blocking read in a subinterpreter", PerProfile(quick=2_000)),
            ),
            IPC: (
                IpcChannel(
                    "interpreter_queue",
                    interpreter_queue,
                    "PEP 734 interpreters Queue put/get of bytes (copied between interpreters)",
                    dict.fromkeys(PAYLOADS, PerProfile(quick=2_000)),
                ),
            ),
            MEMORY: MemoryHook(
                interpreter_holder,
                "interpreter waiting on a PEP 734 Queue in its own thread",
                PerProfile(quick=20, smoke=4, full=100),
                counts="resident set growth: each interpreter's own runtime, modules and GIL, "
                "plus the thread it waits in",
            ),
        },
        variants_by_cost={SPAWN: spawn_variants},
    )
