"""The micro-costs a run measured, as its manifest declares them: order, operation and chart.

The runner writes a `micro_costs` section into `run.json`: for every micro-cost of
the run its place in the registry (`order`), the `operation` one round repeats (per-op
figures read "per operation"), its `chart` kind and the `chart_operation` its axis
labels and readings name. The reports know the micro-costs only from there, so a
micro-cost added to the harness is charted without a line changed here.

A run written before the section existed is drawn as the reports drew it then
(`LEGACY`); a micro-cost neither declares gets per-op bars of an "operation".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: The chart kinds the reports draw: per-op bars by model (one chart per configuration),
#: per-message cost and throughput by payload size and channel, memory per held task.
PER_OP, PER_PAYLOAD, HELD_BYTES = "per_op", "per_payload", "held_bytes"

#: What the harness declared, before runs recorded it, for the micro-costs it had then:
#: runs written before the `micro_costs` section are drawn as they always were.
LEGACY: dict[str, dict[str, Any]] = {
    "spawn": {"operation": "task", "chart": PER_OP, "chart_operation": "task created and finished"},
    "switch": {"operation": "hand-over", "chart": PER_OP, "chart_operation": "switch between two tasks"},
    "ipc": {"operation": "message", "chart": PER_PAYLOAD, "chart_operation": "message"},
    "memory": {"operation": "held task", "chart": HELD_BYTES, "chart_operation": "operation"},
}


@dataclass(frozen=True)
class MicroCost:
    """One micro-cost of a run, as its manifest declares it (or as the fallback has it)."""

    name: str
    order: int
    operation: str = "operation"
    chart: str = PER_OP
    chart_operation: str = "operation"


def _text(value: object, default: str) -> str:
    return value if isinstance(value, str) and value else default


def _cost(name: str, order: int, entry: Mapping[str, Any]) -> MicroCost:
    return MicroCost(
        name=name,
        order=order,
        operation=_text(entry.get("operation"), "operation"),
        chart=_text(entry.get("chart"), PER_OP),
        chart_operation=_text(entry.get("chart_operation"), "operation"),
    )


def declared_micro_costs(manifest: Mapping[str, Any] | None, names: Iterable[str]) -> dict[str, MicroCost]:
    """Return the run's micro-costs by name, in chart order: the manifest's, else the fallback.

    `names` are the micro-costs the run's files hold; one the manifest does not
    declare comes after the declared ones, as per-op bars of an "operation".
    """
    section = (manifest or {}).get("micro_costs")
    declared = section if isinstance(section, Mapping) else LEGACY
    costs: dict[str, MicroCost] = {}
    for position, (name, entry) in enumerate(declared.items()):
        entry = entry if isinstance(entry, Mapping) else {}
        order = entry.get("order")
        costs[str(name)] = _cost(
            str(name), order if isinstance(order, int) and not isinstance(order, bool) else position, entry
        )
    last = max((cost.order for cost in costs.values()), default=-1)
    for name in dict.fromkeys(names):
        if name not in costs:
            costs[name] = MicroCost(name=name, order=last + 1)
    return costs
