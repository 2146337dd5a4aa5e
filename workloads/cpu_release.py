"""cpu_release: C code that releases the GIL (``hashlib.sha256`` over large buffers).

A fixed total of ``total_bytes`` is split across the N tasks, as cpu_spin splits its
loop steps; task ``i`` hashes its slice of one deterministic buffer. CPython's
hashlib lets go of the GIL while it hashes more than 2047 bytes, so threads can
hash on several cores at once: the case where the tutorials' "threads cannot use
more than one core" is wrong. Keep the slices above that size (``total_bytes`` at
least 2048 x the largest N) or the hashing holds the GIL.

Each task returns its slice's hex digest, checked against digests computed outside
the timed region. Ideal: the whole work timed once in a fresh interpreter (a
median), in waves of ``cores`` tasks, as cpu_spin's.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import random
from collections.abc import Iterator, Mapping
from typing import Any

from workloads._base import fresh_calibration
from workloads.protocol import Calibration, Params, TaskGenerator, Workload, WrongAnswer
from workloads.report_spec import SPEEDUP, BesideTable, Claim, ReportSpec, Traits

WORKLOAD_NAME = "cpu_release"
#: hashlib releases the GIL for buffers longer than this.
GIL_RELEASE_BYTES = 2047


@functools.lru_cache(maxsize=2)
def buffer(total_bytes: int) -> bytes:
    """The deterministic bytes the tasks hash (made once per size and process)."""
    # Pseudo-random, not periodic: no two tasks' slices are alike, so a swapped answer shows.
    return random.Random(total_bytes).randbytes(total_bytes)


def _bounds(i: int, n_tasks: int, total_bytes: int) -> tuple[int, int]:
    return i * total_bytes // n_tasks, (i + 1) * total_bytes // n_tasks


def digest(i: int, params: Params) -> str:
    """Hash task ``i``'s slice; blocks its thread but not the GIL (for slices over 2047 bytes)."""
    total = params["total_bytes"]
    lo, hi = _bounds(i, params["n_tasks"], total)
    return hashlib.sha256(memoryview(buffer(total))[lo:hi]).hexdigest()


async def digest_async(i: int, params: Params) -> str:
    """The coroutine form: the same hashing, on the loop's thread, never awaiting."""
    return digest(i, params)


def digest_generator(i: int, params: Params) -> TaskGenerator:
    """The generator form: the same hashing; a task that never waits never yields."""
    return digest(i, params)
    yield  # unreachable: makes this function a generator


@functools.lru_cache(maxsize=8)
def expected(n_tasks: int, total_bytes: int) -> tuple[str, ...]:
    """Every task's right digest, computed here (outside any timed region)."""
    data = buffer(total_bytes)
    return tuple(hashlib.sha256(data[slice(*_bounds(i, n_tasks, total_bytes))]).hexdigest() for i in range(n_tasks))


def check(results: list[Any], n_tasks: int, params: Params) -> None:
    """Fail unless every task returned its own slice's digest."""
    if len(results) != n_tasks:
        raise WrongAnswer(f"cpu_release: {len(results)} results for {n_tasks} tasks")
    right = expected(n_tasks, params["total_bytes"])
    for i, value in enumerate(results):
        if value != right[i]:
            raise WrongAnswer(f"cpu_release: task {i} returned {value!r}, not its slice's sha256")


@contextlib.contextmanager
def prepare(params: Params) -> Iterator[Mapping[str, Any]]:
    """Make the buffer before timing (and before a pool forks), so no task pays for it."""
    buffer(params["total_bytes"])
    yield {}


def single_key(params: Params) -> str:
    """Calibration key: the workload and its size."""
    return f"cpu_release:{params['total_bytes']}"


def ideal_s(n_tasks: int, params: Params, calibration: Calibration) -> float | None:
    """The best wall time of N tasks on the machine's cores: ``ceil(N / cores) * single / N``."""
    single = calibration.of(WORKLOAD_NAME).get(single_key(params))
    if single is None:
        return None
    return math.ceil(n_tasks / max(1, calibration.cpu_count)) * single / n_tasks


def task_s(n_tasks: int, params: Params, calibration: Calibration) -> float:
    """One task's share of the single-process time."""
    return calibration.of(WORKLOAD_NAME).get(single_key(params), 0.0) / n_tasks


def measure_single_process_s(total_bytes: int, repeats: int = 5) -> float:
    """Hash the whole buffer once in this process: the median of ``repeats``, after a warmup."""
    import statistics
    import time

    params = {"n_tasks": 1, "total_bytes": total_bytes}
    digest(0, params)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        digest(0, params)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


#: Threads sharing one GIL must gain at least this over the baseline model (2+ cores).
RELEASED_GAIN = 1.5
#: The task count the GIL-release claim and table are read at (the largest that ran, up to it): few
#: tasks with large slices, so the hashing, not the start of a thousand threads, decides the figure.
RELEASE_N = 10
#: Threads that share one GIL: the models the tutorials say cannot use a second core.
GIL_THREADS = Traits(waits=("thread",), parallel_python=False)

REPORT = ReportSpec(
    heading="GIL-releasing C code beside pure Python",
    claims=(
        Claim(
            id="threads_speed_up_released_c",
            sentence="Threads speed up C code that releases the GIL (`cpu_release`, sha256): "
            "at least {threshold}x over {baseline} on 2+ cores",
            models=GIL_THREADS,
            figure=SPEEDUP,
            above=RELEASED_GAIN,
            at_most_n=RELEASE_N,
            min_cores=2,
            beside=("cpu_spin",),
        ),
    ),
    tables=(
        BesideTable(
            title="GIL-releasing C code beside pure Python, at {n} tasks",
            text="`cpu_spin` is Python arithmetic, which holds the GIL; `cpu_release` hashes with sha256, which "
            "lets the GIL go while it hashes. Speedup is {baseline}'s median over the model's (above 1: faster), "
            f"read at up to {RELEASE_N} tasks, where each task's share of the work outweighs starting it.",
            other="cpu_spin",
            figure=SPEEDUP,
            at_most_n=RELEASE_N,
        ),
    ),
)

WORKLOAD = Workload(
    name=WORKLOAD_NAME,
    summary="sha256 over large buffers (C code that releases the GIL); fixed total bytes split over N tasks",
    blocking=digest,
    coroutine=digest_async,
    generator=digest_generator,
    check=check,
    ideal_s=ideal_s,
    task_s=task_s,
    prepare=prepare,
    params={
        "smoke": {"total_bytes": 256 * 1024},
        "quick": {"total_bytes": 32 * 2**20},
        # Slices stay over 2047 bytes (hashlib releases the GIL) at 10,000 tasks.
        "full": {"total_bytes": 256 * 2**20},
        # 100,000 slices of 4 KiB: each still long enough to release the GIL.
        "scale": {"total_bytes": 400 * 2**20},
    },
    calibrate=fresh_calibration(WORKLOAD_NAME, "total_bytes", single_key),
    measure=measure_single_process_s,
    report=REPORT,
)
