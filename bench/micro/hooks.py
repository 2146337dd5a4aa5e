"""The micro-cost hooks: what a model's own module states about spawn, switch, ipc and memory.

A backend class answers :meth:`~bench.backends.Backend.micro_hooks` with one
:class:`MicroHooks`. For each micro-cost it gives either a hook (a loop factory, the
mechanism one operation goes through, and how many operations a round performs per
profile) or a :class:`Skip` with the reason, which is used verbatim. A micro-cost the
module leaves out (``None``) is skipped too, with a reason that names the model and
the missing hook, so a new model needs nothing beyond its own module to be on record
for every micro-cost.

Sizes are per profile (:class:`PerProfile`): a module may state only ``quick``; then
``smoke`` is ``max(1, quick // 20)`` and ``full`` is ``quick``. A variant (a process
start method) may have sizes of its own.

This module imports the standard library only, at run time: :mod:`bench.backends`
imports it with every backend class, and the hooks are read by importing a class.
A hook may name functions of the model's module whose library imports (greenlet,
gevent, uvloop) stay inside those functions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.micro import MicroCase
    from bench.micro._held import Holder
    from bench.micro._loop import LoopFactory
    from bench.profiles import Profile

#: The profiles a :class:`PerProfile` size answers for.
SIZED_PROFILES: tuple[str, ...] = ("smoke", "quick", "full")
#: What a memory figure counts unless the hook says otherwise.
RSS_GROWTH = "resident set growth of a fresh process, tracemalloc off"

#: Why a case's size cannot be held on this machine, or None when it can.
Limit = Callable[["MicroCase"], "str | None"]
#: Makes a model's :class:`~bench.micro._held.Holder` for a memory case: ``(case, ballast)``.
HolderFactory = Callable[["MicroCase", int], AbstractContextManager["Holder[Any]"]]
#: The variants a micro-cost runs on a model in a profile: ``(profile, micro) -> variants``.
VariantRule = Callable[["Profile", str], "tuple[str | None, ...]"]


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
        if profile == "quick":
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


def one_variant(profile: Profile, micro: str) -> tuple[str | None, ...]:
    """The variants of a model without any: one run of every micro-cost."""
    return (None,)


@dataclass(frozen=True)
class MicroHooks:
    """Everything the micro-costs learn from one model's module.

    ``spawn``, ``switch`` (the native family) and ``memory``: a hook, a :class:`Skip`
    or None (skipped, naming the missing hook). ``switch_common``: the hand-over
    through one OS pipe, for models that can wait on a file descriptor; None means
    the model has no row in that family. ``ipc``: the channels it measures, a
    :class:`Skip`, or None. ``placed``: its two-party cases (switch, ipc) run at every
    CPU placement, as they are two threads or two processes. ``variants``: which
    variants a micro-cost runs (process start methods); one, ``None``, by default.
    """

    spawn: MicroLoop | Skip | None = None
    switch: MicroLoop | Skip | None = None
    switch_common: MicroLoop | None = None
    ipc: tuple[IpcChannel, ...] | Skip | None = None
    memory: MemoryHook | Skip | None = None
    placed: bool = False
    variants: VariantRule = one_variant


@functools.cache
def hooks_of(backend: str) -> MicroHooks:
    """The micro-cost hooks of registered backend ``backend`` (imported once, then cached)."""
    from bench.backends import load

    return load(backend).micro_hooks()


def missing(backend: str, hook: str) -> Skip:
    """The skip of a micro-cost whose hook ``backend``'s module does not state."""
    return Skip(f"{backend}'s module gives no {hook} hook")


Hook = MicroLoop | IpcChannel | MemoryHook | Skip


def hook_for(case: MicroCase) -> Hook:
    """The hook that runs ``case``, or the :class:`Skip` that says why nothing does."""
    hooks = hooks_of(case.backend)
    if case.micro == "ipc":
        if hooks.ipc is None:
            return missing(case.backend, "ipc")
        if isinstance(hooks.ipc, Skip):
            return hooks.ipc
        for channel in hooks.ipc:
            if channel.name == case.channel:
                return channel
        return Skip(
            f"{case.backend}'s module gives no ipc channel {case.channel!r} "
            f"(it gives: {', '.join(c.name for c in hooks.ipc)})"
        )
    if case.micro == "switch" and case.family == "common":
        return hooks.switch_common or missing(case.backend, "switch common")
    found: MicroLoop | MemoryHook | Skip | None
    if case.micro == "spawn":
        found = hooks.spawn
    elif case.micro == "switch":
        found = hooks.switch
    elif case.micro == "memory":
        found = hooks.memory
    else:
        raise ValueError(f"unknown micro-cost {case.micro!r}; valid: spawn, switch, ipc, memory")
    return found if found is not None else missing(case.backend, case.micro)
