"""ipc: move payloads from one task to another over a channel; M messages a round.

A model that measures ipc states its channels in its module (its ``ipc`` hook,
:mod:`bench.micro.hooks`): between processes (a queue, a pipe, shared memory), and
in-process channels as the reference that moves only a reference.

A round sends M payloads and ends when the receiver has taken all of them and sent
back its tally: how many arrived equal to the payload they should be, and how many
bytes arrived. The receiver compares every message with its own copy of the
payloads (a ``memcmp``, far cheaper than the copies that carry it), so a corrupted,
lost or truncated message fails the case. Throughput is ``payload_bytes`` divided
by the seconds per message. What is here is shared by every channel: the payloads,
the tally and its check, waiting for a receiver child, and placing it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from bench.micro import MicroCase
from bench.micro._children import READY
from bench.micro._loop import ROUND_TIMEOUT_S, Loop, WrongAnswer, expect
from bench.micro.placement import cpus, pin_process, pinned

#: Distinct payloads sent in turn, so a message delivered twice or out of order shows.
DISTINCT_PAYLOADS = 4

Tamper = Callable[[bytes], bytes]
Tally = tuple[int, int]


def payloads_for(size: int) -> list[bytes]:
    """:data:`DISTINCT_PAYLOADS` different pseudo-random payloads of ``size`` bytes (the same every run)."""
    return [random.Random(size * DISTINCT_PAYLOADS + i).randbytes(size) for i in range(DISTINCT_PAYLOADS)]


def prepare(case: MicroCase, tamper: Tamper | None) -> tuple[list[bytes], list[bytes]]:
    """The payloads the receiver expects, and those actually sent.

    ``tamper`` (tests only) alters what is sent, to prove the check catches it.
    """
    assert case.payload_bytes is not None, "ipc cases carry their payload size"
    expected = payloads_for(case.payload_bytes)
    sent = [tamper(payload) for payload in expected] if tamper else expected
    return expected, sent


def ipc_loop(case: MicroCase, messages: int, one_round: Callable[[], Tally], **recorded: Any) -> Loop:
    """The loop of one channel: ``one_round`` sends ``messages`` payloads and returns the receiver's tally."""
    size = case.payload_bytes or 0

    def check(answer: Tally) -> None:
        intact, received = answer
        if (intact, received) != (messages, messages * size):
            raise WrongAnswer(
                f"ipc {case.channel} {size} B: {messages - intact} of {messages} messages arrived altered or "
                f"not at all ({received} of {messages * size} bytes arrived)"
            )

    return Loop(one_round, check, messages, dict(recorded))


def tally(control: Connection) -> Tally:
    """The receiver's tally for the round just sent, waiting at most a round's timeout."""
    if not control.poll(ROUND_TIMEOUT_S):
        raise TimeoutError(f"ipc: the receiver sent no tally within {ROUND_TIMEOUT_S:.0f} s")
    intact, received = control.recv()
    return int(intact), int(received)


def wait_ready(control: Connection) -> None:
    """Wait, untimed, until the receiver says it is ready, so no round pays for its start."""
    if not control.poll(ROUND_TIMEOUT_S):
        raise TimeoutError(f"ipc: the receiver was not ready within {ROUND_TIMEOUT_S:.0f} s")
    expect(control.recv(), READY, "ipc: the receiver's first message")


@contextmanager
def placed(case: MicroCase, child: BaseProcess) -> Iterator[None]:
    """Pin ``child`` and this thread for the block at the case's placement (``os``: nothing).

    A ``multiprocessing.Queue`` starts its feeder thread on the first ``put``, from
    this thread while it is pinned, so the feeder runs on this side's CPU too.
    """
    here, there = cpus(case.placement)
    assert child.pid is not None
    pin_process(child.pid, there)
    with pinned(here):
        yield
