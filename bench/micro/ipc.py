"""ipc: move payloads from one process to another; M messages a round (the step tutorials leave out).

The processes session measures three channels between this process and a receiver
child (default start method), the threads session one in-process reference:

- ``queue``: ``multiprocessing.Queue.put`` (pickled, written by the queue's feeder thread);
- ``pipe``: ``Connection.send_bytes`` over a one-way ``multiprocessing.Pipe``;
- ``shared_memory``: a ``multiprocessing.shared_memory`` ring of :data:`SLOTS` payload
  buffers; the sender copies the payload into a free slot and sends an empty note on
  a ``Pipe``, the receiver copies it out and notes the slot free again. The notes are
  the synchronisation any shared buffer needs, so they are part of the cost;
- ``thread_queue``: ``queue.Queue.put`` to a receiver thread: nothing is copied, only a
  reference moves, which is the floor the process channels are measured against.

A round sends M payloads and ends when the receiver has taken all of them and sent
back its tally: how many arrived equal to the payload they should be, and how many
bytes arrived. The receiver compares every message with its own copy of the
payloads (a ``memcmp``, far cheaper than the copies that carry it), so a corrupted,
lost or truncated message fails the case. Throughput is ``payload_bytes`` divided
by the seconds per message.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import random
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from multiprocessing.shared_memory import SharedMemory
from typing import Any

from bench.micro import MicroCase
from bench.micro._children import READY, receive_pipe, receive_queue, receive_shared_memory, tally_rounds
from bench.micro._loop import (
    JOIN_TIMEOUT_S,
    ROUND_TIMEOUT_S,
    Loop,
    Plan,
    WrongAnswer,
    expect,
    finish_process,
    kill_all,
    new_process,
)
from bench.micro.placement import cpus, pin_process, pin_this_thread, pinned

#: Buffers in the shared-memory ring: the sender may run this many messages ahead.
SLOTS = 4
#: Distinct payloads sent in turn, so a message delivered twice or out of order shows.
DISTINCT_PAYLOADS = 4

Tamper = Callable[[bytes], bytes]
Tally = tuple[int, int]


def payloads_for(size: int) -> list[bytes]:
    """:data:`DISTINCT_PAYLOADS` different pseudo-random payloads of ``size`` bytes (the same every run)."""
    return [random.Random(size * DISTINCT_PAYLOADS + i).randbytes(size) for i in range(DISTINCT_PAYLOADS)]


def _prepare(case: MicroCase, tamper: Tamper | None) -> tuple[list[bytes], list[bytes]]:
    """The payloads the receiver expects, and those actually sent.

    ``tamper`` (tests only) alters what is sent, to prove the check catches it.
    """
    assert case.payload_bytes is not None, "ipc cases carry their payload size"
    expected = payloads_for(case.payload_bytes)
    sent = [tamper(payload) for payload in expected] if tamper else expected
    return expected, sent


def _loop(case: MicroCase, messages: int, one_round: Callable[[], Tally], **recorded: Any) -> Loop:
    size = case.payload_bytes or 0

    def check(answer: Tally) -> None:
        intact, received = answer
        if (intact, received) != (messages, messages * size):
            raise WrongAnswer(
                f"ipc {case.channel} {size} B: {messages - intact} of {messages} messages arrived altered or "
                f"not at all ({received} of {messages * size} bytes arrived)"
            )

    return Loop(one_round, check, messages, dict(recorded))


def _tally(control: Connection) -> Tally:
    """The receiver's tally for the round just sent, waiting at most a round's timeout."""
    if not control.poll(ROUND_TIMEOUT_S):
        raise TimeoutError(f"ipc: the receiver sent no tally within {ROUND_TIMEOUT_S:.0f} s")
    intact, received = control.recv()
    return int(intact), int(received)


def _wait_ready(control: Connection) -> None:
    """Wait, untimed, until the receiver says it is ready, so no round pays for its start."""
    if not control.poll(ROUND_TIMEOUT_S):
        raise TimeoutError(f"ipc: the receiver was not ready within {ROUND_TIMEOUT_S:.0f} s")
    expect(control.recv(), READY, "ipc: the receiver's first message")


def _context(case: MicroCase) -> BaseContext:
    assert case.variant is not None, "processes cases carry their start method as the variant"
    return multiprocessing.get_context(case.variant)


@contextmanager
def _placed(case: MicroCase, child: BaseProcess) -> Iterator[None]:
    """Pin ``child`` and this thread for the block at the case's placement (``os``: nothing).

    A ``multiprocessing.Queue`` starts its feeder thread on the first ``put``, from
    this thread while it is pinned, so the feeder runs on this side's CPU too.
    """
    here, there = cpus(case.placement)
    assert child.pid is not None
    pin_process(child.pid, there)
    with pinned(here):
        yield


@contextmanager
def queue_channel(case: MicroCase, messages: int, tamper: Tamper | None = None) -> Iterator[Loop]:
    """``multiprocessing.Queue`` to a receiver child."""
    expected, sent = _prepare(case, tamper)
    context = _context(case)
    channel = context.Queue()
    control, control_there = context.Pipe(duplex=False)
    child = new_process(context, receive_queue, channel, control_there, expected, messages, os.getpid())
    child.start()
    control_there.close()

    def one_round() -> Tally:
        put = channel.put
        for j in range(messages):
            put(sent[j % DISTINCT_PAYLOADS])
        return _tally(control)

    stopped = False
    try:
        _wait_ready(control)
        with _placed(case, child):
            yield _loop(case, messages, one_round, start_method=case.variant)
        channel.put(None)
        stopped = finish_process(child) == 0
    finally:
        kill_all([child])
        if not stopped:
            # A receiver killed inside get() takes the queue's read lock with it: nothing can
            # drain the pipe again, and the feeder thread may be stuck writing a large message
            # to it. Closing this process's read end (multiprocessing has no public call for
            # it) turns that write into EPIPE, so the feeder moves on and join_thread() returns.
            channel._reader.close()  # type: ignore[attr-defined]
        channel.close()
        channel.join_thread()
        control.close()


@contextmanager
def pipe_channel(case: MicroCase, messages: int, tamper: Tamper | None = None) -> Iterator[Loop]:
    """``send_bytes`` over a one-way ``Pipe`` to a receiver child; an empty message stops it."""
    expected, sent = _prepare(case, tamper)
    context = _context(case)
    reader, writer = context.Pipe(duplex=False)
    control, control_there = context.Pipe(duplex=False)
    child = new_process(context, receive_pipe, reader, control_there, expected, messages, os.getpid())
    child.start()
    reader.close()
    control_there.close()

    def one_round() -> Tally:
        send_bytes = writer.send_bytes
        for j in range(messages):
            send_bytes(sent[j % DISTINCT_PAYLOADS])
        return _tally(control)

    try:
        _wait_ready(control)
        with _placed(case, child):
            yield _loop(case, messages, one_round, start_method=case.variant)
        writer.send_bytes(b"")
        finish_process(child)
    finally:
        kill_all([child])
        writer.close()
        control.close()


@contextmanager
def shared_memory_channel(case: MicroCase, messages: int, tamper: Tamper | None = None) -> Iterator[Loop]:
    """A ring of :data:`SLOTS` shared-memory buffers, with empty notes on a ``Pipe`` both ways."""
    expected, sent = _prepare(case, tamper)
    context = _context(case)
    size = len(expected[0])
    shm = SharedMemory(create=True, size=SLOTS * size)
    try:
        notes, notes_there = context.Pipe()
        control, control_there = context.Pipe(duplex=False)
        child = new_process(
            context, receive_shared_memory, shm, SLOTS, notes_there, control_there, expected, messages, os.getpid()
        )
        child.start()
        notes_there.close()
        control_there.close()
        buf = shm.buf
        assert buf is not None

        def one_round() -> Tally:
            send_note, wait_note = notes.send_bytes, notes.recv_bytes
            for j in range(messages):
                if j >= SLOTS:
                    wait_note()  # the receiver has copied message j - SLOTS out of this slot
                start = (j % SLOTS) * size
                buf[start : start + size] = sent[j % DISTINCT_PAYLOADS]
                send_note(b"")
            for _ in range(min(messages, SLOTS)):
                wait_note()
            return _tally(control)

        try:
            _wait_ready(control)
            with _placed(case, child):
                yield _loop(case, messages, one_round, start_method=case.variant)
            notes.send_bytes(b"stop")
            finish_process(child)
        finally:
            kill_all([child])
            notes.close()
            control.close()
    finally:
        shm.close()
        shm.unlink()


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
    expected, sent = _prepare(case, tamper)
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
            yield _loop(case, messages, one_round)
    finally:
        channel.put(None)
        receiver.join(JOIN_TIMEOUT_S)


#: Each channel's loop, by the ``channel`` of the case.
CHANNELS: dict[str, Callable[..., AbstractContextManager[Loop]]] = {
    "queue": queue_channel,
    "pipe": pipe_channel,
    "shared_memory": shared_memory_channel,
    "thread_queue": thread_queue,
}


def open_channel(case: MicroCase, messages: int, tamper: Tamper | None = None) -> AbstractContextManager[Loop]:
    """The loop of ``case.channel``; ``tamper`` alters what is sent (for tests of the check)."""
    if case.channel not in CHANNELS:
        raise ValueError(f"unknown ipc channel {case.channel!r}; valid: {', '.join(CHANNELS)}")
    return CHANNELS[case.channel](case, messages, tamper=tamper)


_NOT_IPC = (
    "ipc moves bytes between processes: the processes session measures queue, pipe and shared_memory, and "
    "the threads session queue.Queue as the in-process reference; "
)

PLAN = Plan(
    micro="ipc",
    operation="message",
    loops={"processes": open_channel, "threads": open_channel},
    skips={
        "sequential": _NOT_IPC + "sequential tasks share one thread and pass values by return",
        "thread_pool": _NOT_IPC + "thread_pool tasks share one process like threads",
        "process_pool": _NOT_IPC + "process_pool moves its tasks over the same multiprocessing pipes and queues",
        "generators": _NOT_IPC + "generator tasks share one thread and pass values with send()",
        "greenlet": _NOT_IPC + "greenlets share one thread and pass values with switch()",
        "gevent": _NOT_IPC + "gevent greenlets share one thread and pass values by reference",
        "asyncio": _NOT_IPC + "asyncio tasks share one thread and pass values by reference",
        "uvloop": _NOT_IPC + "uvloop tasks share one thread and pass values by reference",
    },
    mechanisms={
        "queue": "multiprocessing.Queue put/get (pickled, feeder thread)",
        "pipe": "multiprocessing.Pipe send_bytes/recv_bytes",
        "shared_memory": "shared_memory ring + Pipe notes",
        "thread_queue": "queue.Queue put/get (a reference moves)",
    },
)
