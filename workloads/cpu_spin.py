"""cpu_spin: pure-Python arithmetic that holds the GIL.

A fixed total of ``work_units`` loop steps is split across the N tasks, so the
figure shows each model's overhead and whether it can run Python code in
parallel. Task ``i`` sums ``k * k`` over its slice of ``range(work_units)``; the
answer is checked against the closed form, so a lost or wrong task fails the case.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from workloads._base import fresh_calibration
from workloads.protocol import Calibration, Params, TaskGenerator, Workload, WrongAnswer
from workloads.report_spec import PROCESS_POOLS, Claim, ReportSpec, Traits

WORKLOAD_NAME = "cpu_spin"


def _bounds(i: int, n_tasks: int, work_units: int) -> tuple[int, int]:
    return i * work_units // n_tasks, (i + 1) * work_units // n_tasks


def _sum_squares_below(m: int) -> int:
    return (m - 1) * m * (2 * m - 1) // 6 if m > 0 else 0


def expected(i: int, n_tasks: int, work_units: int) -> int:
    """Return the right answer of task ``i`` in closed form."""
    lo, hi = _bounds(i, n_tasks, work_units)
    return _sum_squares_below(hi) - _sum_squares_below(lo)


def spin(i: int, params: Params) -> int:
    """Do task ``i``'s share of the work; blocks its thread and holds the GIL."""
    lo, hi = _bounds(i, params["n_tasks"], params["work_units"])
    acc = 0
    for k in range(lo, hi):
        acc += k * k
    return acc


async def spin_async(i: int, params: Params) -> int:
    """The coroutine form: the same work, never awaiting."""
    return spin(i, params)


def spin_generator(i: int, params: Params) -> TaskGenerator:
    """The generator form: the same work; a task that never waits never yields."""
    return spin(i, params)
    yield  # unreachable: makes this function a generator


def check(results: list[Any], n_tasks: int, params: Params) -> None:
    """Fail unless every task returned its own slice's sum of squares."""
    if len(results) != n_tasks:
        raise WrongAnswer(f"cpu_spin: {len(results)} results for {n_tasks} tasks")
    work_units = params["work_units"]
    for i, value in enumerate(results):
        if value != expected(i, n_tasks, work_units):
            raise WrongAnswer(f"cpu_spin: task {i} returned {value!r}, not its checksum")


def single_key(params: Params) -> str:
    """Calibration key: the work size."""
    return str(params["work_units"])


def ideal_s(n_tasks: int, params: Params, calibration: Calibration) -> float | None:
    """The best wall time of N tasks on the machine's cores: ``ceil(N / cores) * single / N``.

    Each task is ``single / N`` of the work; the cores run at most ``cores`` of them at
    once, so N tasks take ``ceil(N / cores)`` waves of one task each (3 tasks on 2
    cores: two waves, not one and a half).
    """
    single = calibration.of(WORKLOAD_NAME).get(single_key(params))
    if single is None:
        return None
    return math.ceil(n_tasks / max(1, calibration.cpu_count)) * single / n_tasks


def task_s(n_tasks: int, params: Params, calibration: Calibration) -> float:
    """One task's share of the single-process time."""
    single = calibration.of(WORKLOAD_NAME).get(single_key(params), 0.0)
    return single / n_tasks


def measure_single_process_s(work_units: int, repeats: int = 5) -> float:
    """Time the whole work once in this process: the median of ``repeats``, after a warmup.

    The median, as the results are medians: a minimum would hold the results
    against a luckier figure than any of them reports.
    """
    import statistics
    import time

    params = {"n_tasks": 1, "work_units": work_units}
    spin(0, params)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        spin(0, params)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


#: OS threads of the parent process sharing one interpreter: the GIL runs one at a time.
OS_THREADS = Traits(waits=("thread",), in_parent=True, own_interpreter=False)
#: Interpreters of their own inside the parent process, a GIL each (PEP 684).
SUBINTERPRETERS = Traits(in_parent=True, own_interpreter=True)
#: The task count the parallel claims are read at (the largest that ran, up to it): enough tasks
#: for every core, few enough that a pool's dispatch is not what is measured.
PARALLEL_N = 10

#: Subinterpreters run pure Python in parallel; on a free-threaded build the same claim
#: says what it shows there (its ``without_gil`` twin, a change of sentence only).
SUBINTERPRETERS_PARALLEL = Claim(
    id="subinterpreters_parallelise_python",
    sentence=(
        "Subinterpreters ({models}), a GIL each, run pure-Python CPU in parallel in one process: at "
        "least {threshold}x over {baseline} on 2+ cores"
    ),
    models=SUBINTERPRETERS,
    above=1.5,
    min_cores=2,
    at_most_n=PARALLEL_N,
    also=PROCESS_POOLS,
)

#: The tutorials' claims about CPU-bound Python: the GIL holds threads to one core, processes
#: and interpreters of their own do not share it.
REPORT = ReportSpec(
    claims=(
        Claim(
            id="threads_do_not_parallelise_python",
            sentence="CPU-bound Python with the GIL: OS threads ({models}) gain under {threshold}x over {baseline}",
            models=OS_THREADS,
            below=1.2,
            also=PROCESS_POOLS,
            without_gil=Claim(
                id="threads_do_not_parallelise_python",
                sentence=(
                    "CPU-bound Python without the GIL (a free-threaded build, so the usual claim flips): OS threads "
                    "({models}) gain at least {threshold}x over {baseline} on 2+ cores"
                ),
                models=OS_THREADS,
                above=1.5,
                min_cores=2,
                also=PROCESS_POOLS,
            ),
        ),
        Claim(
            id="process_pools_parallelise_python",
            sentence=(
                "CPU-bound Python: process pools ({models}) gain at least {threshold}x over {baseline} on 2+ cores"
            ),
            models=PROCESS_POOLS,
            above=1.5,
            min_cores=2,
            at_most_n=PARALLEL_N,
        ),
        replace(
            SUBINTERPRETERS_PARALLEL,
            without_gil=replace(
                SUBINTERPRETERS_PARALLEL,
                sentence=(
                    "Subinterpreters ({models}) on a free-threaded build, no GIL at all, run pure-Python CPU in "
                    "parallel: at least {threshold}x over {baseline} on 2+ cores; here it shows isolated "
                    "interpreters sharing nothing, not a GIL escaped"
                ),
            ),
        ),
    ),
)

WORKLOAD = Workload(
    name=WORKLOAD_NAME,
    summary="pure-Python arithmetic (holds the GIL); fixed total work split over N tasks",
    blocking=spin,
    coroutine=spin_async,
    generator=spin_generator,
    check=check,
    ideal_s=ideal_s,
    task_s=task_s,
    params={"smoke": {"work_units": 20_000}, "quick": {"work_units": 1_500_000}, "full": {"work_units": 10_000_000}},
    report=REPORT,
    calibrate=fresh_calibration(WORKLOAD_NAME, "work_units", single_key),
    measure=measure_single_process_s,
)
