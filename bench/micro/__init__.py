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

Each micro-cost is one descriptor (:mod:`bench.micro.costs`): its operation, the
shape of its cases, its rounds and its chart. This package's surface is the case
list (:func:`micro_cases`, imported by the plugin of every session, so it stays free
of heavy imports). Its own imports are
the standard library's only: every ``spawn`` child of the micro-costs imports this
package before its target, and that import is part of what ``spawn`` and
``memory`` measure, so the profiles (and the workloads they name) load lazily.
Each model's loops live in its own module in ``bench/models/``, declared on its
class as :mod:`~bench.micro.hooks` (a loop, its mechanism and its sizes per
micro-cost, or why it has none); the modules here hold what every model shares (the
loop's shape and guards, placement, the memory measurement, the plan that resolves a
case to its hook). pytest times a loop through :mod:`~bench.micro.measure` and
``python -m bench.bare_loops`` times it without pytest: both call the very same round
function, so the two timings can be compared.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

if TYPE_CHECKING:
    from bench.profiles import Profile

#: The switch families: each model's own hand-over, and one OS pipe for every model.
SWITCH_FAMILIES: tuple[str, ...] = ("native", "common")

#: Where the two threads or two processes of switch and ipc run: wherever the OS puts
#: them (``os``), both pinned to one core, or pinned to two different cores.
PLACEMENTS: tuple[str, ...] = ("os", "same-core", "cross-core")
#: The one ipc payload size measured at the pinned placements (the others run at ``os``).
PLACED_PAYLOAD = 64


@dataclass(frozen=True)
class MicroCase:
    """One model measuring one micro-cost at one size."""

    model: str
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
        return f"{self.model}[{self.variant}]" if self.variant else self.model

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


def variants(profile: Profile, model: str, micro: str) -> tuple[str | None, ...]:
    """The variants ``micro`` runs for ``model`` in ``profile``, as its module states (``(None,)`` for most)."""
    from bench.micro.costs import cost_named
    from bench.micro.hooks import hooks_of

    return hooks_of(model).variants_of(profile, cost_named(micro))


def micro_cases(profile: Profile, model: str, micros: list[str]) -> list[MicroCase]:
    """Every micro-cost case of ``model`` in ``profile``, including those it will skip.

    A micro-cost a model cannot measure still gets a case, which skips with the
    reason when run, so every model x micro-cost pair is on record. What the cases
    are comes from the micro-cost's descriptor (:mod:`bench.micro.costs`, their shape)
    and the model's module (:mod:`bench.micro.hooks`, what it measures).
    """
    from bench.micro.costs import cost_named
    from bench.micro.hooks import hooks_of

    hooks = hooks_of(model)
    cases: list[MicroCase] = []
    for micro in micros:
        cost = cost_named(micro)
        for variant in hooks.variants_of(profile, cost):
            cases.extend(cost.cases(cost, hooks, profile, model, variant))
    return cases


class _MicroNames(Sequence[str]):
    """The names of the registered micro-costs (:data:`bench.micro.costs.MICRO_COSTS`), in their order.

    A live view: the registry is imported on first use, not with this package (every
    ``spawn`` child imports the package, and that import is part of what it measures),
    and a micro-cost registered later is in it.
    """

    def _names(self) -> tuple[str, ...]:
        from bench.micro.costs import MICRO_COSTS

        return tuple(MICRO_COSTS)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...

    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._names()[index]

    def __len__(self) -> int:
        return len(self._names())

    def __repr__(self) -> str:
        return repr(self._names())


#: The micro-cost names, in the order they run and are charted (a live view of the registry).
MICROS: Sequence[str] = _MicroNames()


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
