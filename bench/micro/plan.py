"""Which loop each micro-cost case runs, why a case is skipped, and what it records.

Every answer comes from the case's micro-cost, through its descriptor
(:mod:`bench.micro.costs`), and from the case's model, through its hooks
(:mod:`bench.micro.hooks`): this module names no model and no micro-cost. Shared by the
two ways of timing a loop: pytest-benchmark (:mod:`bench.micro.measure`) and the bare
``perf_counter`` loops (``python -m bench.bare_loops``), so both skip the same cases,
size them the same way and run the very same round.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from bench.micro import MicroCase, placement
from bench.micro._loop import Loop, nothing_left_behind
from bench.micro.costs import cost_named
from bench.micro.hooks import IpcChannel, MemoryHook, MicroLoop, Skip, hook_for
from bench.micro.memory import holding
from bench.micro.sizes import MicroSizes
from bench.models import unavailable
from bench.results_format import add_measured


def applies_not(case: MicroCase) -> str | None:
    """Why ``case`` is not for this model or machine at all (a module missing, no such operation), or None."""
    reason = unavailable(case.model)
    if reason:
        return reason
    hook = hook_for(case)
    if isinstance(hook, Skip):
        return hook.reason
    if isinstance(hook, MemoryHook) and case.n_tasks is None:
        return f"{case.id} holds no tasks: memory cases carry their task count"
    return None


def why_not(case: MicroCase) -> str | None:
    """Why ``case`` cannot run here (a module missing, no such operation, too big), or None."""
    reason = applies_not(case)
    if reason:
        return reason
    hook = hook_for(case)
    assert not isinstance(hook, Skip), "applies_not refuses a skip"
    reason = placement.why_not(case.placement)
    if reason or hook.limit is None:
        return reason
    return hook.limit(case)


def _runnable(case: MicroCase) -> MicroLoop | IpcChannel | MemoryHook:
    hook = hook_for(case)
    if isinstance(hook, Skip):
        raise ValueError(f"{case.id} does not run: {hook.reason}")
    return hook


def ops_per_round(case: MicroCase, sizes: MicroSizes) -> int:
    """How many operations one round of ``case`` performs, from its model's sizes for the profile."""
    hook = _runnable(case)
    if isinstance(hook, IpcChannel):
        assert case.payload_bytes is not None, "ipc cases carry their payload size"
        return hook.ops_per_round(sizes.name, case.payload_bytes)
    if isinstance(hook, MemoryHook):
        assert case.n_tasks is not None, "memory cases carry their task count"
        return case.n_tasks
    return hook.ops_per_round(sizes.name, case.variant)


def rounds(case: MicroCase, sizes: MicroSizes) -> tuple[int, int]:
    """``(timed rounds, warmup rounds)`` of ``case``, as its micro-cost states them."""
    return cost_named(case.micro).rounds(sizes)


def _factory(case: MicroCase, ops: int, sizes: MicroSizes) -> AbstractContextManager[Loop]:
    hook = _runnable(case)
    if isinstance(hook, MemoryHook):
        return holding(case, hook, ops, sizes.memory_holds)
    return hook.loop(case, ops)


@contextmanager
def open_loop(case: MicroCase, sizes: MicroSizes) -> Iterator[Loop]:
    """Set ``case`` up and yield its loop; on exit, fail if a thread or child process outlived it."""
    with nothing_left_behind(case.id), _factory(case, ops_per_round(case, sizes), sizes) as loop:
        yield loop


def group(case: MicroCase) -> str:
    """The pytest-benchmark group: cases whose per-op figures compare directly."""
    return cost_named(case.micro).group(case)


def extra_info(case: MicroCase, profile: str, loop: Loop) -> dict[str, Any]:
    """What the JSON records with ``case``'s timings (see docs/results-format.md)."""
    info: dict[str, Any] = {
        "backend": case.model,
        "variant": case.variant,
        "micro": case.micro,
        "n_tasks": case.n_tasks,
        "ideal_s": None,
        "profile": profile,
        "ops_per_round": loop.ops_per_round,
    }
    info.update((name, getattr(case, name)) for name in cost_named(case.micro).records)
    if case.family:
        info["family"] = case.family
    if case.placement:
        info["placement"] = case.placement
    info["mechanism"] = _runnable(case).mechanism
    info.update(loop.recorded)
    add_measured(info, "ideal_s")
    return info
