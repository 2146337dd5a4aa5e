"""The micro-costs, one descriptor each: what a case is, what it runs, how it is charted.

A :class:`MicroCost` states everything the harness and the reports learn about one
micro-cost: its name (its key in every model's :class:`~bench.micro.hooks.MicroHooks`
and in the results), the operation one round repeats, the shape of its cases (one
case, a case per family and CPU placement, per channel and payload, per task count),
how a case finds its hook among the model's, its rounds, and its chart. The case
list, the plan, the runner's ``run.json`` and the reports read the descriptor; none
of them names a micro-cost. Adding one is a descriptor here (:func:`register`) and a
hook in each model that measures it; every other model gets a case that skips,
naming the hook its module does not give.

Standard library only at run time, like :mod:`bench.micro.hooks`: the plugin of every
session reads the descriptors to build its case list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bench.micro import PLACED_PAYLOAD, PLACEMENTS, SWITCH_FAMILIES, MicroCase
from bench.micro.hooks import Families, Hook, MemoryHook, MicroHooks, Skip, missing

if TYPE_CHECKING:
    from bench.micro.sizes import MicroSizes
    from bench.profiles import Profile

#: The cases of one model and variant: ``(cost, model's hooks, profile, model, variant) -> cases``.
CaseShape = Callable[["MicroCost", MicroHooks, "Profile", str, "str | None"], Iterable[MicroCase]]
#: The hook that runs a case, from what the model states for its micro-cost: ``(cost, entry, case)``.
Resolver = Callable[["MicroCost", Any, MicroCase], Hook]
#: ``(timed rounds, warmup rounds)`` of a case, from the profile's sizes.
Rounds = Callable[["MicroSizes"], "tuple[int, int]"]

#: The chart kinds the reports know: per-op bars by model (one chart per configuration),
#: per-message cost and throughput by payload size and channel, memory per held task.
CHART_KINDS: tuple[str, ...] = ("per_op", "per_payload", "held_bytes")


# -- case shapes ------------------------------------------------------------------------


def one_case(cost: MicroCost, hooks: MicroHooks, profile: Profile, model: str, variant: str | None) -> list[MicroCase]:
    """One case per model and variant."""
    return [MicroCase(model, variant, cost.name)]


def by_family_and_placement(
    cost: MicroCost, hooks: MicroHooks, profile: Profile, model: str, variant: str | None
) -> list[MicroCase]:
    """A case per family the model measures (its own; the common one where it has it) and per placement."""
    entry = hooks.get(cost)
    families = SWITCH_FAMILIES if isinstance(entry, Families) and entry.common is not None else SWITCH_FAMILIES[:1]
    placements = PLACEMENTS if hooks.placed else (None,)
    return [
        MicroCase(model, variant, cost.name, family=family, placement=placement)
        for family in families
        for placement in placements
    ]


def by_channel_and_payload(
    cost: MicroCost, hooks: MicroHooks, profile: Profile, model: str, variant: str | None
) -> list[MicroCase]:
    """A case per channel and payload size, and at every placement for the one placed payload.

    A model that gives no channels gets one case, which skips with the reason.
    """
    from bench.micro.sizes import sizes_for

    entry = hooks.get(cost)
    if not isinstance(entry, tuple) or not entry:
        return one_case(cost, hooks, profile, model, variant)
    placements = PLACEMENTS if hooks.placed else (None,)
    return [
        MicroCase(model, variant, cost.name, payload_bytes=size, channel=channel.name, placement=placement)
        for channel in entry
        for size in sizes_for(profile).payloads
        for placement in placements
        if placement in (None, "os") or size == PLACED_PAYLOAD
    ]


def by_tasks_held(
    cost: MicroCost, hooks: MicroHooks, profile: Profile, model: str, variant: str | None
) -> list[MicroCase]:
    """One case holding the model's N tasks for the profile; a model that holds none gets no N (it skips).

    A climbing profile (``scale``) holds each of its task counts in turn instead.
    """
    entry = hooks.get(cost)
    if profile.climb and isinstance(entry, MemoryHook):
        return [MicroCase(model, variant, cost.name, n_tasks=n) for n in profile.n_tasks]
    n_tasks = entry.n_tasks(profile.name, variant) if isinstance(entry, MemoryHook) else None
    return [MicroCase(model, variant, cost.name, n_tasks=n_tasks)]


# -- resolvers: the model's entry for a micro-cost -> the hook of one case ------------------


def whole_entry(cost: MicroCost, entry: Any, case: MicroCase) -> Hook:
    """The entry itself: one hook (or Skip) for every case of the micro-cost."""
    return entry if entry is not None else missing(case.model, cost.name)


def family_of(cost: MicroCost, entry: Any, case: MicroCase) -> Hook:
    """The hook of the case's family: the model's own (``native``) or the ``common`` one."""
    if not isinstance(entry, Families):
        entry = Families(entry)
    if case.family == "common":
        return entry.common or missing(case.model, f"{cost.name} common")
    return whole_entry(cost, entry.native, case)


def channel_named(cost: MicroCost, entry: Any, case: MicroCase) -> Hook:
    """The model's channel named by the case, or why there is none."""
    if not isinstance(entry, tuple):
        return whole_entry(cost, entry, case)
    for channel in entry:
        if channel.name == case.channel:
            return channel
    return Skip(
        f"{case.model}'s module gives no {cost.name} channel {case.channel!r} "
        f"(it gives: {', '.join(c.name for c in entry)})"
    )


