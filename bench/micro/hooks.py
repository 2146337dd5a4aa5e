"""The micro-cost hooks: what a model's own module states about each micro-cost.

A model class answers :meth:`~bench.models.Model.micro_hooks` with one
:class:`MicroHooks`: a mapping from micro-cost descriptor (:mod:`bench.micro.costs`)
to what the model runs for it. For each micro-cost it gives either a hook (a loop
factory, the mechanism one operation goes through, and how many operations a round
performs per profile) or a :class:`Skip` with the reason, which is used verbatim. A
micro-cost the module leaves out is skipped too, with a reason that names the model
and the missing hook, so a new model needs nothing beyond its own module to be on
record for every micro-cost, and a new micro-cost nothing beyond its descriptor and
the hooks of the models that measure it.

Sizes are per profile (:class:`PerProfile`): a module may state only ``quick``; then
``smoke`` is ``max(1, quick // 20)`` and ``full`` is ``quick``. A variant (a process
start method) may have sizes of its own.

This module imports the standard library only, at run time: :mod:`bench.models`
imports it with every model class, and the hooks are read by importing a class.
A hook may name functions of the model's module whose library imports (greenlet,
gevent, uvloop) stay inside those functions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.micro import MicroCase
    from bench.micro._held import Holder
    from bench.micro._loop import LoopFactory
    from bench.micro.costs import MicroCost
    from bench.profiles import Profile

#: The profiles a :class:`PerProfile` size answers for.
SIZED_PROFILES: tuple[str, ...] = ("smoke", "quick", "full")
#: What a memory figure counts unless the hook says otherwise.
RSS_GROWTH = "resident set growth of a fresh process, tracemalloc off"

#: Why a case's size cannot be held on this machine, or None when it can.
Limit = Callable[["MicroCase"], "str | None"]
#: Makes a model's :class:`~bench.micro._held.Holder` for a memory case: ``(case, ballast)``.
HolderFactory = Callable[["MicroCase", int], AbstractContextManager["Holder[Any]"]]
#: The variants a micro-cost runs on a model in a profile: ``profile -> variants``.
VariantRule = Callable[["Profile"], "tuple[str | None, ...]"]


@dataclass(frozen=True)
class PerProfile:
    """A count per profile; only ``quick`` is required.

    Defaults: ``smoke = max(1, quick // 20)`` (a round of a twentieth, for a run
    under a minute), ``full = quick`` (full runs more rounds, not bigger ones).
    """

    quick: int
    smoke: int | None = None
    full: int | None = None

    def of(self, profile: str) -> int:
        """The count for ``profile``; an error naming the sized profiles for any other."""
        if profile in ("quick", "scale"):  # scale climbs its own counts; the rest at quick's
            return self.quick
        if profile == "smoke":
            return self.smoke if self.smoke is not None else max(1, self.quick // 20)
        if profile == "full":
            return self.full if self.full is not None else self.quick
        raise KeyError(f"no micro-cost size for profile {profile!r}; sizes are stated for {', '.join(SIZED_PROFILES)}")


def _sized(default: PerProfile, by_variant: Mapping[str, PerProfile], profile: str, variant: str | None) -> int:
    return by_variant.get(variant or "", default).of(profile)


@dataclass(frozen=True)
class Skip:
    """A micro-cost this model does not measure, and why (shown verbatim as the skip reason)."""

    reason: str


@dataclass(frozen=True)
class MicroLoop:
    """One micro-cost (spawn, or a switch family) on one model.

    ``loop`` sets a case up with ``ops`` operations per round and yields its
    :class:`~bench.micro._loop.Loop`; ``mechanism`` names what one operation goes
    through (shown in the row's label); ``ops`` is the round's size per profile and
    ``ops_by_variant`` overrides it for a variant (``{"spawn": PerProfile(2)}``);
    ``limit`` says why a case cannot run on this machine.
    """

    loop: LoopFactory
    mechanism: str
    ops: PerProfile
    ops_by_variant: Mapping[str, PerProfile] = field(default_factory=dict)
    limit: Limit | None = None

    def ops_per_round(self, profile: str, variant: str | None) -> int:
        """Operations per round of this loop in ``profile`` for ``variant``."""
        return _sized(self.ops, self.ops_by_variant, profile, variant)


@dataclass(frozen=True)
class IpcChannel:
    """One ipc channel a model measures: its loop, its mechanism, messages per round by payload size.

    ``loop(case, messages)`` sends ``case.payload_bytes`` payloads; ``messages`` has
    a size for every payload of :data:`bench.micro.sizes.PAYLOADS`.
    """

    name: str
    loop: LoopFactory
    mechanism: str
    messages: Mapping[int, PerProfile]
    limit: Limit | None = None

    def ops_per_round(self, profile: str, payload_bytes: int) -> int:
        """Messages per round of ``payload_bytes`` in ``profile``."""
        return self.messages[payload_bytes].of(profile)


@dataclass(frozen=True)
class MemoryHook:
    """How a model holds N tasks for memory: its holder, the mechanism, N per profile.

    ``holder(case, ballast)`` makes the model's holder (and whatever it needs, an
    event loop) and tears it down on exit; ``counts`` says what the figure counts.
    """

    holder: HolderFactory
    mechanism: str
    tasks: PerProfile
    tasks_by_variant: Mapping[str, PerProfile] = field(default_factory=dict)
    counts: str = RSS_GROWTH
    limit: Limit | None = None

    def n_tasks(self, profile: str, variant: str | None) -> int:
        """Tasks held at once in ``profile`` for ``variant``."""
        return _sized(self.tasks, self.tasks_by_variant, profile, variant)


def one_variant(profile: Profile) -> tuple[str | None, ...]:
    """The variants of a model without any: one run of every micro-cost."""
    return (None,)


@dataclass(frozen=True)
class Families:
    """A micro-cost measured in families (switch): the model's own hook, and the common one where it has it.

    ``native``: the model's own hand-over, or a :class:`Skip`; ``common``: the
    hand-over through one OS pipe, for models that can wait on a file descriptor
    (None: the model has no row in that family).
    """

    native: MicroLoop | Skip | None
    common: MicroLoop | None = None


#: What a model states for one micro-cost: a hook, the families of one, its channels, or a :class:`Skip`.
Entry = MicroLoop | MemoryHook | Families | tuple[IpcChannel, ...] | Skip


@dataclass(frozen=True)
class MicroHooks(Mapping["MicroCost", Entry]):
    """Everything the micro-costs learn from one model's module: a mapping from micro-cost to its entry.

    ``hooks`` maps each micro-cost descriptor (:mod:`bench.micro.costs`) the module
    speaks of to a hook, a :class:`Skip` with the reason, :class:`Families` (switch)
    or a tuple of :class:`IpcChannel` (ipc); a micro-cost left out is skipped, naming
    the missing hook. ``placed``: its two-party cases (switch, ipc) run at every CPU
    placement, as they are two threads or two processes. ``variants``: which variants
    (process start methods) every micro-cost runs, one (``None``) by default;
    ``variants_by_cost`` overrides that for some micro-costs.
    """

    hooks: Mapping[MicroCost, Entry] = field(default_factory=dict)
    placed: bool = False
    variants: VariantRule = one_variant
    variants_by_cost: Mapping[MicroCost, VariantRule] = field(default_factory=dict)

    def __getitem__(self, cost: MicroCost) -> Entry:
        return self.hooks[cost]

    def __iter__(self) -> Iterator[MicroCost]:
        return iter(self.hooks)

    def __len__(self) -> int:
        return len(self.hooks)

    def variants_of(self, profile: Profile, cost: MicroCost) -> tuple[str | None, ...]:
        """The variants ``cost`` runs on this model in ``profile``."""
        return self.variants_by_cost.get(cost, self.variants)(profile)


@functools.cache
def hooks_of(model: str) -> MicroHooks:
    """The micro-cost hooks of registered model ``model`` (imported once, then cached)."""
    from bench.models import load

    return load(model).micro_hooks()


def missing(model: str, hook: str) -> Skip:
    """The skip of a micro-cost whose hook ``model``'s module does not state."""
    return Skip(f"{model}'s module gives no {hook} hook")


Hook = MicroLoop | IpcChannel | MemoryHook | Skip


def hook_for(case: MicroCase) -> Hook:
    """The hook that runs ``case``, or the :class:`Skip` that says why nothing does (its micro-cost decides)."""
    from bench.micro.costs import cost_named

    cost = cost_named(case.micro)
    return cost.resolve(cost, hooks_of(case.model).get(cost), case)
