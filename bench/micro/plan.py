"""Which loop each micro-cost case runs, why a case is skipped, and what it records.

Shared by the two ways of timing a loop: pytest-benchmark (:mod:`bench.micro.measure`)
and the bare ``perf_counter`` loops (``python -m bench.bare_loops``), so both skip the
same cases, size them the same way and run the very same round.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.backends import unavailable
from bench.micro import MicroCase, ipc, memory, placement, spawn, switch
from bench.micro._loop import Loop, Plan, nothing_left_behind
from bench.micro.sizes import MicroSizes, lookup

PLANS: dict[str, Plan] = {plan.micro: plan for plan in (spawn.PLAN, switch.PLAN, ipc.PLAN, memory.PLAN)}


def why_not(case: MicroCase) -> str | None:
    """Why ``case`` cannot run here (a module missing, no such operation, too big), or None."""
    reason = unavailable(case.backend)
    if reason:
        return reason
    plan = PLANS[case.micro]
    if case.backend in plan.skips:
        return plan.skips[case.backend]
    if case.backend not in plan.loops:
        return f"{case.micro} has no loop for {case.backend}; add one to the PLAN of bench/micro/{case.micro}.py"
    return placement.why_not(case.placement) or plan.limit(case)


def ops_per_round(case: MicroCase, sizes: MicroSizes) -> int:
    """How many operations one round of ``case`` performs, from the profile's sizes."""
    if case.micro == "spawn":
        return lookup(sizes.spawn_tasks, case.label, case.backend, "spawn")
    if case.micro == "switch" and case.family == "common":
        return lookup(sizes.switch_common_handovers, case.label, case.backend, "switch common")
    if case.micro == "switch":
        return lookup(sizes.switch_handovers, case.label, case.backend, "switch")
    if case.micro == "ipc":
        assert case.channel is not None and case.payload_bytes is not None, "ipc cases carry channel and size"
        return sizes.ipc_messages[case.channel][case.payload_bytes]
    assert case.n_tasks is not None, "memory cases carry their task count"
    return case.n_tasks


def rounds(case: MicroCase, sizes: MicroSizes) -> tuple[int, int]:
    """``(timed rounds, warmup rounds)`` of ``case``."""
    if case.micro == "memory":
        return sizes.memory_rounds, 0
    return sizes.rounds, sizes.warmup_rounds


@contextmanager
def open_loop(case: MicroCase, sizes: MicroSizes) -> Iterator[Loop]:
    """Set ``case`` up and yield its loop; on exit, fail if a thread or child process outlived it."""
    with nothing_left_behind(case.id), PLANS[case.micro].loops[case.backend](case, ops_per_round(case, sizes)) as loop:
        yield loop


def group(case: MicroCase) -> str:
    """The pytest-benchmark group: cases whose per-op figures compare directly."""
    operation = PLANS[case.micro].operation
    if case.micro == "ipc":
        return f"ipc payload_bytes={case.payload_bytes} (per {operation})"
    return f"{case.micro} (per {operation})"


def extra_info(case: MicroCase, profile: str, loop: Loop) -> dict[str, Any]:
    """What the JSON records with ``case``'s timings (see docs/results-format.md)."""
    info: dict[str, Any] = {
        "backend": case.backend,
        "variant": case.variant,
        "micro": case.micro,
        "n_tasks": case.n_tasks,
        "ideal_s": None,
        "profile": profile,
        "ops_per_round": loop.ops_per_round,
    }
    if case.micro == "ipc":
        info.update(channel=case.channel, payload_bytes=case.payload_bytes)
    if case.family:
        info["family"] = case.family
    if case.placement:
        info["placement"] = case.placement
    mechanisms = PLANS[case.micro].mechanisms
    mechanism = mechanisms.get(case.channel or "") or mechanisms.get(case.backend)
    if mechanism:
        info["mechanism"] = mechanism
    info.update(loop.recorded)
    assert "mechanism" in info, f"{case.id}: its loop or its plan must name the mechanism it measures"
    return info
