"""memory: hold N tasks alive at once, each blocked, and measure what each one costs.

``bytes_per_task`` is read with no instrument running, in fresh interpreters made for
it (:mod:`bench.micro.footprint`, one per hold, the profile's ``memory_holds``), so neither
tracemalloc's own bookkeeping nor the allocator history of earlier cases lands in it:

- in-process models: the growth of the fresh process's resident set (RSS, after
  ``gc.collect()``, tracemalloc off) from before the N tasks exist to while they are
  all held, divided by N;
- models whose tasks are processes: their holder gives a ``footprint`` (the mean
  unique set size of the children, with their proportional set size beside it).

Each model's hook says what its figure counts (``counts``; a thread's figure is its
touched stack pages, not the stack it reserves).

Beside it, as "Python objects", the same fresh process holds the tasks again under
``tracemalloc``: the memory Python's allocators hand out (objects, frames, stack
copies), which does not see a thread's stack. The median of the holds is the
figure; their lowest and highest are its spread.

A held task is blocked the model's own way (its module's holder, see
:class:`~bench.micro._held.Holder`). The timed round creates the N tasks and returns
once all of them are held (seconds per held task = round / N); the untimed check
after it releases them, joins every one and fails unless all N finished.
"""

from __future__ import annotations

import gc
import json
import statistics
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict
from typing import Any

import psutil

from bench.fresh import last_line
from bench.micro import MicroCase
from bench.micro._held import H, Holder
from bench.micro._loop import Loop, expect
from bench.micro.hooks import MemoryHook, Skip, hook_for
from bench.results_format import MEASURED_KEY


def rss_bytes() -> int:
    """This process's resident set size, after a full garbage collection."""
    gc.collect()
    return int(psutil.Process().memory_info().rss)


#: Fresh-process holds per case: the figure is their median, the spread their range.
HOLDS = 3
#: Longest one fresh-process hold may take before the case fails.
FOOTPRINT_TIMEOUT_S = 300.0


def fresh_holds(case: MicroCase, n: int, holds: int = HOLDS, ballast: int = 0) -> list[dict[str, float]]:
    """Hold ``n`` tasks of ``case`` in ``holds`` fresh interpreters; each one's bytes per task.

    Each result has ``bytes_per_task`` (RSS or USS growth, no instrument on) and,
    for in-process models, ``python_objects`` (tracemalloc's growth); for processes
    ``pss``. Raises ``RuntimeError`` with the child's error when a hold fails.
    """
    from bench.models import load

    spec = json.dumps({**asdict(case), "n": n, "ballast": ballast, "prelude": load(case.model).prelude})
    results = []
    for _ in range(holds):
        line = last_line(
            "bench.micro.footprint",
            spec,
            timeout_s=FOOTPRINT_TIMEOUT_S,
            failed=f"memory {case.id}: the fresh-process hold failed",
        )
        results.append(json.loads(line))
    return results


def summary(case: MicroCase, results: list[dict[str, float]]) -> dict[str, Any]:
    """``bytes_per_task`` (the median hold) and ``memory`` (spread, Python objects, PSS, what it counts)."""
    figures = [r["bytes_per_task"] for r in results]
    memory: dict[str, Any] = {
        "holds": len(figures),
        "low": min(figures),
        "high": max(figures),
        "counts": memory_hook(case).counts,
    }
    for key in ("python_objects", "pss"):
        values = [r[key] for r in results if r.get(key) is not None]
        if values:
            memory[key] = statistics.median(values)
    return {"bytes_per_task": statistics.median(figures), "memory": memory}


@contextmanager
def _memory_loop(case: MicroCase, holder: Holder[H], n: int, holds: int) -> Iterator[Loop]:
    """The loop of a holder: measured in fresh processes, then rounds of hold (timed) and release (checked)."""
    outstanding: list[H] = []

    def one_round() -> H:
        tasks = holder.hold(n)
        outstanding.append(tasks)
        return tasks

    def check(tasks: H) -> None:
        outstanding.clear()
        expect(holder.release(tasks), n, "memory: held tasks that finished")

    try:
        measured = summary(case, fresh_holds(case, n, holds))
        yield Loop(one_round, check, n, {**measured, **holder.recorded, MEASURED_KEY: sorted(measured)})
    finally:
        for tasks in outstanding:
            holder.release(tasks)


def memory_hook(case: MicroCase) -> MemoryHook:
    """The memory hook of ``case``'s model; an error with the reason where it holds no tasks."""
    hook = hook_for(case)
    if isinstance(hook, Skip):
        raise ValueError(f"memory {case.id}: {hook.reason}")
    assert isinstance(hook, MemoryHook), "a memory case resolves to a memory hook"
    return hook


def holder_for(case: MicroCase, ballast: int = 0) -> AbstractContextManager[Holder[Any]]:
    """The holder of ``case``'s model, as its module states it (made and torn down by the block)."""
    return memory_hook(case).holder(case, ballast)


@contextmanager
def holding(case: MicroCase, hook: MemoryHook, n: int, holds: int = HOLDS) -> Iterator[Loop]:
    """The memory loop of ``case``: measured in ``holds`` fresh interpreters, then held in timed rounds."""
    with hook.holder(case, 0) as holder, _memory_loop(case, holder, n, holds) as loop:
        yield loop
