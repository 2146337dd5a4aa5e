"""Lockstep: the two sessions of an interleaved pair take turns, case by case.

An interleaved pair (``--python A --python B``) compares process i of B with
process i of A. Run one after the other, the two sessions of a model lie 10-20 s
apart, and a machine whose speed switches every 10-60 s often lands them in
different spells: the pairing cancels less of the drift than it could. So the
runner starts both sessions of a pair at once, and they pass a baton: only the
holder sets up, times and checks a case; the other waits, blocked on a pipe,
using no CPU. Case k of B then runs right after case k of A (or before it: the
side that goes first alternates with the process, see
:func:`bench.runner.pair_order`), a second or so apart.

The baton is two named pipes in a directory the runner makes, one inbox per side.
Taking the baton reads one byte from the own inbox; giving it writes one to the
other's. The second side announces itself when it reaches its first case, so the
first side's first case never meets the other interpreter's start-up. A side
that finishes says so, and the other goes on alone; the runner says it for a side
whose session died (:func:`release`). A side that waits longer than ``wait_s`` goes
on alone too: that wait is only a backstop. Each side's JSON says how many turns
it took in lockstep and, where it went on alone before its last case, why
(``lockstep``).
Nothing here ever stops a case from running: the baton only orders them.
"""

from __future__ import annotations

import contextlib
import os
import select
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

FIRST, SECOND = "first", "second"
#: What a side writes to the other's inbox: your turn, I am ready (the second side's first), I am done.
_TURN, _READY, _BYE = b"t", b"r", b"x"


def make(directory: Path) -> dict[str, dict[str, str]]:
    """Make the two inboxes in ``directory``; return each side's baton (a session description's ``baton``)."""
    for role in (FIRST, SECOND):
        os.mkfifo(directory / f"{role}.in")
    return {role: {"directory": str(directory), "role": role} for role in (FIRST, SECOND)}


def release(spec: Mapping[str, str] | None) -> None:
    """Say "done" to the other side on behalf of the side ``spec`` names, whose session has ended.

    The runner calls it when a session of a pair ended without saying so itself (it
    died, or its watchdog stopped it), so the other side goes on at once instead of
    waiting out its limit. Saying it twice, or after the side said it, changes nothing.
    """
    if not spec:
        return
    other = SECOND if spec["role"] == FIRST else FIRST
    try:
        fd = os.open(Path(spec["directory"]) / f"{other}.in", os.O_RDWR | os.O_NONBLOCK)
    except OSError:
        return
    with contextlib.suppress(OSError):
        os.write(fd, _BYE)
    os.close(fd)


class Baton:
    """One side's end of the baton: :meth:`take` before a case, :meth:`give` after it, :meth:`leave` at the end."""

    def __init__(self, directory: Path, role: str, wait_s: float) -> None:
        if role not in (FIRST, SECOND):
            raise ValueError(f"a baton's role is {FIRST!r} or {SECOND!r}, not {role!r}")
        other = SECOND if role == FIRST else FIRST
        # Read-write opens of a FIFO never block on Linux, whether or not the other side has opened it yet.
        self._inbox = os.open(directory / f"{role}.in", os.O_RDWR | os.O_NONBLOCK)
        self._outbox = os.open(directory / f"{other}.in", os.O_RDWR | os.O_NONBLOCK)
        self.role = role
        self.wait_s = wait_s
        #: Why this side goes on alone (None: in lockstep).
        self.alone: str | None = None
        self._announced = role == FIRST
        #: The turns this side took in lockstep.
        self.turns = 0
        #: Whether it went on alone before its last case (its JSON says why).
        self.lapsed = False

    def take(self, last: bool = False) -> None:
        """Wait for this side's turn (or return at once when going on alone).

        The other side finishing before this one's ``last`` case is how a pair ends
        (the first side keeps the baton through its last case); before an earlier
        case, or after a wait in vain, it is a lapse (:attr:`lapsed`).
        """
        if self.alone is not None:
            return
        if not self._announced:
            self._announced = True
            self._send(_READY)
        got = self._receive()
        if got is None:
            self.alone = f"the other session of the pair did not hand over within {self.wait_s:.0f} s"
        elif got == _BYE:
            self.alone = "the other session of the pair has finished"
            if last:
                return
        else:
            self.turns += 1
            return
        self.lapsed = True

    def give(self) -> None:
        """Hand the turn to the other side."""
        if self.alone is None:
            self._send(_TURN)

    def leave(self) -> None:
        """Tell the other side this one is done, so it never waits for it again."""
        self._send(_BYE)
        for fd in (self._inbox, self._outbox):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _send(self, message: bytes) -> None:
        # Closed already, or a full pipe nobody reads: nobody waits for it.
        with contextlib.suppress(OSError):
            os.write(self._outbox, message)

    def _receive(self) -> bytes | None:
        deadline = time.monotonic() + self.wait_s
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self._inbox], [], [], left)
            if not ready:
                continue
            try:
                got = os.read(self._inbox, 1)
            except BlockingIOError:
                continue
            if got:
                return got
        return None


class Lockstep:
    """A pytest plugin: each case of the session (setup, call, teardown) runs only while holding the baton."""

    def __init__(self, baton: Baton) -> None:
        self.baton = baton

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
        self.baton.take(last=nextitem is None)
        yield
        # The last case keeps the baton through the session's end (saving its JSON,
        # closing the model's pool): the other side then hears "done" and goes on.
        if nextitem is not None:
            self.baton.give()

    def pytest_benchmark_update_json(self, config: pytest.Config, benchmarks: Any, output_json: dict[str, Any]) -> None:
        output_json["lockstep"] = {
            "role": self.baton.role,
            "turns": self.baton.turns,
            "alone": self.baton.alone if self.baton.lapsed else None,
        }

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self.baton.leave()


def lockstep_plugin(spec: Mapping[str, str] | None, case_timeout_s: float | None) -> Lockstep | None:
    """The plugin for a session description's ``baton`` (None: the session runs alone).

    A side waits for the other at most twice the case time-out and half a minute:
    past that, the other has been stopped by its watchdog or has died.
    """
    if not spec:
        return None
    wait_s = 2.0 * (case_timeout_s or 180.0) + 30.0
    return Lockstep(Baton(Path(spec["directory"]), spec["role"], wait_s))
