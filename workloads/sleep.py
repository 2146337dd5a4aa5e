"""sleep: each of N tasks waits ``sleep_s`` seconds, in its model's own way.

The blocking form calls ``time.sleep`` (which gevent's patch turns into a
cooperative wait); the coroutine form awaits ``asyncio.sleep``; the generator form
yields a :class:`Sleep` request to its scheduler. Ideal: ``sleep_s``, all N waiting
at once. Each task returns its index, so a lost task fails the case.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from workloads._base import check_indices
from workloads.protocol import Calibration, Params, Sleep, TaskGenerator, Workload
from workloads.report_spec import A_WAIT_PER_TASK, TIMES_IDEAL, Claim, ReportSpec, Traits


def sleep_blocking(i: int, params: Params) -> int:
    """Block the calling thread for ``sleep_s``."""
    time.sleep(params["sleep_s"])
    return i


async def sleep_async(i: int, params: Params) -> int:
    """Await the event loop's timer for ``sleep_s``."""
    await asyncio.sleep(params["sleep_s"])
    return i


def sleep_generator(i: int, params: Params) -> TaskGenerator:
    """Ask the scheduler to resume this task after ``sleep_s``."""
    yield Sleep(params["sleep_s"])
    return i


def check(results: list[Any], n_tasks: int, params: Params) -> None:
    """Fail unless each task returned its own index."""
    check_indices(results, n_tasks, "sleep")


def ideal_s(n_tasks: int, params: Params, calibration: Calibration) -> float:
    """All N tasks wait at once: T."""
    return float(params["sleep_s"])


def task_s(n_tasks: int, params: Params, calibration: Calibration) -> float:
    """One task alone waits T."""
    return float(params["sleep_s"])


#: The tutorials' claim about waiting: tasks that each wait on their own overlap their waits.
REPORT = ReportSpec(
    claims=(
        Claim(
            id="sleep_waits_overlap",
            sentence=(
                "Waiting: {models}, each task a wait of its own (on a loop, a hub or an OS thread), overlap "
                "{n} waits, each within {threshold}x ideal"
            ),
            models=A_WAIT_PER_TASK,
            figure=TIMES_IDEAL,
            below=3.0,
            at_most_n=100,
            also=Traits(waits=("none",)),
        ),
    ),
)

WORKLOAD = Workload(
    name="sleep",
    summary="each task waits sleep_s seconds (time.sleep, asyncio.sleep, a yielded Sleep)",
    blocking=sleep_blocking,
    coroutine=sleep_async,
    generator=sleep_generator,
    check=check,
    ideal_s=ideal_s,
    task_s=task_s,
    waits=True,
    params={
        "smoke": {"sleep_s": 0.01},
        "quick": {"sleep_s": 0.05},
        "full": {"sleep_s": 0.1},
        # A wait of a second, so that starting 100,000 tasks is not all a step measures.
        "scale": {"sleep_s": 1.0},
    },
    report=REPORT,
)
