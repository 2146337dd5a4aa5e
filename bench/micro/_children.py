"""What runs inside the child processes and pool workers of the micro-costs.

Kept in a module of its own with stdlib imports only: a ``spawn`` or ``forkserver``
child imports the module of its target before it runs, and that import is part of
what ``spawn`` measures, so it must cost the same in every session.

Children that serve a whole case (the switch partner, the ipc receivers) watch
their parent: if it dies without stopping them, they exit within a second instead
of blocking forever on a channel nobody will write to again.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.shared_memory import SharedMemory
from multiprocessing.synchronize import Event, Semaphore
from typing import Any

#: Exit code of a held child that was never released (it gave up on its own).
NOT_RELEASED = 3
#: Exit code of a child whose parent died while it served.
ORPHANED = 70
#: What an ipc receiver sends on its control pipe once it is ready for the first round.
READY = "ready"


def ran() -> int:
    """A task that does nothing; its 1 says that it ran."""
    return 1


def nothing() -> None:
    """A child process that does nothing and exits with code 0."""


def start_processes(conn: Connection, start_method: str, join_timeout: float) -> None:
    """The starter of processes' spawn: per request of K, start and join K processes one by one.

    Replies with how many exited with code 0; ``None`` or end of file ends it. It is
    itself started with ``spawn`` and has no thread besides its main one, so a
    ``fork`` from it copies a small, quiet interpreter.
    """
    context = multiprocessing.get_context(start_method)
    while True:
        try:
            k = conn.recv()
        except EOFError:
            return
        if k is None:
            return
        done = 0
        for _ in range(k):
            proc = context.Process(target=nothing, daemon=True)  # type: ignore[attr-defined]
            proc.start()
            proc.join(join_timeout)
            if proc.exitcode is None:
                proc.kill()
                proc.join()
            done += proc.exitcode == 0
            proc.close()
        conn.send(done)


def exit_with_parent(parent_pid: int) -> None:
    """Start a watchdog thread that ends this child once ``parent_pid`` is no longer its parent."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(ORPHANED)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def echo(conn: Connection, parent_pid: int) -> None:
    """The switch partner: send every object straight back until ``None`` or end of file."""
    exit_with_parent(parent_pid)
    recv, send = conn.recv, conn.send
    try:
        while (n := recv()) is not None:
            send(n)
    except EOFError:
        pass


def echo_fd(reader: Connection, writer: Connection, parent_pid: int) -> None:
    """The common switch partner: read 8-byte values raw from ``reader``'s descriptor, write them back.

    A negative value or end of file ends it. Nothing is pickled: ``os.read`` and
    ``os.write`` on the pipes' descriptors, as every model of the common family does.
    """
    exit_with_parent(parent_pid)
    recv_fd, send_fd = reader.fileno(), writer.fileno()
    while True:
        data = os.read(recv_fd, 8)
        if len(data) != 8 or int.from_bytes(data, "little", signed=True) < 0:
            return
        os.write(send_fd, data)


def receive_pipe(
    reader: Connection, control: Connection, payloads: list[bytes], messages: int, parent_pid: int
) -> None:
    """ipc receiver over a ``Pipe``: per round, take ``messages`` payloads and report the tally.

    The tally is ``(intact, bytes)``: how many messages equal the payload they
    should be, and how many bytes arrived. :data:`READY` goes first, once it is up.
    An empty message ends the child.
    """
    exit_with_parent(parent_pid)
    control.send(READY)
    tally_rounds(reader.recv_bytes, payloads, messages, control.send)


def tally_rounds(
    get: Callable[[], bytes | None], payloads: list[bytes], messages: int, report: Callable[[tuple[int, int]], Any]
) -> None:
    """Take rounds of ``messages`` payloads from ``get`` and ``report`` each round's tally.

    The tally is ``(intact, bytes)``: how many messages equal the payload they should
    be, and how many bytes arrived. An empty message or ``None`` ends it.
    """
    count = len(payloads)
    while True:
        intact = received = 0
        for j in range(messages):
            message = get()
            if not message:
                return
            received += len(message)
            intact += message == payloads[j % count]
        report((intact, received))


def receive_queue(channel: Any, control: Connection, payloads: list[bytes], messages: int, parent_pid: int) -> None:
    """ipc receiver over a ``multiprocessing.Queue``: as :func:`receive_pipe`; ``None`` ends it."""
    exit_with_parent(parent_pid)
    control.send(READY)
    tally_rounds(channel.get, payloads, messages, control.send)


def receive_shared_memory(
    shm: SharedMemory,
    slots: int,
    conn: Connection,
    control: Connection,
    payloads: list[bytes],
    messages: int,
    parent_pid: int,
) -> None:
    """ipc receiver over ``shared_memory``: a ring of ``slots`` buffers of one payload each.

    For each message the parent fills slot ``j % slots`` and sends an empty note on
    ``conn``; the child copies the slot out, sends an empty note back (the slot is
    free again) and then checks the copy. A non-empty note ends the child.
    """
    exit_with_parent(parent_pid)
    buf, count = shm.buf, len(payloads)
    assert buf is not None
    size = len(payloads[0])
    recv_bytes, send_bytes = conn.recv_bytes, conn.send_bytes
    control.send(READY)
    try:
        while True:
            intact = received = 0
            for j in range(messages):
                if recv_bytes():
                    return
                start = (j % slots) * size
                message = bytes(buf[start : start + size])
                send_bytes(b"")
                received += len(message)
                intact += message == payloads[j % count]
            control.send((intact, received))
    finally:
        shm.close()


def held(ready: Semaphore, release: Event, timeout: float) -> None:
    """A held task for memory: say it is up, then block until released (or give up after ``timeout``)."""
    ready.release()
    if not release.wait(timeout):
        raise SystemExit(NOT_RELEASED)
