"""Where the two threads or two processes of a switch or ipc case run: CPU placement.

Two threads or processes that hand work to each other cost very different amounts
depending on where the OS puts them: on one core a hand-over is a context switch; on
two cores it is a wake-up of a sleeping core and a cache line crossing between them.
On a small machine the OS may choose either from one process to the next, so a case
that leaves it to the OS measures a mix. The placements:

- ``os``: nobody pins anything (what a program that does not think about it gets);
- ``same-core``: both sides pinned to one CPU;
- ``cross-core``: each side pinned to a CPU of its own.

Pinning uses ``os.sched_setaffinity`` (Linux). On Linux it applies to one thread: a
thread pins itself with ``sched_setaffinity(0, ...)``, a process is pinned by its pid
(its main thread). This process's own affinity is restored when the case ends, so
no later case inherits it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

#: ``(this side's CPU, the other side's CPU)`` by placement index into the allowed CPUs.
_SIDES = {"same-core": (0, 0), "cross-core": (0, 1)}


def allowed_cpus() -> list[int]:
    """The CPUs this thread may run on, lowest first (all CPUs where affinity is unknown)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def why_not(placement: str | None) -> str | None:
    """Why ``placement`` cannot be measured on this machine, or None when it can."""
    if placement in (None, "os"):
        return None
    if placement not in _SIDES:
        raise ValueError(f"unknown placement {placement!r}; valid: os, {', '.join(_SIDES)}")
    if not hasattr(os, "sched_setaffinity"):
        return f"{placement} needs os.sched_setaffinity, which this platform lacks (Linux has it)"
    if placement == "cross-core" and len(allowed_cpus()) < 2:
        return "cross-core needs two CPUs and this process may use only one"
    return None


def cpus(placement: str | None) -> tuple[int | None, int | None]:
    """``(this side's CPU, the other side's CPU)`` for ``placement``; ``(None, None)`` for ``os``."""
    if placement in (None, "os"):
        return None, None
    here, there = _SIDES[placement]
    allowed = allowed_cpus()
    return allowed[here], allowed[there]


def pin_this_thread(cpu: int | None) -> None:
    """Pin the calling thread to ``cpu`` (no-op for None); run it inside the thread to pin."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


def pin_process(pid: int, cpu: int | None) -> None:
    """Pin process ``pid`` (its main thread) to ``cpu`` (no-op for None)."""
    if cpu is not None:
        os.sched_setaffinity(pid, {cpu})


@contextmanager
def pinned(cpu: int | None) -> Iterator[None]:
    """Pin the calling thread to ``cpu`` for the block, then give it back its former CPUs."""
    if cpu is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)
