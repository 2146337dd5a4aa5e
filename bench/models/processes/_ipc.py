"""The ipc channels of ``processes``: payloads from this process to a receiver child.

Three channels, with the default start method, at every CPU placement for the 64 B
payload:

- ``queue``: ``multiprocessing.Queue.put`` (pickled, written by the queue's feeder thread);
- ``pipe``: ``Connection.send_bytes`` over a one-way ``multiprocessing.Pipe``;
- ``shared_memory``: a ``multiprocessing.shared_memory`` ring of :data:`SLOTS` payload
  buffers; the sender copies the payload into a free slot and sends an empty note on
  a ``Pipe``, the receiver copies it out and notes the slot free again. The notes are
  the synchronisation any shared buffer needs, so they are part of the cost.

The receivers (in :mod:`bench.micro._children`) tally every round; the tally and its
check are :mod:`bench.micro.ipc`'s.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.context import BaseContext
from multiprocessing.shared_memory import SharedMemory

from bench.micro import MicroCase
from bench.micro._children import receive_pipe, receive_queue, receive_shared_memory
from bench.micro._loop import Loop, finish_process, kill_all, new_process
from bench.micro.hooks import IpcChannel, PerProfile
from bench.micro.ipc import DISTINCT_PAYLOADS, Tally, Tamper, ipc_loop, placed, prepare, tally, wait_ready
from bench.micro.sizes import KIB, MIB

#: Buffers in the shared-memory ring: the sender may run this many messages ahead.
SLOTS = 4


def context_of(case: MicroCase) -> BaseContext:
    """The ``multiprocessing`` context of the case's start method (its variant)."""
    assert case.variant is not None, "processes cases carry their start method as the variant"
    return multiprocessing.get_context(case.variant)


@contextmanager
def queue_channel(case: MicroCase, messages: int, tamper: Tamper | None = None) -> Iterator[Loop]:
    """``multiprocessing.Queue`` to a receiver child."""
    expected, sent = prepare(case, tamper)
    context = context_of(case)
    channel = context.Queue()
    control, control_there = context.Pipe(duplex=False)
    child = new_process(context, receive_queue, channel, control_there, expected, messages, os.getpid())
    child.start()
    control_there.close()

    def one_round() -> Tally:
        put = channel.put
        for j in range(messages):
            put(sent[j % DISTINCT_PAYLOADS])
        return tally(control)

    stopped = False
    try:
        wait_ready(control)
        with placed(case, child):
            yield ipc_loop(case, messages, one_round, start_method=case.variant)
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
    expected, sent = prepare(case, tamper)
    context = context_of(case)
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
        return tally(control)

    try:
        wait_ready(control)
        with placed(case, child):
            yield ipc_loop(case, messages, one_round, start_method=case.variant)
        writer.send_bytes(b"")
        finish_process(child)
    finally:
        kill_all([child])
        writer.close()
        control.close()


@contextmanager
def shared_memory_channel(case: MicroCase, messages: int, tamper: Tamper | None = None) -> Iterator[Loop]:
    """A ring of :data:`SLOTS` shared-memory buffers, with empty notes on a ``Pipe`` both ways."""
    expected, sent = prepare(case, tamper)
    context = context_of(case)
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
            return tally(control)

        try:
            wait_ready(control)
            with placed(case, child):
                yield ipc_loop(case, messages, one_round, start_method=case.variant)
            notes.send_bytes(b"stop")
            finish_process(child)
        finally:
            kill_all([child])
            notes.close()
            control.close()
    finally:
        shm.close()
        shm.unlink()


#: Messages per round, by payload size: the same for every channel between processes.
MESSAGES: dict[int, PerProfile] = {
    64: PerProfile(quick=5_000, smoke=200),
    4 * KIB: PerProfile(quick=3_000, smoke=150),
    64 * KIB: PerProfile(quick=1_000, smoke=50),
    MIB: PerProfile(quick=100, smoke=5),
}

#: The channels processes measures, in the order its cases run.
CHANNELS: tuple[IpcChannel, ...] = (
    IpcChannel("queue", queue_channel, "multiprocessing.Queue put/get (pickled, feeder thread)", MESSAGES),
    IpcChannel("pipe", pipe_channel, "multiprocessing.Pipe send_bytes/recv_bytes", MESSAGES),
    IpcChannel("shared_memory", shared_memory_channel, "shared_memory ring + Pipe notes", MESSAGES),
)
