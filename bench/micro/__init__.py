"""Micro-costs: what one operation of each concurrency model costs, measured alone.

- ``spawn``: create a task that does nothing and wait for it to finish (seconds per task);
- ``switch``: hand control from one task to another (seconds per hand-over), in two
  families: each model's ``native`` hand-over (its own, such as a generator's
  ``send()``, a queue or a pipe), and a ``common`` one in which every model that can
  wait on a file descriptor hands over through the same OS pipe, so that only the
  model differs;
- ``ipc``: move a payload between two tasks over a channel (a queue, a pipe, shared
  memory), with an in-process channel as the reference (seconds per message; bytes
  per second follow from ``payload_bytes``);
- ``memory``: hold N tasks alive at once, each blocked, and measure the memory each
  one costs (``bytes_per_task``; the timed part is creating and holding them).

Every row names its ``mechanism`` (what one operation goes through), and the two-thread
and two-process cases run at an explicit CPU ``placement`` (:data:`PLACEMENTS`).

This package's surface is the case list (:func:`micro_cases`, imported by the
plugin of every session, so it stays free of heavy imports). Its own imports are
the standard library's only: every ``spawn`` child of the micro-costs imports this
package before its target, and that import is part of what ``spawn`` and
``memory`` measure, so the profiles (and the workloads they name) load lazily.
Each model's loops live in its own module in ``bench/backends/``, declared on its
class as :mod:`~bench.micro.hooks` (a loop, its mechanism and its sizes per
micro-cost, or why it has none); the modules here hold what every model shares (the
loop's shape and guards, placement, the memory measurement, the plan that resolves a
case to its hook). pytest times a loop through :mod:`~bench.micro.measure` and
``python -m bench.bare_loops`` times it without pytest: both call the very same round
function, so the two timings can be compared.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.profiles import Profile

MICROS: tuple[str, ...] = ("spawn", "switch", "ipc", "memory")

#: The switch families: each model's own hand-over, and one OS pipe for every model.
SWITCH_FAMILIES: tuple[str, ...] = ("native", "common")

#: Where the two threads or two processes of switch and ipc run: wherever the OS puts
#: them (``os``), both pinned to one core, or pinned to two different cores.
PLACEMENTS: tuple[str, ...] = ("os", "same-core", "cross-core")
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
    """The variants ``micro`` runs for ``backend`` in ``profile``, as its module states (``(None,)`` for most)."""
    from bench.micro.hooks import hooks_of

    return hooks_of(backend).variants(profile, micro)


def micro_cases(profile: Profile, backend: str, micros: list[str]) -> list[MicroCase]:
    """Every micro-cost case of ``backend`` in ``profile``, including those it will skip.

    A micro-cost a backend cannot measure still gets a case, which skips with the
    reason when run, so every backend x micro-cost pair is on record. What the cases
    are comes from the backend's module (:mod:`bench.micro.hooks`).
    """
    from bench.micro.hooks import MemoryHook, hooks_of
    from bench.micro.sizes import sizes_for

    sizes = sizes_for(profile)
    hooks = hooks_of(backend)
    placements = PLACEMENTS if hooks.placed else (None,)
    channels = [channel.name for channel in hooks.ipc] if isinstance(hooks.ipc, tuple) else []
    families = SWITCH_FAMILIES if hooks.switch_common is not None else SWITCH_FAMILIES[:1]
    cases: list[MicroCase] = []
    for micro in micros:
        for variant in variants(profile, backend, micro):
            if micro == "ipc" and channels:
                cases.extend(
                    MicroCase(backend, variant, micro, payload_bytes=size, channel=channel, placement=placement)
                    for channel in channels
                    for size in sizes.payloads
                    for placement in placements
                    if placement in (None, "os") or size == PLACED_PAYLOAD
                )
            elif micro == "switch":
                cases.extend(
                    MicroCase(backend, variant, micro, family=family, placement=placement)
                    for family in families
                    for placement in placements
                )
            elif micro == "memory":
                # A backend that holds no tasks gets no N: the case skips with the reason.
                held = hooks.memory
                n_tasks = held.n_tasks(profile.name, variant) if isinstance(held, MemoryHook) else None
                cases.append(MicroCase(backend, variant, micro, n_tasks=n_tasks))
            else:
                cases.append(MicroCase(backend, variant, micro))
    return cases


__all__ = [
    "MICROS",
    "PLACED_PAYLOAD",
    "PLACEMENTS",
    "SWITCH_FAMILIES",
    "MicroCase",
    "default_start_method",
    "micro_cases",
    "variants",
]
