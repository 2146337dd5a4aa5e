"""Micro-costs: what one operation of each concurrency model costs, measured alone.

- ``spawn``: create a task that does nothing and wait for it to finish (seconds per task);
- ``switch``: hand control from one task to another (seconds per hand-over), in two
  families: each model's ``native`` hand-over (the classic producer/consumer with
  ``send()``, test1/test2 with ``greenlet.switch()``, a queue, a ``Pipe``), and a
  ``common`` one in which every model that can wait on a file descriptor hands over
  through the same OS pipe, so that only the model differs;
- ``ipc``: move a payload between two processes by ``multiprocessing.Queue``, ``Pipe``
  or ``shared_memory``, with ``queue.Queue`` between two threads as the in-process
  reference (seconds per message; bytes per second follow from ``payload_bytes``);
- ``memory``: hold N tasks alive at once, each blocked, and measure the memory each
  one costs (``bytes_per_task``; the timed part is creating and holding them).

Every row names its ``mechanism`` (what one operation goes through), and the two-thread
and two-process cases run at an explicit CPU ``placement`` (:data:`PLACEMENTS`).

This package's surface is the case list (:func:`micro_cases`, imported by the
plugin of every session, so it stays free of heavy imports). Its own imports are
the standard library's only: every ``spawn`` child of the micro-costs imports this
package before its target, and that import is part of what ``spawn`` and
``memory`` measure, so the profiles (and the workloads they name) load lazily.
The loops live in one module per micro-cost (:mod:`~bench.micro.spawn`, :mod:`~bench.micro.switch`,
:mod:`~bench.micro.ipc`, :mod:`~bench.micro.memory`), which pytest times through
:mod:`~bench.micro.measure` and ``python -m bench.bare_loops`` times without pytest:
both call the very same round function, so the two timings can be compared.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.profiles import Profile

MICROS: tuple[str, ...] = ("spawn", "switch", "ipc", "memory")

#: The channels ipc measures, by the backend whose session measures them. Every
#: other backend gets one ipc case, skipped with the reason.
IPC_CHANNELS: dict[str, tuple[str, ...]] = {
    "processes": ("queue", "pipe", "shared_memory"),
    "threads": ("thread_queue",),
}


#: The switch families: each model's own hand-over, and one OS pipe for every model.
SWITCH_FAMILIES: tuple[str, ...] = ("native", "common")
#: Backends that can wait on a file descriptor, and so run switch's ``common`` family.
SWITCH_COMMON: tuple[str, ...] = ("threads", "processes", "generators", "greenlet", "gevent", "asyncio", "uvloop")

#: Where the two threads or two processes of switch and ipc run: wherever the OS puts
#: them (``os``), both pinned to one core, or pinned to two different cores.
PLACEMENTS: tuple[str, ...] = ("os", "same-core", "cross-core")
#: The backends whose switch and ipc cases run at every placement.
PLACED: tuple[str, ...] = ("threads", "processes")
#: The one ipc payload size measured at the pinned placements (the others run at ``os``).
PLACED_PAYLOAD = 64


@dataclass(frozen=True)
class MicroCase:
    """One backend measuring one micro-cost at one size."""

    backend: str
    variant: str | None
    micro: str
    n_tasks: int | None = None
    payload_bytes: int | None = None
    channel: str | None = None
    family: str | None = None
    placement: str | None = None

    @property
    def label(self) -> str:
        """The model's label: its key, with the variant (start method) in brackets."""
        return f"{self.backend}[{self.variant}]" if self.variant else self.backend

    @property
    def id(self) -> str:
        """The pytest id of this case."""
        parts = [self.label, self.micro]
        if self.family and self.family != "native":
            parts.append(self.family)
        if self.placement and self.placement != "os":
            parts.append(self.placement)
        if self.channel:
            parts.append(self.channel)
        if self.payload_bytes is not None:
            parts.append(f"{self.payload_bytes}B")
        if self.n_tasks is not None:
            parts.append(f"n{self.n_tasks}")
        return "-".join(parts)


def default_start_method() -> str:
    """This platform's default ``multiprocessing`` start method."""
    return multiprocessing.get_start_method(allow_none=False)


def variants(profile: Profile, backend: str, micro: str) -> tuple[str | None, ...]:
    """The variants ``micro`` runs for ``backend``: start methods for processes, else (None,).

    ``spawn`` and ``memory`` depend on how a process is made, so they run once per
    start method of the profile and of its micro-cost sizes; ``switch`` and ``ipc``
    run with the default start method only.
    """
    if backend != "processes":
        return (None,)
    if micro not in ("spawn", "memory"):
        return (default_start_method(),)
    from bench.micro.sizes import sizes_for

    wanted = dict.fromkeys([*profile.start_methods, *sizes_for(profile).start_methods])
    available = multiprocessing.get_all_start_methods()
    return tuple(method for method in wanted if method in available)


def micro_cases(profile: Profile, backend: str, micros: list[str]) -> list[MicroCase]:
    """Every micro-cost case of ``backend`` in ``profile``, including those it will skip.

    A micro-cost a backend cannot measure still gets a case, which skips with the
    reason when run, so every backend x micro-cost pair is on record.
    """
    from bench.micro.sizes import lookup, sizes_for

    sizes = sizes_for(profile)
    placements = PLACEMENTS if backend in PLACED else (None,)
    cases: list[MicroCase] = []
    for micro in micros:
        for variant in variants(profile, backend, micro):
            if micro == "ipc" and backend in IPC_CHANNELS:
                cases.extend(
                    MicroCase(backend, variant, micro, payload_bytes=size, channel=channel, placement=placement)
                    for channel in IPC_CHANNELS[backend]
                    for size in sizes.payloads
                    for placement in placements
                    if placement in (None, "os") or size == PLACED_PAYLOAD
                )
            elif micro == "switch":
                families = SWITCH_FAMILIES if backend in SWITCH_COMMON else SWITCH_FAMILIES[:1]
                cases.extend(
                    MicroCase(backend, variant, micro, family=family, placement=placement)
                    for family in families
                    for placement in placements
                )
            elif micro == "memory":
                case = MicroCase(backend, variant, micro)
                try:
                    n_tasks: int | None = lookup(sizes.memory_tasks, case.label, backend, "memory")
                except KeyError:
                    n_tasks = None  # a backend that holds no tasks: the case skips with the reason
                cases.append(MicroCase(backend, variant, micro, n_tasks=n_tasks))
            else:
                cases.append(MicroCase(backend, variant, micro))
    return cases


__all__ = [
    "IPC_CHANNELS",
    "MICROS",
    "PLACED",
    "PLACED_PAYLOAD",
    "PLACEMENTS",
    "SWITCH_COMMON",
    "SWITCH_FAMILIES",
    "MicroCase",
    "default_start_method",
    "micro_cases",
    "variants",
]