# -- rounds ---------------------------------------------------------------------------


def timed_rounds(sizes: MicroSizes) -> tuple[int, int]:
    """The profile's rounds and warmup rounds."""
    return sizes.rounds, sizes.warmup_rounds


def held_rounds(sizes: MicroSizes) -> tuple[int, int]:
    """The profile's memory rounds and no warmup: the untimed fresh-process holds already warm the case."""
    return sizes.memory_rounds, 0


# -- the descriptor -----------------------------------------------------------------------


@dataclass(frozen=True)
class MicroChart:
    """How the reports draw a micro-cost: the chart ``kind`` (:data:`CHART_KINDS`) and its ``operation`` label."""

    kind: str = "per_op"
    #: One operation in the axis labels and readings ("task created and finished").
    operation: str = "operation"


@dataclass(frozen=True)
class MicroCost:
    """One micro-cost: everything the case list, the plan, the run and the reports learn about it.

    ``name`` is its key in the models' hooks, its pytest id and its ``micro`` in the
    results; ``operation`` names what a round repeats (per-op figures read "per
    ``operation``"); ``cases`` shapes its cases and ``resolve`` finds a case's hook in
    what the model states; ``rounds`` are its timed and warmup rounds; ``grouped_by``
    names the case fields that split its pytest-benchmark group, ``records`` those its
    ``extra_info`` gives beside the common ones; ``canary``: a machine-speed reference
    runs beside each round (off where the figure is not a time); ``chart``: how the
    reports draw it.
    """

    name: str
    operation: str
    cases: CaseShape = one_case
    resolve: Resolver = whole_entry
    rounds: Rounds = timed_rounds
    grouped_by: tuple[str, ...] = ()
    records: tuple[str, ...] = ()
    canary: bool = True
    chart: MicroChart = field(default_factory=MicroChart)

    def group(self, case: MicroCase) -> str:
        """The pytest-benchmark group of ``case``: cases whose per-op figures compare directly."""
        split = "".join(f" {name}={getattr(case, name)}" for name in self.grouped_by)
        return f"{self.name}{split} (per {self.operation})"

    def declared(self) -> dict[str, Any]:
        """What ``run.json`` records of this micro-cost for the reports (its ``micro_costs`` entry)."""
        return {"operation": self.operation, "chart": self.chart.kind, "chart_operation": self.chart.operation}


#: The registered micro-costs by name, in the order they are run and charted.
MICRO_COSTS: dict[str, MicroCost] = {}


def register(cost: MicroCost) -> MicroCost:
    """Add ``cost`` to :data:`MICRO_COSTS` and return it; a name already taken is an error."""
    if cost.name in MICRO_COSTS:
        raise ValueError(f"micro-cost {cost.name!r} is registered twice")
    if cost.chart.kind not in CHART_KINDS:
        raise ValueError(f"micro-cost {cost.name!r}: unknown chart kind {cost.chart.kind!r}; valid: {CHART_KINDS}")
    MICRO_COSTS[cost.name] = cost
    return cost


def cost_named(name: str) -> MicroCost:
    """The registered micro-cost ``name``; an error naming the valid ones for any other."""
    try:
        return MICRO_COSTS[name]
    except KeyError:
        raise ValueError(f"unknown micro-cost {name!r}; valid: {', '.join(MICRO_COSTS)}") from None


#: spawn: create a task that does nothing, wait for it to finish; K times a round. One
#: operation is one task's whole life in the model's own terms, one after another (never
#: overlapped: the cost of a task, not a throughput); a plain call is the floor. Every
#: task returns 1 (or exits with 0) and a round's answer is their sum.
SPAWN = register(
    MicroCost(
        "spawn",
        operation="task",
        chart=MicroChart("per_op", "task created and finished"),
    )
)
#: switch: hand control back and forth between two tasks; K hand-overs a round (a round
#: trip is two). Ping sends 0, 1, 2, ... and a round's answer is their sum. The native
#: family is each model's own hand-over (a bare switch, or a queue and a hub); the common
#: family hands every model over through the same OS pipe
#: (:mod:`bench.micro.switch_common`), so that only the model differs. A partner thread
#: or process is started once, untimed, since making one is what spawn measures.
SWITCH = register(
    MicroCost(
        "switch",
        operation="hand-over",
        cases=by_family_and_placement,
        resolve=family_of,
        chart=MicroChart("per_op", "switch between two tasks"),
    )
)
IPC = register(
    MicroCost(
        "ipc",
        operation="message",
        cases=by_channel_and_payload,
        resolve=channel_named,
        grouped_by=("payload_bytes",),
        records=("channel", "payload_bytes"),
        chart=MicroChart("per_payload", "message"),
    )
)
MEMORY = register(
    MicroCost(
        "memory",
        operation="held task",
        cases=by_tasks_held,
        rounds=held_rounds,
        canary=False,
        chart=MicroChart("held_bytes", "held task"),
    )
)
