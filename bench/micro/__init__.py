"""Micro-costs: what one operation of each concurrency model costs, measured alone.

- ``spawn``: create a task that does nothing and wait for it to finish (seconds per task);
- ``switch``: hand control from one task to another (seconds per hand-over; the classic
  producer/consumer with ``send()`` and test1/test2 with ``greenlet.switch()``);
- ``ipc``: move a payload between two processes by ``multiprocessing.Queue``, ``Pipe``
  or ``shared_memory``, with ``queue.Queue`` between two threads as the in-process
  reference (seconds per message; bytes per second follow from ``payload_bytes``);
- ``memory``: hold N tasks alive at once, each blocked, and measure the memory each
  one costs (``bytes_per_task``; the timed part is creating and holding them).

This package's surface is the case list (:func:`micro_cases`, imported by the
conftest of every session, so it stays free of heavy imports). The loops live in one
module per micro-cost (:mod:`~bench.micro.spawn`, :mod:`~bench.micro.switch`,
:mod:`~bench.micro.ipc`, :mod:`~bench.micro.memory`), which pytest times through
:mod:`~bench.micro.measure` and ``python -m bench.bare_loops`` times without pytest:
both call the very same round function, so the two timings can be compared.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass

from bench.micro.sizes import lookup, sizes_for
from bench.profiles import Profile

MICROS: tuple[str, ...] = ("spawn", "switch", "ipc", "memory")

#: The channels ipc measures, by the backend whose session measures them. Every
#: other backend gets one ipc case, skipped with the reason.
IPC_CHANNELS: dict[str, tuple[str, ...]] = {
    "processes": ("queue", "pipe", "shared_memory"),
    "threads": ("thread_queue",),
}


@dataclass(frozen=True)
class MicroCase:
    """One backend measuring one micro-cost at one size."""

    backend: str
    variant: str | None
    micro: str
    n_tasks: int | None = None
    payload_bytes: int | None = None
    channel: str | None = None

    @property
    def label(self) -> str:
        """The model's label: its key, with the variant (start method) in brackets."""
        return f"{self.backend}[{self.variant}]" if self.variant else self.backend

    @property
    def id(self) -> str:
        """The pytest id of this case."""
        parts = [self.label, self.micro]
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
    wanted = dict.fromkeys([*profile.start_methods, *sizes_for(profile).start_methods])
    available = multiprocessing.get_all_start_methods()
    return tuple(method for method in wanted if method in available)


def micro_cases(profile: Profile, backend: str, micros: list[str]) -> list[MicroCase]:
    """Every micro-cost case of ``backend`` in ``profile``, including those it will skip.

    A micro-cost a backend cannot measure still gets a case, which skips with the
    reason when run, so every backend x micro-cost pair is on record.
    """
    sizes = sizes_for(profile)
    cases: list[MicroCase] = []
    for micro in micros:
        for variant in variants(profile, backend, micro):
            if micro == "ipc" and backend in IPC_CHANNELS:
                cases.extend(
                    MicroCase(backend, variant, micro, payload_bytes=size, channel=channel)
                    for channel in IPC_CHANNELS[backend]
                    for size in sizes.payloads
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


__all__ = ["IPC_CHANNELS", "MICROS", "MicroCase", "default_start_method", "micro_cases", "variants"]
